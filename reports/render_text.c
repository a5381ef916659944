/* render_text.c -- the text report: per process, per loop, stalls worst first (serving, then
 * startup), then sites with advice; one stall is written by text_stall.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "format.h"
#include "frames.h"
#include "render.h"
#include "text_stall.h"

#define STALLS_SHOWN 20

/* One argument as a shell would need it to be typed again: as it is when it holds only
 * characters no shell treats specially, else in single quotes ('\'' for a quote). */
static void print_word(FILE *out, const char *w)
{
    if (!w) w = "";
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "-_./:=+,@%") == strlen(w)) {
        fputs(w, out);
        return;
    }
    fputc('\'', out);
    for (; *w; w++)
        if (*w == '\'')
            fputs("'\\''", out);
        else
            fputc(*w, out);
    fputc('\'', out);
}

static void print_argv(FILE *out, json_t *argv)
{
    size_t i;
    json_t *a;
    json_array_foreach(argv, i, a)
    {
        if (i) fputc(' ', out);
        print_word(out, json_string_value(a));
    }
}

static void print_loop(FILE *out, json_t *proc, json_t *loop)
{
    char a[32], b[32], c[32];
    json_t *it = json_object_get(loop, "iteration_ns");
    long long busy = json_integer_value(json_object_get(loop, "busy_ns"));
    long long seen = json_integer_value(json_object_get(loop, "observed_ns"));
    long long iterations = json_integer_value(json_object_get(loop, "iterations"));
    if (!ls_loop_counts(proc, loop)) {
        fprintf(out,
                "  thread %lld \"%s\" waited in epoll but ran %lld iteration%s: not counted as "
                "a loop\n",
                (long long)json_integer_value(json_object_get(loop, "tid")),
                json_string_value(json_object_get(loop, "name")), iterations,
                iterations == 1 ? "" : "s");
        return;
    }
    fprintf(out,
            "  loop thread %lld \"%s\": %lld iterations, busy %.1f%%, iteration p50 %s, p99 %s, "
            "max %s\n",
            (long long)json_integer_value(json_object_get(loop, "tid")),
            json_string_value(json_object_get(loop, "name")), iterations,
            seen > 0 ? 100.0 * (double)busy / (double)seen : 0.0,
            ls_fmt_ns(json_integer_value(json_object_get(it, "p50")), a, sizeof a),
            ls_fmt_ns(json_integer_value(json_object_get(it, "p99")), b, sizeof b),
            ls_fmt_ns(json_integer_value(json_object_get(it, "max")), c, sizeof c));
}

static int at_startup(json_t *stall)
{
    const char *phase = json_string_value(json_object_get(stall, "phase"));
    return phase && !strcmp(phase, "startup");
}

/* The stalls of one phase, worst first; returns how many there were. */
static size_t print_phase(FILE *out, json_t *worst, int startup, size_t *numbered)
{
    size_t k, n = 0, shown = 0;
    json_t *x;
    json_array_foreach(worst, k, x) n += at_startup(x) == startup;
    if (!n) return 0;
    if (startup)
        fprintf(out, "  %zu stall%s at startup (before the loop first went idle), worst first:\n",
                n, n == 1 ? "" : "s");
    else
        fprintf(out, "  %zu stall%s while serving, worst first:\n", n, n == 1 ? "" : "s");
    json_array_foreach(worst, k, x)
    {
        if (at_startup(x) != startup) continue;
        if (shown == STALLS_SHOWN) {
            fprintf(out, "   ... %zu more in the JSON report\n", n - shown);
            break;
        }
        ls_text_stall(out, x, ++*numbered);
        shown++;
    }
    return n;
}

static void print_sites(FILE *out, json_t *proc)
{
    json_t *sites = json_object_get(proc, "sites");
    if (!json_array_size(sites)) return;
    fprintf(out, "  sites:\n");
    size_t i;
    json_t *s;
    char t[32], m[32], where[1024], advice[1024];
    json_array_foreach(sites, i, s)
    {
        const char *cls = json_string_value(json_object_get(s, "class"));
        const char *fn = json_string_value(json_object_get(s, "fn"));
        json_t *stack = json_object_get(s, "stack");
        int cpu = cls && !strcmp(cls, "cpu");
        const char *at =
            ls_fmt_where(stack, cpu ? ls_cpu_culprit_index(stack) : ls_culprit_index(stack), where,
                         sizeof where);
        fprintf(out, "   [%s] %s %s x%lld, total %s, max %s%s%s\n",
                json_string_value(json_object_get(s, "id")), cls, fn ? fn : "(cpu)",
                (long long)json_integer_value(json_object_get(s, "count")),
                ls_fmt_ns(json_integer_value(json_object_get(s, "total_ns")), t, sizeof t),
                ls_fmt_ns(json_integer_value(json_object_get(s, "max_ns")), m, sizeof m),
                at ? ", in " : "", at ? at : "");
        fprintf(out, "      advice: %s\n", ls_site_advice(proc, s, advice, sizeof advice));
    }
}

