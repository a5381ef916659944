/* render_text.c -- the text report: per process, per loop, stalls worst first, then sites with
 * advice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "format.h"
#include "render.h"

#define STACK_LINES  6 /* frames shown per stack */
#define STALLS_SHOWN 20

static void print_stack(FILE *out, json_t *stack, const char *indent)
{
    size_t i;
    json_t *f;
    char buf[512];
    json_array_foreach(stack, i, f)
    {
        if (i == STACK_LINES) {
            fprintf(out, "%s... %zu more\n", indent, json_array_size(stack) - i);
            break;
        }
        fprintf(out, "%sat %s\n", indent, ls_fmt_frame(f, buf, sizeof buf));
    }
}

static void print_argv(FILE *out, json_t *argv)
{
    size_t i;
    json_t *a;
    json_array_foreach(argv, i, a) fprintf(out, "%s%s", i ? " " : "", json_string_value(a));
}

/* The innermost named functions across a CPU stall's samples, most frequent first. */
static void print_hottest(FILE *out, json_t *samples)
{
    const char *names[16];
    int counts[16], n = 0;
    size_t i, total = json_array_size(samples);
    json_t *sample;
    char buf[512];
    json_array_foreach(samples, i, sample)
    {
        json_t *f = ls_first_interesting_frame(sample);
        const char *name = f ? ls_fmt_frame(f, buf, sizeof buf) : "?";
        int k = 0;
        while (k < n && strcmp(names[k], name) != 0)
            k++;
        if (k == n && n < 16) {
            names[n] = strdup(name);
            counts[n++] = 0;
        }
        if (k < n) counts[k]++;
    }
    fprintf(out, "      %zu stack samples while it ran, hottest:", total);
    for (int shown = 0; shown < n && shown < 3; shown++) {
        int best = 0;
        for (int k = 1; k < n; k++)
            if (counts[k] > counts[best]) best = k;
        fprintf(out, "%s %s (%d/%zu)", shown ? "," : "", names[best], counts[best], total);
        counts[best] = -1;
    }
    fputc('\n', out);
    for (int k = 0; k < n; k++)
        free((void *)names[k]);
}

static void print_loop(FILE *out, json_t *loop)
{
    char a[32], b[32], c[32];
    json_t *it = json_object_get(loop, "iteration_ns");
    long long busy = json_integer_value(json_object_get(loop, "busy_ns"));
    long long seen = json_integer_value(json_object_get(loop, "observed_ns"));
    fprintf(out,
            "  loop thread %lld \"%s\": %lld iterations, busy %.1f%%, iteration p50 %s, p99 %s, "
            "max %s\n",
            (long long)json_integer_value(json_object_get(loop, "tid")),
            json_string_value(json_object_get(loop, "name")),
            (long long)json_integer_value(json_object_get(loop, "iterations")),
            seen > 0 ? 100.0 * (double)busy / (double)seen : 0.0,
            ls_fmt_ns(json_integer_value(json_object_get(it, "p50")), a, sizeof a),
            ls_fmt_ns(json_integer_value(json_object_get(it, "p99")), b, sizeof b),
            ls_fmt_ns(json_integer_value(json_object_get(it, "max")), c, sizeof c));
}

static void print_stall(FILE *out, json_t *s, size_t n)
{
    char w[32], st[32], bl[32], cpu[32], buf[512];
    fprintf(out, "   #%zu %s %s%s at +%s in thread %lld: blocked %s, cpu %s", n,
            ls_fmt_ns(json_integer_value(json_object_get(s, "wall_ns")), w, sizeof w),
            json_string_value(json_object_get(s, "class")),
            json_is_true(json_object_get(s, "ongoing")) ? " (ONGOING: still running)" : "",
            ls_fmt_ns(json_integer_value(json_object_get(s, "start_ns")), st, sizeof st),
            (long long)json_integer_value(json_object_get(s, "tid")),
            ls_fmt_ns(json_integer_value(json_object_get(s, "blocked_ns")), bl, sizeof bl),
            ls_fmt_ns(json_integer_value(json_object_get(s, "cpu_ns")), cpu, sizeof cpu));
    long long inj = json_integer_value(json_object_get(s, "injected_ns"));
    if (inj) fprintf(out, ", injected %s", ls_fmt_ns(inj, buf, sizeof buf));
    fprintf(out, "\n");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(s, "calls"), i, c)
    {
        const char *target = json_string_value(json_object_get(c, "target"));
        const char *rule = json_string_value(json_object_get(c, "rule"));
        fprintf(out, "      %s %s%s%s%s%s%s\n", json_string_value(json_object_get(c, "fn")),
                ls_fmt_ns(json_integer_value(json_object_get(c, "wall_ns")), w, sizeof w),
                target ? " on " : "", target ? target : "", rule ? " [injected by " : "",
                rule ? rule : "", rule ? "]" : "");
        if (i == 0) print_stack(out, json_object_get(c, "stack"), "        ");
    }
    json_t *samples = json_object_get(s, "samples");
    if (json_array_size(samples)) {
        print_hottest(out, samples);
        fprintf(out, "      every sample was inside:\n");
        print_stack(out, json_object_get(s, "stack"), "        ");
    } else if (!json_array_size(json_object_get(s, "calls"))) {
        fprintf(out, "      no intercepted call and no stack sample explain it\n");
    }
}

