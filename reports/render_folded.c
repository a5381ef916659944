/* render_folded.c -- folded stacks (flamegraph.pl, speedscope, inferno): one line per stack,
 * weighted in microseconds. */
#include <stdio.h>
#include <string.h>

#include "render.h"

/* Writes frames outermost first, separated by ';' (a ';' in a name becomes ':'). */
static void put_stack(FILE *out, json_t *stack)
{
    for (size_t i = json_array_size(stack); i-- > 0;) {
        json_t *f = json_array_get(stack, i);
        const char *sym = json_string_value(json_object_get(f, "symbol"));
        const char *mod = json_string_value(json_object_get(f, "module"));
        const char *base = mod && strrchr(mod, '/') ? strrchr(mod, '/') + 1 : (mod ? mod : "?");
        char name[512];
        if (sym)
            snprintf(name, sizeof name, "%s", sym);
        else
            snprintf(name, sizeof name, "%s+%s", base,
                     json_string_value(json_object_get(f, "offset")));
        for (char *p = name; *p; p++)
            if (*p == ';' || *p == ' ') *p = *p == ';' ? ':' : '_';
        fprintf(out, ";%s", name);
    }
}

int render_folded(json_t *report, FILE *out)
{
    size_t i, k, n;
    json_t *p, *s, *x;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        const char *exe = json_string_value(json_array_get(json_object_get(p, "argv"), 0));
        const char *base = exe && strrchr(exe, '/') ? strrchr(exe, '/') + 1 : (exe ? exe : "?");
        json_array_foreach(json_object_get(p, "stalls"), k, s)
        {
            long long wall_us = json_integer_value(json_object_get(s, "wall_ns")) / 1000;
            json_t *calls = json_object_get(s, "calls");
            json_t *samples = json_object_get(s, "samples");
            long long prefix_us = wall_us;
            /* Blocked time goes to each call's stack, topped by the call itself. */
            json_array_foreach(calls, n, x)
            {
                long long us = json_integer_value(json_object_get(x, "wall_ns")) / 1000;
                fprintf(out, "%s-%lld", base,
                        (long long)json_integer_value(json_object_get(p, "pid")));
                put_stack(out, json_object_get(x, "stack"));
                fprintf(out, ";[%s] %lld\n", json_string_value(json_object_get(x, "fn")), us);
                prefix_us -= us;
            }
            /* The rest is shared out over the samples, or left on the stall's stack. */
            if (prefix_us <= 0) continue;
            size_t ns = json_array_size(samples);
            if (ns) {
                json_array_foreach(samples, n, x)
                {
                    fprintf(out, "%s-%lld", base,
                            (long long)json_integer_value(json_object_get(p, "pid")));
                    put_stack(out, x);
                    fprintf(out, " %lld\n", prefix_us / (long long)ns);
                }
            } else if (!json_array_size(calls)) {
                fprintf(out, "%s-%lld", base,
                        (long long)json_integer_value(json_object_get(p, "pid")));
                put_stack(out, json_object_get(s, "stack"));
                fprintf(out, ";[%s stall] %lld\n", json_string_value(json_object_get(s, "class")),
                        prefix_us);
            }
        }
    }
    return ferror(out) ? -1 : 0;
}
