/* test-hist.c -- the iteration histogram of watcher/store.c: which bucket an iteration falls in,
 * and percentiles read back from the buckets, against a sorted array's true percentiles.
 *
 * Buckets are exact below 8 ns and 8 to a power of two above (each 12.5% of its lower edge
 * wide). A percentile is the nearest rank's value, as store.h defines it: "the iteration time
 * below which a fraction q of iterations fall" is the ceil(q*n)-th smallest. The histogram
 * cannot say where inside a bucket it was, so the estimate may be off by a bucket's width,
 * never more, and is never above the longest iteration seen.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

/* The lower edge of bucket b, and its width. */
static uint64_t bucket_lo(unsigned b)
{
    if (b < 8) return b;
    unsigned shift = (b >> 3) - 1;
    return (uint64_t)((b & 7) + 8) << shift;
}

static uint64_t bucket_width(unsigned b)
{
    return b < 8 ? 1 : 1ULL << ((b >> 3) - 1);
}

Test(hist_bucket, below_eight_nanoseconds_each_value_has_its_own_bucket)
{
    for (uint64_t ns = 0; ns < 8; ns++)
        cr_expect_eq(ls_hist_bucket(ns), (unsigned)ns);
    cr_expect_eq(ls_hist_bucket(8), 8u);
    cr_expect_eq(ls_hist_bucket(15), 15u);
    cr_expect_eq(ls_hist_bucket(16), 16u, "16 and 17 share the first two-wide bucket");
    cr_expect_eq(ls_hist_bucket(17), 16u);
}

Test(hist_bucket, every_edge_of_every_bucket_falls_on_the_right_side)
{
    for (unsigned b = 8; b < 496; b++) {
        uint64_t lo = bucket_lo(b), hi = lo + bucket_width(b) - 1;
        cr_assert_eq(ls_hist_bucket(lo), b, "lower edge %llu of bucket %u", (unsigned long long)lo,
                     b);
        cr_assert_eq(ls_hist_bucket(hi), b, "upper edge %llu of bucket %u", (unsigned long long)hi,
                     b);
        cr_assert_eq(ls_hist_bucket(lo - 1), b - 1, "just below bucket %u", b);
        cr_assert_leq(bucket_width(b) * 8, lo, "bucket %u is at most 12.5%% wide", b);
    }
}

Test(hist_bucket, the_longest_time_a_counter_holds_still_has_a_bucket)
{
    cr_expect_eq(ls_hist_bucket(UINT64_MAX), 495u);
    cr_expect_lt(ls_hist_bucket(UINT64_MAX), (unsigned)LS_HIST_BUCKETS);
}

/* A histogram and the sorted array it was made from. */
struct sample {
    _Atomic uint32_t hist[LS_HIST_BUCKETS];
    uint64_t *v;
    size_t n;
    uint64_t max;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sample_fill(struct sample *s, const uint64_t *v, size_t n)
{
    memset(s, 0, sizeof *s);
    s->v = malloc(n * sizeof *v);
    memcpy(s->v, v, n * sizeof *v);
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&s->hist[ls_hist_bucket(v[i])], 1);
        if (v[i] > s->max) s->max = v[i];
    }
    qsort(s->v, n, sizeof *s->v, cmp_u64);
}

/* The nearest rank: the smallest value with at least q*n values at or below it. */
static uint64_t true_percentile(const struct sample *s, double q)
{
    size_t rank = (size_t)ceil(q * (double)s->n);
    if (rank < 1) rank = 1;
    if (rank > s->n) rank = s->n;
    return s->v[rank - 1];
}

static void expect_within_a_bucket(const struct sample *s, double q, const char *what)
{
    uint64_t truth = true_percentile(s, q);
    uint64_t est = ls_hist_percentile(s->hist, s->max, q);
    uint64_t width = bucket_width(ls_hist_bucket(truth));
    uint64_t off = est > truth ? est - truth : truth - est;
    cr_expect_leq(off, width, "%s: p%g of %zu is %llu, the histogram says %llu (bucket %llu wide)",
                  what, q * 100, s->n, (unsigned long long)truth, (unsigned long long)est,
                  (unsigned long long)width);
    cr_expect_leq(est, s->max, "%s: p%g above the longest iteration", what, q * 100);
}

static const double qs[] = {0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};

Test(hist_percentile, an_empty_histogram_says_zero)
{
    static _Atomic uint32_t hist[LS_HIST_BUCKETS];
    cr_expect_eq(ls_hist_percentile(hist, 0, 0.5), 0);
}

Test(hist_percentile, iterations_under_eight_nanoseconds_are_exact)
{
    static struct sample s;
    uint64_t v[] = {0, 1, 1, 2, 3, 5, 7, 7};
    sample_fill(&s, v, 8);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        cr_expect_eq(ls_hist_percentile(s.hist, s.max, qs[i]), true_percentile(&s, qs[i]), "p%g",
                     qs[i] * 100);
    free(s.v);
}

Test(hist_percentile, never_above_the_longest_iteration_seen)
{
    static struct sample s;
    uint64_t v[] = {961}; /* bucket [960, 1024): its middle, 992, is above the only value */
    sample_fill(&s, v, 1);
    cr_expect_eq(ls_hist_percentile(s.hist, s.max, 0.5), 961);
    cr_expect_eq(ls_hist_percentile(s.hist, s.max, 1.0), 961);
    free(s.v);
}

/* Seeded, so a failure names a case that can be run again. */
static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

Test(hist_percentile, random_iteration_times_read_back_within_a_bucket_of_the_truth)
{
    static struct sample s;
    uint64_t seed = 0x10095a11;
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + next(&seed) % 5000;
        uint64_t *v = malloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            /* Log-uniform from 1 us to about 17 s, the range loops live in. */
            unsigned bits = 10 + (unsigned)(next(&seed) % 25);
            v[i] = (1ULL << bits) + next(&seed) % (1ULL << bits);
        }
        sample_fill(&s, v, n);
        char what[48];
        snprintf(what, sizeof what, "round %d", round);
        for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
            expect_within_a_bucket(&s, qs[i], what);
        free(v);
        free(s.v);
    }
}

Test(hist_percentile, two_stalls_in_a_hundred_and_sixty_iterations_are_the_p99)
{
    /* 158 quick iterations and two 100 ms stalls: 1.25% of iterations took 100 ms, so
     * fewer than 99% fall below anything shorter and p99 is 100 ms. */
    static struct sample s;
    uint64_t v[160];
    for (int i = 0; i < 160; i++)
        v[i] = i < 158 ? 1000000 : 100000000;
    sample_fill(&s, v, 160);
    expect_within_a_bucket(&s, 0.99, "158 x 1 ms + 2 x 100 ms");
    free(s.v);
}