static void print_sites(FILE *out, json_t *proc)
{
    json_t *sites = json_object_get(proc, "sites");
    if (!json_array_size(sites)) return;
    fprintf(out, "  sites:\n");
    size_t i;
    json_t *s;
    char t[32], m[32], buf[512];
    json_array_foreach(sites, i, s)
    {
        const char *cls = json_string_value(json_object_get(s, "class"));
        const char *fn = json_string_value(json_object_get(s, "fn"));
        json_t *where = ls_first_interesting_frame(json_object_get(s, "stack"));
        fprintf(out, "   [%s] %s %s x%lld, total %s, max %s%s%s\n",
                json_string_value(json_object_get(s, "id")), cls, fn ? fn : "(cpu)",
                (long long)json_integer_value(json_object_get(s, "count")),
                ls_fmt_ns(json_integer_value(json_object_get(s, "total_ns")), t, sizeof t),
                ls_fmt_ns(json_integer_value(json_object_get(s, "max_ns")), m, sizeof m),
                where ? ", in " : "", where ? ls_fmt_frame(where, buf, sizeof buf) : "");
        fprintf(out, "      advice: %s\n", ls_advice(cls, fn));
    }
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
    size_t i, k;
    json_t *p, *x;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        fprintf(out, "\nprocess %lld (parent %lld): ",
                (long long)json_integer_value(json_object_get(p, "pid")),
                (long long)json_integer_value(json_object_get(p, "ppid")));
        print_argv(out, json_object_get(p, "argv"));
        fprintf(out, "\n");
        json_t *loops = json_object_get(p, "loops");
        if (!json_array_size(loops)) fprintf(out, "  no event loop seen\n");
        json_array_foreach(loops, k, x) print_loop(out, x);
        json_t *stalls = ls_stalls_worst_first(p);
        size_t n = json_array_size(stalls);
        if (json_array_size(loops))
            fprintf(out, "  %zu stall%s%s\n", n, n == 1 ? "" : "s", n ? ", worst first:" : "");
        json_array_foreach(stalls, k, x)
        {
            if (k == STALLS_SHOWN) {
                fprintf(out, "   ... %zu more in the JSON report\n", n - k);
                break;
            }
            print_stall(out, x, k + 1);
        }
        json_decref(stalls);
        print_sites(out, p);
        json_array_foreach(json_object_get(p, "findings"), k, x)
        {
            const char *kind = json_string_value(json_object_get(x, "kind"));
            if (!kind || strcmp(kind, "unbounded_fanout") != 0) continue;
            char buf[512];
            json_t *where = ls_first_interesting_frame(json_object_get(x, "stack"));
            fprintf(out,
                    "  FINDING unbounded fan-out: %lld threads alive at once (limit %lld), %lld "
                    "created%s%s\n",
                    (long long)json_integer_value(json_object_get(x, "peak_live_threads")),
                    (long long)json_integer_value(json_object_get(x, "limit")),
                    (long long)json_integer_value(json_object_get(x, "created")),
                    where ? ", by " : "", where ? ls_fmt_frame(where, buf, sizeof buf) : "");
            print_stack(out, json_object_get(x, "stack"), "      ");
            fprintf(
                out,
                "      advice: always cap offloading: a fixed pool with a bounded queue, shedding "
                "the excess early, instead of a thread per request\n");
        }
        json_t *inj = json_object_get(p, "injections");
        json_array_foreach(inj, k, x)
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
    return ferror(out) ? -1 : 0;
}
