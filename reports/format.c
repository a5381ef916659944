/* format.c -- shared formatting for the text, markdown and summary renderers. */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

const char *ls_fmt_ns(long long ns, char *buf, size_t len)
{
    if (ns >= 10000000000LL)
        snprintf(buf, len, "%.1f s", (double)ns / 1e9);
    else if (ns >= 1000000000LL)
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
    else if (ns >= 1000000LL)
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    else if (ns >= 1000LL)
        snprintf(buf, len, "%lld us", ns / 1000);
    else
        snprintf(buf, len, "%lld ns", ns);
    return buf;
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

const char *ls_fmt_frame(json_t *frame, char *buf, size_t len)
{
    const char *sym = json_string_value(json_object_get(frame, "symbol"));
    const char *mod = json_string_value(json_object_get(frame, "module"));
    const char *off = json_string_value(json_object_get(frame, "offset"));
    const char *file = json_string_value(json_object_get(frame, "file"));
    json_int_t line = json_integer_value(json_object_get(frame, "line"));
    if (sym && file && line)
        snprintf(buf, len, "%s (%s:%lld)", sym, base_name(file), (long long)line);
    else if (sym)
        snprintf(buf, len, "%s (%s)", sym, mod ? base_name(mod) : "?");
    else
        snprintf(buf, len, "%s+%s", mod ? base_name(mod) : "?", off ? off : "?");
    return buf;
}

const char *ls_fmt_culprit(json_t *stall, char *buf, size_t len)
{
    json_t *call = json_array_get(json_object_get(stall, "calls"), 0);
    const char *fn = json_string_value(json_object_get(call, "fn"));
    if (!fn) return NULL;
    const char *target = json_string_value(json_object_get(call, "target"));
    if (target)
        snprintf(buf, len, "%s on %s", fn, target);
    else
        snprintf(buf, len, "%s", fn);
    return buf;
}

json_t *ls_first_interesting_frame(json_t *stack)
{
    long i = ls_culprit_index(stack);
    return i < 0 ? NULL : json_array_get(stack, (size_t)i);
}

json_t *ls_stall_stack_shown(json_t *stall)
{
    json_t *call = json_array_get(json_object_get(stall, "calls"), 0);
    json_t *stack = call ? json_object_get(call, "stack") : json_object_get(stall, "stack");
    if (!json_array_size(stack)) stack = json_array_get(json_object_get(stall, "samples"), 0);
    return stack;
}

static int worst_first(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "wall_ns"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "wall_ns"));
    return (y > x) - (y < x);
}

json_t *ls_stalls_worst_first(json_t *proc)
{
    json_t *stalls = json_object_get(proc, "stalls");
    size_t n = json_array_size(stalls);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(stalls, i);
    qsort(v, n, sizeof *v, worst_first);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}
