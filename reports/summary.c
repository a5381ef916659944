/* summary.c -- the few lines `loopstall run` prints on stderr when the command ends.
 *
 * Other tools and tests read these lines, so their sentences are fixed and
 * listed in the README ("What run prints"): the count line, one line per worst
 * stall, "at startup: " before a stall that came before its loop first went
 * idle, the processes that could not report, strict mode's calls, fan-outs.
 */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "frames.h"
#include "render.h"

#define SUMMARY_STALLS 5
#define SUMMARY_STRICT 3

static int at_startup(json_t *stall)
{
    const char *phase = json_string_value(json_object_get(stall, "phase"));
    return phase && !strcmp(phase, "startup");
}

static void stall_line(FILE *out, json_t *proc, json_t *s)
{
    char w[32], cause[2048];
    ls_fmt_use_process(proc);
    const char *c = ls_fmt_stall_cause(s, cause, sizeof cause);
    fprintf(out, "  %s%s %s%s in pid %lld%s%s\n", at_startup(s) ? "at startup: " : "",
            ls_fmt_ns(json_integer_value(json_object_get(s, "wall_ns")), w, sizeof w),
            json_string_value(json_object_get(s, "class")),
            json_is_true(json_object_get(s, "ongoing")) ? " (ongoing)" : "",
            (long long)json_integer_value(json_object_get(proc, "pid")), ": ",
            c ? c : "no call and no stack sample to say where");
    ls_fmt_use_process(NULL);
}

/* The worst stalls of one phase over every process, worst first, up to max. */
static size_t worst_lines(FILE *out, json_t *report, int startup, size_t max)
{
    size_t i, k, shown = 0;
    json_t *p, *s;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_t *worst = ls_stalls_worst_first(p);
        json_array_foreach(worst, k, s)
        {
            if (shown == max) break;
            if (at_startup(s) != startup) continue;
            stall_line(out, p, s);
            shown++;
        }
        json_decref(worst);
    }
    return shown;
}

/* "; 1 process could not report: pid 12 ..." on the count line, so that a run
 * that lost reports never reads as a clean "0 stalls"; more losses go on lines
 * of their own. */
static void losses(FILE *out, json_t *report, int *more)
{
    json_t *l = json_object_get(report, "losses");
    size_t n = json_array_size(l);
    *more = n > 1;
    if (n == 1)
        fprintf(out, "; 1 process could not report: %s", json_string_value(json_array_get(l, 0)));
    else if (n > 1)
        fprintf(out, "; %zu processes could not report:", n);
}

static void strict_lines(FILE *out, json_t *report)
{
    size_t i, k, ncalls = 0, nsites = 0, shown = 0;
    json_t *p, *b;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "blocking_calls"), k, b)
        {
            ncalls += (size_t)json_integer_value(json_object_get(b, "count"));
            nsites++;
        }
    }
    if (!nsites) return;
    fprintf(out, "loopstall: strict: %zu blocking call%s on loop threads, at %zu site%s\n", ncalls,
            ncalls == 1 ? "" : "s", nsites, nsites == 1 ? "" : "s");
    char m[32], where[1024];
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        ls_fmt_use_process(p);
        json_array_foreach(json_object_get(p, "blocking_calls"), k, b)
        {
            if (shown == SUMMARY_STRICT) break;
            shown++;
            json_t *stack = json_object_get(b, "stack");
            const char *target = json_string_value(json_object_get(b, "target"));
            const char *at = ls_fmt_where(stack, ls_culprit_index(stack), where, sizeof where);
            fprintf(out, "  strict: %s x%lld, max %s, in pid %lld%s%s%s%s\n",
                    json_string_value(json_object_get(b, "fn")),
                    (long long)json_integer_value(json_object_get(b, "count")),
                    ls_fmt_ns(json_integer_value(json_object_get(b, "max_ns")), m, sizeof m),
                    (long long)json_integer_value(json_object_get(p, "pid")), target ? " on " : "",
                    target ? target : "", at ? " in " : "", at ? at : "");
        }
        ls_fmt_use_process(NULL);
    }
    if (nsites > shown) fprintf(out, "  strict: ... and %zu more\n", nsites - shown);
}

void ls_render_summary(json_t *report, const char *json_path, FILE *out)
{
    size_t i, k, serving = 0, startup = 0, nloops = 0, nprocs = 0;
    json_t *p, *s;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        nprocs++;
        json_array_foreach(json_object_get(p, "loops"), k, s) nloops += ls_loop_counts(p, s);
        json_array_foreach(json_object_get(p, "stalls"), k, s)
        {
            if (at_startup(s))
                startup++;
            else
                serving++;
        }
    }
    char thr[32], fr[512];
    ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), thr, sizeof thr);
    if (startup)
        fprintf(out, "loopstall: %zu stall%s while serving, %zu at startup, over %s", serving,
                serving == 1 ? "" : "s", startup, thr);
    else
        fprintf(out, "loopstall: %zu stall%s over %s", serving, serving == 1 ? "" : "s", thr);
    fprintf(out, " in %zu loop%s (%zu process%s)", nloops, nloops == 1 ? "" : "s", nprocs,
            nprocs == 1 ? "" : "es");
    int more_losses;
    losses(out, report, &more_losses);
    fputc('\n', out);
    json_t *l;
    if (more_losses)
        json_array_foreach(json_object_get(report, "losses"), i, l)
            fprintf(out, "  could not report: %s\n", json_string_value(l));
    size_t shown = worst_lines(out, report, 0, SUMMARY_STALLS);
    if (serving > shown) fprintf(out, "  ... and %zu more\n", serving - shown);
    shown = worst_lines(out, report, 1, SUMMARY_STALLS);
    if (startup > shown) fprintf(out, "  at startup: ... and %zu more\n", startup - shown);
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        ls_fmt_use_process(p);
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
        ls_fmt_use_process(NULL);
    }
    strict_lines(out, report);
    if (json_path) fprintf(out, "loopstall: report written to %s\n", json_path);
}
