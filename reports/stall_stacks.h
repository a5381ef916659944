/* stall_stacks.h -- the stacks a stall's time is charged to, shared by the folded output and the
 * HTML flame graph so that both draw the same picture. */
#ifndef LS_STALL_STACKS_H
#define LS_STALL_STACKS_H

#include <jansson.h>
#include <stddef.h>

/* What a charged stack stands for. */
enum ls_charge_kind {
    LS_CHARGE_CALL,   /* a call the agent kept: its stack, topped by "[fn]" */
    LS_CHARGE_UNKEPT, /* calls the agent counted but did not keep: "[calls not kept]" */
    LS_CHARGE_SAMPLE, /* a stack sample's share of the rest; no leaf */
    LS_CHARGE_STALL,  /* the rest, on the stall's own stack: "[CLASS stall]" */
};

/* One stack and the stall time charged to it. */
struct ls_charged_stack {
    enum ls_charge_kind kind;
    json_t *proc;     /* the process the stall happened in */
    json_t *stall;    /* the stall itself */
    json_t *call;     /* the kept call, for LS_CHARGE_CALL; else NULL */
    json_t *frames;   /* innermost first, as in the report; NULL or empty when unknown */
    const char *leaf; /* a pseudo-frame on top of the frames ("[poll]"), or NULL */
    long long ns;     /* stall time charged to this stack, > 0 */
};

typedef void (*ls_charge_fn)(const struct ls_charged_stack *cs, void *ctx);

/* Charges the whole of a stall's wall time, so that a site's total is the width
 * of its stack in a flame graph: each kept call to its own stack topped by the
 * call; blocked time in calls the agent did not keep to the stall's stack topped
 * by "[calls not kept]"; the rest shared out over the stack samples, or, without
 * samples, to the stall's stack topped by "[CLASS stall]". */
void ls_charge_stall(json_t *proc, json_t *stall, ls_charge_fn fn, void *ctx);
/* Every stall of every process, in report order. */
void ls_charge_report(json_t *report, ls_charge_fn fn, void *ctx);

/* A frame's name in a stack: an interpreter frame's function and script ("load_config (app.py)"),
 * a native frame's symbol, else the module's base name and the offset. */
const char *ls_stack_frame_name(json_t *frame, char *buf, size_t len);
/* The name a process's stacks start with: "lab-d3a-28953". */
const char *ls_stack_process_name(json_t *proc, char *buf, size_t len);

#endif
