/* store.h -- the watcher's keep of one image's stalls: the worst in full, the rest folded.
 *
 * Every finished stall reaches the store (drained from the loops' rings).
 * The worst LS_KEEP are kept with all their detail; a stall that does not fit
 * (or is pushed out by a worse one) is folded into an aggregate keyed by its
 * class, culprit call and the innermost frames of its culprit stack, so that
 * a storm of stalls costs bounded memory and bounded report size and still
 * counts every stall. Sites (with their ids) are made from both by the
 * command, in one place (detector/sites.c); the store only keeps.
 * Exited loop threads leave a summary here, so that their slot can be reused.
 */
#ifndef LS_STORE_H
#define LS_STORE_H

#include <stdint.h>

#include "record.h"

#define LS_KEEP        128  /* stalls kept with all their detail */
#define LS_FOLDED      256  /* aggregates of the stalls that were not */
#define LS_GONE_LOOPS  1024 /* summaries of loops whose threads exited */
#define LS_FOLD_FRAMES 8    /* frames that tell two folded causes apart */

struct ls_folded {
    uint64_t key;
    uint8_t cls;
    uint8_t startup;
    int16_t fn; /* culprit call, -1 for cpu */
    uint64_t count, total_ns, max_ns;
    struct ls_stack stack; /* the first such stall's culprit stack */
};

/* A loop's statistics, as the report shows them. */
struct ls_loop_summary {
    int32_t tid;
    int32_t fd;
    char name[16];
    uint64_t iterations, busy_ns, observed_ns, p50_ns, p99_ns, max_ns, dropped;
    uint8_t exited;
};

struct ls_store {
    void *(*alloc)(size_t); /* zeroed memory: mmap in the agent, calloc in the command */
    struct ls_stall_rec *kept;
    uint32_t nkept;
    uint32_t min_kept; /* the shortest kept stall, when min_known (ls_store_add's cache) */
    uint32_t min_known;
    struct ls_folded *folded;
    uint32_t nfolded;
    uint64_t lost; /* stalls not even folded (every aggregate taken) */
    uint64_t folded_count;
    struct ls_loop_summary *gone;
    uint32_t ngone;
    uint64_t gone_lost;
};

void ls_store_add(struct ls_store *st, const struct ls_stall_rec *s);
void ls_store_add_gone(struct ls_store *st, const struct ls_loop_summary *sum);
void ls_store_reset(struct ls_store *st);
/* The stack a stall's cause is judged by: its longest call's, unless the time
 * was not in calls; otherwise its first sample; NULL when it has none. */
const struct ls_stack *ls_stall_culprit_stack(const struct ls_stall_rec *s, int *fn);
/* A loop's summary from its slot (percentiles from the histogram). */
void ls_loop_summarize(const struct ls_record *r, const struct ls_loop *l, uint64_t now_ticks,
                       struct ls_loop_summary *out);
/* The iteration time below which a fraction q of iterations fall. */
uint64_t ls_hist_percentile(const _Atomic uint32_t *hist, uint64_t max_ns, double q);

#endif
