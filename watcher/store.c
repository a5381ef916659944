/* store.c -- keep the worst stalls, fold the rest, summarize exited loops (see store.h). */
#include "store.h"

#include <string.h>

#include "classify.h"
#include "clock.h"

const struct ls_stack *ls_stall_culprit_stack(const struct ls_stall_rec *s, int *fn)
{
    enum ls_class cls = ls_stall_class(s);
    /* A stall whose time was not in calls is the CPU's, not a short call's. */
    if (cls != LS_CLASS_CPU && s->ncalls) {
        if (fn) *fn = s->calls[0].fn;
        return &s->calls[0].stack;
    }
    if (fn) *fn = -1;
    return s->nsamples ? &s->samples[0] : NULL;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static void fold(struct ls_store *st, const struct ls_stall_rec *s)
{
    int fn;
    const struct ls_stack *stk = ls_stall_culprit_stack(s, &fn);
    enum ls_class cls = ls_stall_class(s);
    uint64_t key = mix(mix(mix(0, (uint64_t)cls), (uint64_t)(int64_t)fn), s->startup);
    if (stk) {
        for (unsigned i = 0; i < stk->n && i < LS_FOLD_FRAMES; i++)
            key = mix(key, stk->ip[i]);
        for (unsigned i = 0; i < stk->npy && i < LS_FOLD_FRAMES; i++)
            key = mix(mix(key, stk->py[i].code), (uint64_t)stk->py[i].line);
    }
    st->folded_count++;
    if (!st->folded && !(st->folded = st->alloc(LS_FOLDED * sizeof *st->folded))) {
        st->lost++;
        return;
    }
    for (uint32_t i = 0; i < st->nfolded; i++) {
        struct ls_folded *f = &st->folded[i];
        if (f->key != key) continue;
        f->count++;
        f->total_ns += s->wall_ns;
        if (s->wall_ns > f->max_ns) f->max_ns = s->wall_ns;
        return;
    }
    if (st->nfolded == LS_FOLDED) {
        st->lost++;
        return;
    }
    struct ls_folded *f = &st->folded[st->nfolded++];
    f->key = key;
    f->cls = (uint8_t)cls;
    f->startup = s->startup;
    f->fn = (int16_t)fn;
    f->count = 1;
    f->total_ns = f->max_ns = s->wall_ns;
    if (stk)
        f->stack = *stk;
    else
        memset(&f->stack, 0, sizeof f->stack);
}

void ls_store_add(struct ls_store *st, const struct ls_stall_rec *s)
{
    if (!st->kept && !(st->kept = st->alloc(LS_KEEP * sizeof *st->kept))) {
        fold(st, s);
        return;
    }
    if (st->nkept < LS_KEEP) {
        st->kept[st->nkept++] = *s;
        st->min_known = 0;
        return;
    }
    /* Full: the shortest kept stall makes room for a longer one, and is folded. Which one is
     * shortest is looked for again only when it was replaced: in a storm of alike stalls few
     * beat the shortest of the longest kept, and a scan touches every kept record (12 KiB each;
     * it was 6% of the direct watcher's CPU in a storm of 10,000). */
    if (!st->min_known) {
        uint32_t min = 0;
        for (uint32_t i = 1; i < st->nkept; i++)
            if (st->kept[i].wall_ns < st->kept[min].wall_ns) min = i;
        st->min_kept = min;
        st->min_known = 1;
    }
    uint32_t min = st->min_kept;
    if (st->kept[min].wall_ns < s->wall_ns) {
        fold(st, &st->kept[min]);
        st->kept[min] = *s;
        st->min_known = 0;
    } else {
        fold(st, s);
    }
}

void ls_store_add_gone(struct ls_store *st, const struct ls_loop_summary *sum)
{
    if (!st->gone && !(st->gone = st->alloc(LS_GONE_LOOPS * sizeof *st->gone))) {
        st->gone_lost++;
        return;
    }
    if (st->ngone == LS_GONE_LOOPS) {
        st->gone_lost++;
        return;
    }
    st->gone[st->ngone++] = *sum;
}

void ls_store_reset(struct ls_store *st)
{
    st->nkept = st->nfolded = st->ngone = 0;
    st->min_known = 0;
    st->lost = st->folded_count = st->gone_lost = 0;
}

uint64_t ls_hist_percentile(const _Atomic uint32_t *hist, uint64_t max_ns, double q)
{
    uint64_t total = 0;
    for (int b = 0; b < LS_HIST_BUCKETS; b++)
        total += atomic_load_explicit(&hist[b], memory_order_relaxed);
    if (!total) return 0;
    /* The value below which a fraction q falls: the ceil(q n)-th smallest. */
    double want = q * (double)total;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want) rank++;
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < LS_HIST_BUCKETS; b++) {
        seen += atomic_load_explicit(&hist[b], memory_order_relaxed);
        if (seen < rank) continue;
        if (b < (1 << LS_HIST_SUB_BITS)) return (uint64_t)b;
        /* The bucket's middle: 12.5% wide buckets put it within 6.25% of the truth. */
        unsigned shift = (unsigned)(b >> LS_HIST_SUB_BITS) - 1;
        uint64_t sub = (uint64_t)(b & ((1 << LS_HIST_SUB_BITS) - 1)) + (1u << LS_HIST_SUB_BITS);
        uint64_t mid = (sub << shift) + ((1ULL << shift) >> 1);
        return mid > max_ns ? max_ns : mid;
    }
    return max_ns;
}

void ls_loop_summarize(const struct ls_record *r, const struct ls_loop *l, uint64_t now_ticks,
                       struct ls_loop_summary *out)
{
    memset(out, 0, sizeof *out);
    out->tid = l->tid;
    out->fd = atomic_load_explicit(&l->loop_fd, memory_order_relaxed);
    memcpy(out->name, l->name, sizeof out->name);
    out->name[sizeof out->name - 1] = '\0';
    out->iterations = atomic_load_explicit(&l->iterations, memory_order_relaxed);
    out->busy_ns = atomic_load_explicit(&l->busy_ns, memory_order_relaxed);
    out->max_ns = atomic_load_explicit(&l->max_ns, memory_order_relaxed);
    out->observed_ns =
        now_ticks > l->adopted_ticks ? ls_rec_to_ns(r, now_ticks - l->adopted_ticks) : 0;
    out->p50_ns = ls_hist_percentile(l->hist, out->max_ns, 0.50);
    out->p99_ns = ls_hist_percentile(l->hist, out->max_ns, 0.99);
    out->dropped = atomic_load_explicit(&l->ring_dropped, memory_order_relaxed);
    out->exited = atomic_load_explicit(&l->state, memory_order_relaxed) == LS_SLOT_GONE;
}
