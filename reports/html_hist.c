/* html_hist.c -- a loop thread's iteration-time histogram for the HTML page: the agent's own when
 * the report carries it, else one estimated from the stalls. */
#include <stdio.h>
#include <stdlib.h>

#include "html.h"

/* The agent's scheme (preload/loop.c, hist_bucket): values below 2^bits are
 * exact; above, each power of two is cut into 2^bits sub-buckets. */
#define AGENT_BUCKET_BITS 3
#define MAX_BUCKET_BITS   16

struct bar {
    long long lo, hi, n;
};

/* The range [lo, hi) of bucket b; 0 when b is past what 63 bits hold. */
static int bucket_range(long long b, int bits, long long *lo, long long *hi)
{
    long long sub_count = 1LL << bits;
    if (b < sub_count) {
        *lo = b;
        *hi = b + 1;
        return 1;
    }
    long long shift = (b >> bits) - 1;
    if (shift + bits + 1 > 62) return 0;
    *lo = (sub_count + (b & (sub_count - 1))) << shift;
    *hi = *lo + (1LL << shift);
    return 1;
}

static long long bucket_of(long long ns, int bits)
{
    if (ns < (1LL << bits)) return ns < 0 ? 0 : ns;
    int msb = 63 - __builtin_clzll((unsigned long long)ns);
    long long sub = (ns >> (msb - bits)) & ((1LL << bits) - 1);
    return ((long long)(msb - bits + 1) << bits) + sub;
}

static int by_lo(const void *a, const void *b)
{
    const struct bar *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sorts, merges bars of one bucket, and hands them over as [[lo, hi, n]...]. */
static json_t *bars_json(struct bar *v, size_t n)
{
    qsort(v, n, sizeof *v, by_lo);
    json_t *out = json_array();
    for (size_t i = 0; i < n;) {
        struct bar b = v[i++];
        while (i < n && v[i].lo == b.lo)
            b.n += v[i++].n;
        if (b.n > 0) json_array_append_new(out, json_pack("[I,I,I]", b.lo, b.hi, b.n));
    }
    return out;
}

/* The agent's histogram; NULL with *why set when it cannot be read. */
static json_t *agent_bars(json_t *hist, const char **why)
{
    json_t *bits_v = json_object_get(hist, "bucket_bits");
    json_t *counts = json_object_get(hist, "counts");
    long long bits = json_integer_value(bits_v);
    if (!json_is_integer(bits_v) || bits < 1 || bits > MAX_BUCKET_BITS) {
        *why = "bucket_bits must be an integer from 1 to 16";
        return NULL;
    }
    if (!json_is_array(counts)) {
        *why = "counts must be an array of [bucket index, count] pairs";
        return NULL;
    }
    size_t n = json_array_size(counts), i;
    struct bar *v = calloc(n ? n : 1, sizeof *v);
    json_t *pair;
    json_array_foreach(counts, i, pair)
    {
        json_t *b = json_array_get(pair, 0), *c = json_array_get(pair, 1);
        if (json_array_size(pair) != 2 || !json_is_integer(b) || !json_is_integer(c) ||
            json_integer_value(b) < 0 || json_integer_value(c) < 0) {
            *why = "counts must be [bucket index, count] pairs of non-negative integers";
            free(v);
            return NULL;
        }
        if (!bucket_range(json_integer_value(b), (int)bits, &v[i].lo, &v[i].hi)) {
            *why = "a bucket index is beyond the nanoseconds 63 bits hold";
            free(v);
            return NULL;
        }
        v[i].n = json_integer_value(c);
    }
    json_t *out = bars_json(v, n);
    free(v);
    return out;
}

/* The stalls of this loop binned as the agent bins: exact counts, but only of
 * the iterations that ran past the threshold. */
static json_t *stall_bars(json_t *proc, json_int_t tid)
{
    json_t *stalls = json_object_get(proc, "stalls"), *s;
    size_t n = 0, i;
    struct bar *v = calloc(json_array_size(stalls) + 1, sizeof *v);
    json_array_foreach(stalls, i, s)
    {
        if (json_integer_value(json_object_get(s, "tid")) != tid) continue;
        long long b =
            bucket_of(json_integer_value(json_object_get(s, "wall_ns")), AGENT_BUCKET_BITS);
        if (!bucket_range(b, AGENT_BUCKET_BITS, &v[n].lo, &v[n].hi)) continue;
        v[n++].n = 1;
    }
    json_t *out = bars_json(v, n);
    free(v);
    return out;
}

json_t *ls_html_hist(json_t *proc, json_t *loop)
{
    char caption[320];
    long long iterations = json_integer_value(json_object_get(loop, "iterations"));
    json_t *hist = json_object_get(loop, "iteration_hist");
    const char *why = NULL;
    if (hist) {
        json_t *bars = agent_bars(hist, &why);
        if (bars) {
            snprintf(caption, sizeof caption,
                     "All %lld iterations, from the agent's iteration histogram.", iterations);
            return json_pack("{s:s, s:s, s:o}", "source", "agent", "caption", caption, "bars",
                             bars);
        }
    }
    json_t *bars = stall_bars(proc, json_integer_value(json_object_get(loop, "tid")));
    long long stalls = 0;
    size_t i;
    json_t *b;
    json_array_foreach(bars, i, b)
    {
        stalls += json_integer_value(json_array_get(b, 2));
    }
    /* What the bars are: this loop's stalls, which the report keeps one by one. */
    char what[96];
    if (stalls)
        snprintf(what, sizeof what, "the bars are this loop's %lld stall%s", stalls,
                 stalls == 1 ? "" : "s");
    else
        snprintf(what, sizeof what, "this loop had no stall");
    if (why)
        snprintf(caption, sizeof caption,
                 "Estimated: the report's iteration_hist was not used (%s); %s, the lines mark "
                 "p50, p99 and max of all %lld iterations.",
                 why, what, iterations);
    else
        snprintf(caption, sizeof caption,
                 "Estimated: the report has no iteration histogram; %s, the lines mark p50, p99 "
                 "and max of all %lld iterations.",
                 what, iterations);
    return json_pack("{s:s, s:s, s:o}", "source", "stalls", "caption", caption, "bars", bars);
}
