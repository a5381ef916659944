/* stall_stacks.c -- charges each stall's wall time to stacks: its calls, calls it did not keep,
 * its samples, or its own stack. */
#include "stall_stacks.h"

#include <stdio.h>
#include <string.h>

#include "format.h"

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : (path ? path : "?");
}

const char *ls_stack_frame_name(json_t *frame, char *buf, size_t len)
{
    const char *sym = json_string_value(json_object_get(frame, "symbol"));
    const char *off = json_string_value(json_object_get(frame, "offset"));
    const char *file = json_string_value(json_object_get(frame, "file"));
    if (json_object_get(frame, "lang")) {
        /* A function of a script, as the text report names it, without the line: the samples
         * of one Python function fall on many lines, and a flame graph shows functions. */
        const char *script = file && strncmp(file, "node:", 5) != 0 ? base_name(file) : file;
        snprintf(buf, len, "%s (%s)", sym ? sym : "?", script ? script : "?");
    } else if (sym)
        snprintf(buf, len, "%s", sym);
    else
        snprintf(buf, len, "%s+%s", base_name(json_string_value(json_object_get(frame, "module"))),
                 off ? off : "?");
    return buf;
}

const char *ls_stack_process_name(json_t *proc, char *buf, size_t len)
{
    const char *exe = json_string_value(json_array_get(json_object_get(proc, "argv"), 0));
    snprintf(buf, len, "%s-%lld", base_name(exe),
             (long long)json_integer_value(json_object_get(proc, "pid")));
    return buf;
}

static void charge(ls_charge_fn fn, void *ctx, enum ls_charge_kind kind, json_t *proc,
                   json_t *stall, json_t *call, json_t *frames, const char *leaf, long long ns)
{
    if (ns <= 0) return;
    struct ls_charged_stack cs = {kind, proc, stall, call, frames, leaf, ns};
    fn(&cs, ctx);
}

void ls_charge_stall(json_t *proc, json_t *stall, ls_charge_fn fn, void *ctx)
{
    long long rest = json_integer_value(json_object_get(stall, "wall_ns"));
    long long in_kept = 0;
    size_t i;
    json_t *call;
    char leaf[96];
    json_t *calls = json_object_get(stall, "calls");
    json_array_foreach(calls, i, call)
    {
        long long ns = json_integer_value(json_object_get(call, "wall_ns"));
        if (ns > rest) ns = rest;
        const char *name = json_string_value(json_object_get(call, "fn"));
        snprintf(leaf, sizeof leaf, "[%s]", name ? name : "?");
        charge(fn, ctx, LS_CHARGE_CALL, proc, stall, call, json_object_get(call, "stack"), leaf,
               ns);
        rest -= ns;
        in_kept += ns;
    }
    /* The agent keeps the longest few calls of a stall; the blocked time of the
     * others is known only as a sum. One name for it in every stall, so that
     * their time adds up in a flame graph. */
    long long unkept_calls = json_integer_value(json_object_get(stall, "call_count")) -
                             (long long)json_array_size(calls);
    long long unkept_ns = json_integer_value(json_object_get(stall, "blocked_ns")) - in_kept;
    if (unkept_calls > 0 && unkept_ns > 0) {
        if (unkept_ns > rest) unkept_ns = rest;
        charge(fn, ctx, LS_CHARGE_UNKEPT, proc, stall, NULL, ls_stall_stack_shown(stall),
               "[calls not kept]", unkept_ns);
        rest -= unkept_ns;
    }
    if (rest <= 0) return;
    json_t *samples = json_object_get(stall, "samples");
    size_t n = json_array_size(samples);
    if (n) {
        /* Each sample stands for an equal share; the last takes what division left. */
        long long share = rest / (long long)n;
        json_t *sample;
        json_array_foreach(samples, i, sample)
        {
            charge(fn, ctx, LS_CHARGE_SAMPLE, proc, stall, NULL, sample, NULL,
                   i + 1 == n ? rest - share * (long long)(n - 1) : share);
        }
        return;
    }
    const char *cls = json_string_value(json_object_get(stall, "class"));
    snprintf(leaf, sizeof leaf, "[%s stall]", cls ? cls : "unclassified");
    charge(fn, ctx, LS_CHARGE_STALL, proc, stall, NULL, ls_stall_stack_shown(stall), leaf, rest);
}

void ls_charge_report(json_t *report, ls_charge_fn fn, void *ctx)
{
    size_t i, k;
    json_t *p, *s;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "stalls"), k, s)
        {
            ls_charge_stall(p, s, fn, ctx);
        }
    }
}
