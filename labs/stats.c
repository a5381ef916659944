/* stats.c -- latency samples and their percentiles (nearest rank). */
#include <errno.h>
#include <stdlib.h>

#include "lab.h"

int lab_stats_add(struct lab_stats *s, uint64_t ns)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *v = realloc(s->v, cap * sizeof(*v));
        if (!v) return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = ns;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples: the smallest value with at least q of them at or
 * below it, so p99 of 100 samples is the 99th and never an interpolation nobody measured. */
static double rank_ms(const struct lab_stats *s, double q)
{
    size_t k = (size_t)(q * (double)s->n + 0.999999);
    if (k < 1) k = 1;
    if (k > s->n) k = s->n;
    return (double)s->v[k - 1] / 1e6;
}

void lab_stats_summary(struct lab_stats *s, struct lab_summary *out)
{
    *out = (struct lab_summary){.n = s->n};
    if (!s->n) return;
    qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += (double)s->v[i];
    out->mean = sum / (double)s->n / 1e6;
    out->p50 = rank_ms(s, 0.50);
    out->p99 = rank_ms(s, 0.99);
    out->p999 = rank_ms(s, 0.999);
    out->max = (double)s->v[s->n - 1] / 1e6;
}

void lab_stats_free(struct lab_stats *s)
{
    free(s->v);
    *s = (struct lab_stats){0};
}
