/* render_markdown.c -- a report for a pull request or CI summary: tables of loops, stalls and
 * sites. */
#include <stdio.h>

#include "advice.h"
#include "format.h"
#include "render.h"

int render_markdown(json_t *report, FILE *out)
{
    char a[32], b[32], c[32], d[512], e[1024];
    fprintf(out, "## loopstall report\n\nStall threshold: %s\n",
            ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), a, sizeof a));
    size_t i, k;
    json_t *p, *x;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        ls_fmt_use_process(p); /* frames of the main executable named as the user ran it */
        json_t *argv = json_object_get(p, "argv");
        fprintf(out, "\n### Process %lld `%s`\n\n",
                (long long)json_integer_value(json_object_get(p, "pid")),
                json_string_value(json_array_get(argv, 0)));
        json_t *loops = json_object_get(p, "loops");
        if (json_array_size(loops)) {
            fprintf(out,
                    "| loop thread | iterations | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n");
            json_array_foreach(loops, k, x)
            {
                json_t *it = json_object_get(x, "iteration_ns");
                fprintf(out, "| %lld %s | %lld | %s | %s | %s |\n",
                        (long long)json_integer_value(json_object_get(x, "tid")),
                        json_string_value(json_object_get(x, "name")),
                        (long long)json_integer_value(json_object_get(x, "iterations")),
                        ls_fmt_ns(json_integer_value(json_object_get(it, "p50")), a, sizeof a),
                        ls_fmt_ns(json_integer_value(json_object_get(it, "p99")), b, sizeof b),
                        ls_fmt_ns(json_integer_value(json_object_get(it, "max")), c, sizeof c));
            }
        } else {
            fprintf(out, "No event loop seen.\n");
        }
        json_t *stalls = ls_stalls_worst_first(p);
        if (json_array_size(stalls)) {
            fprintf(out, "\n| stall | class | blocked | cpu | culprit | where "
                         "|\n|---:|---|---:|---:|---|---|\n");
            json_array_foreach(stalls, k, x)
            {
                if (k == 20) break;
                const char *where =
                    ls_fmt_where(ls_stall_stack_shown(x), ls_stall_where_index(x), e, sizeof e);
                const char *culprit = ls_fmt_culprit(x, d, sizeof d);
                fprintf(
                    out, "| %s%s | %s | %s | %s | `%s` | `%s` |\n",
                    ls_fmt_ns(json_integer_value(json_object_get(x, "wall_ns")), a, sizeof a),
                    json_is_true(json_object_get(x, "ongoing")) ? " (ongoing)" : "",
                    json_string_value(json_object_get(x, "class")),
                    ls_fmt_ns(json_integer_value(json_object_get(x, "blocked_ns")), b, sizeof b),
                    ls_fmt_ns(json_integer_value(json_object_get(x, "cpu_ns")), c, sizeof c),
                    culprit ? culprit : "-", where ? where : "-");
            }
        } else if (json_array_size(loops)) {
            fprintf(out, "\nNo stalls.\n");
        }
        json_decref(stalls);
        json_array_foreach(json_object_get(p, "findings"), k, x)
        {
            json_t *where = ls_first_interesting_frame(json_object_get(x, "stack"));
            fprintf(
                out,
                "\n**Unbounded fan-out:** %lld threads alive at once (limit %lld), created by %s. "
                "Cap it: a fixed pool and a bounded queue.\n",
                (long long)json_integer_value(json_object_get(x, "peak_live_threads")),
                (long long)json_integer_value(json_object_get(x, "limit")),
                where ? ls_fmt_frame(where, e, sizeof e) : "an unknown frame");
        }
        json_t *sites = json_object_get(p, "sites");
        if (json_array_size(sites)) {
            fprintf(out, "\n| site | class | call | count | total | advice "
                         "|\n|---|---|---|---:|---:|---|\n");
            json_array_foreach(sites, k, x)
            {
                const char *cls = json_string_value(json_object_get(x, "class"));
                const char *fn = json_string_value(json_object_get(x, "fn"));
                fprintf(out, "| `%s` | %s | %s | %lld | %s | %s |\n",
                        json_string_value(json_object_get(x, "id")), cls, fn ? fn : "(cpu)",
                        (long long)json_integer_value(json_object_get(x, "count")),
                        ls_fmt_ns(json_integer_value(json_object_get(x, "total_ns")), a, sizeof a),
                        ls_site_advice(p, x, e, sizeof e));
            }
        }
    }
    ls_fmt_use_process(NULL);
    return ferror(out) ? -1 : 0;
}
