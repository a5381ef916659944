/* result.c -- prints a lab's result in the chapter's format and writes it as JSON. */
#include <errno.h>
#include <stdio.h>

#include "lab.h"

void lab_result_param(struct lab_result *r, const char *name, double value)
{
    if (r->nparams < sizeof(r->params) / sizeof(r->params[0]))
        r->params[r->nparams++] = (struct lab_param){name, value};
}

void lab_result_print(const struct lab_result *r, FILE *out)
{
    double rate = r->wall_s > 0 ? (double)r->count / r->wall_s : 0;
    fprintf(out, "%s\n", r->title);
    /* The chapter prints "N req, X RPS, mean" for HTTP and "N jobs, X/s" for CPU jobs.
     * The loop's lag stands next to the throughput: a variant can be fast and still starve its
     * loop. */
    if (r->unit[0] == 'r')
        fprintf(out, "Wall %.3fs, %zu req, %.1f RPS, mean %.1fms; loop lag p99 %.1fms\n", r->wall_s,
                r->count, rate, r->latency.mean, r->lag.p99);
    else
        fprintf(out, "Wall %.3fs, %zu %s, %.1f/s; loop lag p99 %.1fms\n", r->wall_s, r->count,
                r->unit, rate, r->lag.p99);
    fprintf(out, "p50 %.1fms, p99 %.1fms, max %.1fms, mean %.1fms; loop lag p99 %.1fms, max %.1fms",
            r->latency.p50, r->latency.p99, r->latency.max, r->latency.mean, r->lag.p99,
            r->lag.max);
    if (r->errors) fprintf(out, "; %zu errors", r->errors);
    fputc('\n', out);
}

static void put_summary(FILE *f, const char *key, const struct lab_summary *s)
{
    fprintf(f,
            "  \"%s\": {\"n\": %zu, \"mean\": %.3f, \"p50\": %.3f, \"p99\": %.3f, "
            "\"p999\": %.3f, \"max\": %.3f},\n",
            key, s->n, s->mean, s->p50, s->p99, s->p999, s->max);
}

int lab_result_write_json(const struct lab_result *r, const char *path)
{
    FILE *f = fopen(path, "we");
    if (!f) return -errno;
    double rate = r->wall_s > 0 ? (double)r->count / r->wall_s : 0;
    /* Titles and names are our own literals: nothing in them needs JSON escaping. */
    fprintf(f, "{\n  \"lab\": \"%s\",\n  \"variant\": \"%s\",\n  \"title\": \"%s\",\n", r->lab,
            r->variant, r->title);
    fprintf(f, "  \"unit\": \"%s\",\n  \"wall_s\": %.6f,\n  \"count\": %zu,\n  \"errors\": %zu,\n",
            r->unit, r->wall_s, r->count, r->errors);
    fprintf(f, "  \"rate_per_s\": %.3f,\n", rate);
    put_summary(f, "latency_ms", &r->latency);
    put_summary(f, "loop_lag_ms", &r->lag);
    fprintf(f, "  \"params\": {");
    for (size_t i = 0; i < r->nparams; i++)
        fprintf(f, "%s\"%s\": %g", i ? ", " : "", r->params[i].name, r->params[i].value);
    fprintf(f, "}\n}\n");
    if (fclose(f) != 0) return -errno;
    return 0;
}