static void print_findings(FILE *out, json_t *proc)
{
    size_t k;
    json_t *x;
    json_array_foreach(json_object_get(proc, "findings"), k, x)
    {
        const char *kind = json_string_value(json_object_get(x, "kind"));
        if (!kind || strcmp(kind, "unbounded_fanout") != 0) continue;
        char buf[512];
        json_t *stack = json_object_get(x, "stack");
        json_t *where = ls_first_interesting_frame(stack);
        fprintf(out,
                "  FINDING unbounded fan-out: %lld threads alive at once (limit %lld), %lld "
                "created%s%s\n",
                (long long)json_integer_value(json_object_get(x, "peak_live_threads")),
                (long long)json_integer_value(json_object_get(x, "limit")),
                (long long)json_integer_value(json_object_get(x, "created")), where ? ", by " : "",
                where ? ls_fmt_frame(where, buf, sizeof buf) : "");
        ls_text_stack(out, stack, ls_culprit_index(stack), "      ");
        fprintf(out,
                "      advice: always cap offloading: a fixed pool with a bounded queue, shedding "
                "the excess early, instead of a thread per request\n");
    }
}

static void print_process(FILE *out, json_t *p)
{
    size_t k;
    json_t *x;
    fprintf(out, "\nprocess %lld (parent %lld): ",
            (long long)json_integer_value(json_object_get(p, "pid")),
            (long long)json_integer_value(json_object_get(p, "ppid")));
    print_argv(out, json_object_get(p, "argv"));
    /* What ran when it is not what the user named (a link: redis-server to redis-check-rdb). */
    const char *exe = json_string_value(json_object_get(p, "exe"));
    if (exe && ls_fmt_exe_differs(p)) fprintf(out, " [exe %s]", exe);
    fprintf(out, "\n");
    json_t *loops = json_object_get(p, "loops");
    size_t counted = 0;
    json_array_foreach(loops, k, x) counted += ls_loop_counts(p, x);
    if (!counted) fprintf(out, "  no event loop seen\n");
    json_array_foreach(loops, k, x) print_loop(out, p, x);
    json_t *stalls = ls_stalls_worst_first(p);
    size_t numbered = 0;
    size_t serving = print_phase(out, stalls, 0, &numbered);
    size_t startup = print_phase(out, stalls, 1, &numbered);
    if (counted && !serving && !startup) fprintf(out, "  0 stalls\n");
    json_decref(stalls);
    print_sites(out, p);
    print_findings(out, p);
    json_t *strict = json_object_get(p, "blocking_calls");
    if (json_array_size(strict))
        fprintf(out,
                "  strict: %zu blocking call site%s on loop threads (listed with the sites, "
                "class strict)\n",
                json_array_size(strict), json_array_size(strict) == 1 ? "" : "s");
    json_array_foreach(json_object_get(p, "injections"), k, x)
    {
        fprintf(out, "  injection %s: fired %lld times\n",
                json_string_value(json_object_get(x, "rule")),
                (long long)json_integer_value(json_object_get(x, "fired")));
    }
    long long dropped = json_integer_value(json_object_get(p, "dropped"));
    if (dropped)
        fprintf(out, "  %lld stalls or loops lost for lack of room (their sites still count)\n",
                dropped);
}

int render_text(json_t *report, FILE *out)
{
    char thr[32];
    fprintf(out,
            "loopstall %s report: ", json_string_value(json_object_get(report, "tool_version")));
    print_argv(out, json_object_get(report, "command"));
    json_t *status = json_object_get(report, "exit_status");
    if (json_is_integer(status))
        fprintf(out, " (exit status %lld)", (long long)json_integer_value(status));
    fprintf(
        out, ", stall threshold %s\n",
        ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), thr, sizeof thr));
    size_t i;
    json_t *p, *l;
    json_array_foreach(json_object_get(report, "losses"), i, l)
        fprintf(out, "could not report: %s\n", json_string_value(l));
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        ls_fmt_use_process(p);
        print_process(out, p);
        ls_fmt_use_process(NULL);
    }
    return ferror(out) ? -1 : 0;
}
