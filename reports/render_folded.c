/* render_folded.c -- folded stacks (flamegraph.pl, speedscope, inferno): one line per stack,
 * weighted in microseconds. */
#include <stdio.h>

#include "render.h"
#include "stall_stacks.h"

/* In names a ';' becomes ':' and a space '_': both separate fields in this format. */
static void put_name(FILE *out, char *name)
{
    for (char *p = name; *p; p++)
        if (*p == ';' || *p == ' ') *p = *p == ';' ? ':' : '_';
    fputs(name, out);
}

/* Writes "PROC;outermost;...;innermost[;leaf] US". */
static void put_line(const struct ls_charged_stack *cs, void *ctx)
{
    FILE *out = ctx;
    char name[512];
    ls_stack_process_name(cs->proc, name, sizeof name);
    put_name(out, name);
    for (size_t i = json_array_size(cs->frames); i-- > 0;) {
        fputc(';', out);
        ls_stack_frame_name(json_array_get(cs->frames, i), name, sizeof name);
        put_name(out, name);
    }
    if (cs->leaf) {
        /* The leaf keeps its spaces ("[3 more calls]"): the weight is after the last one. */
        fputc(';', out);
        for (const char *p = cs->leaf; *p; p++)
            fputc(*p == ';' ? ':' : *p, out);
    }
    fprintf(out, " %lld\n", cs->ns / 1000);
}

int render_folded(json_t *report, FILE *out)
{
    ls_charge_report(report, put_line, out);
    return ferror(out) ? -1 : 0;
}
