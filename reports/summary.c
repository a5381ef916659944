/* summary.c -- the few lines `loopstall run` prints on stderr when the command ends. */
#include <stdio.h>

#include "format.h"
#include "render.h"

#define SUMMARY_STALLS 5

void ls_render_summary(json_t *report, const char *json_path, FILE *out)
{
    size_t i, k, nstalls = 0, nloops = 0, nprocs = 0;
    json_t *p, *s;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        nprocs++;
        nloops += json_array_size(json_object_get(p, "loops"));
        nstalls += json_array_size(json_object_get(p, "stalls"));
    }
    char thr[32], w[32], buf[512], fr[512], lost[96] = "";
    /* A lost report is said on the headline: "0 stalls" alone would read as a clean run. */
    size_t nlost = json_array_size(json_object_get(report, "losses"));
    if (nlost)
        snprintf(lost, sizeof lost, "; %zu process%s could not report: see below", nlost,
                 nlost == 1 ? "" : "es");
    fprintf(out, "loopstall: %zu stall%s over %s in %zu loop%s (%zu process%s%s)\n", nstalls,
            nstalls == 1 ? "" : "s",
            ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), thr, sizeof thr),
            nloops, nloops == 1 ? "" : "s", nprocs, nprocs == 1 ? "" : "es", lost);
    size_t shown = 0;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_t *worst = ls_stalls_worst_first(p);
        json_array_foreach(worst, k, s)
        {
            if (shown == SUMMARY_STALLS) break;
            shown++;
            json_t *where = ls_first_interesting_frame(ls_stall_stack_shown(s));
            const char *culprit = ls_fmt_culprit(s, buf, sizeof buf);
            fprintf(out, "  %s %s%s in pid %lld%s%s%s%s\n",
                    ls_fmt_ns(json_integer_value(json_object_get(s, "wall_ns")), w, sizeof w),
                    json_string_value(json_object_get(s, "class")),
                    json_is_true(json_object_get(s, "ongoing")) ? " (ongoing)" : "",
                    (long long)json_integer_value(json_object_get(p, "pid")), culprit ? ": " : "",
                    culprit ? culprit : "", where ? " at " : "",
                    where ? ls_fmt_frame(where, fr, sizeof fr) : "");
        }
        json_decref(worst);
    }
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "findings"), k, s)
        {
            json_t *where = ls_first_interesting_frame(json_object_get(s, "stack"));
            fprintf(
                out,
                "  unbounded fan-out in pid %lld: %lld threads alive at once (limit %lld)%s%s\n",
                (long long)json_integer_value(json_object_get(p, "pid")),
                (long long)json_integer_value(json_object_get(s, "peak_live_threads")),
                (long long)json_integer_value(json_object_get(s, "limit")),
                where ? ", created at " : "", where ? ls_fmt_frame(where, fr, sizeof fr) : "");
        }
    }
    if (nstalls > shown) fprintf(out, "  ... and %zu more\n", nstalls - shown);
    if (json_path) fprintf(out, "loopstall: report written to %s\n", json_path);
}
