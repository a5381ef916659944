/* call.h -- the steps every wrapper takes around a real call: inline, because on a
 * loop thread they run around every read and write the host makes.
 *
 * Every wrapper, generated or hand-written, times a call one of two ways. The general tail:
 *     if (ls_call_begin(&c, fn, tkind, target, &err, &short_bytes)) fail with err;
 *     r = real call;
 *     ls_call_end(&c);
 * so that injection, timing, errno and the re-entrancy guard cannot be
 * skipped; or, when ls_fast_loop says that none of them has anything to do
 * (a loop thread inside an iteration, the TSC as clock, no rule active, not
 * inside the agent), the fast path: ls_fast_begin, the real call, ls_fast_end.
 * Either costs two clock reads and a few stores into the loop's own slot:
 * nothing here touches errno, takes a lock, copies an argument or makes a
 * system call. Anything more (injection, a call long enough to keep, strict
 * mode) goes out of line to call.c.
 */
#ifndef LS_CALL_H
#define LS_CALL_H

#include "config.h"
#include "inject.h"
#include "state.h"
#include "ticks.h"

struct ls_call {
    struct ls_loop *loop; /* NULL: not timed */
    int fn;
    int rule;
    int tkind;
    uint64_t target;
    uint64_t start;
    uint64_t injected_ns;
    uint32_t hits; /* our sampling signal's count at the start (an EINTR since was ours) */
};

int ls_call_begin_slow(struct ls_call *c, int fn, int tkind, uint64_t target, int *err,
                       uint64_t *short_bytes);
void ls_call_end_rest(struct ls_call *c, uint64_t dt);
void ls_call_end_long(struct ls_loop *l, int fn, int tkind, uint64_t target, uint64_t start,
                      uint64_t dt);

/* Publishes the call in progress, for the watcher's view of a hung loop: the
 * raw target (a descriptor or an address), named only if it comes to matter. */
static inline __attribute__((always_inline)) void
ls_slot_publish(struct ls_loop *l, int fn, int tkind, uint64_t target, uint64_t start)
{
    atomic_store_explicit(&l->cur_tkind, tkind, memory_order_relaxed);
    atomic_store_explicit(&l->cur_target, target, memory_order_relaxed);
    atomic_store_explicit(&l->cur_start, start, memory_order_relaxed);
    atomic_store_explicit(&l->cur_fn, fn, memory_order_release);
}

/* A call that ended after dt ticks: no longer in progress, and counted in the iteration's
 * calls and blocked time. The loop thread is the only writer of its slot's counters (the
 * watcher only reads them): ls_own_add. */
static inline __attribute__((always_inline)) void ls_slot_account(struct ls_loop *l, uint64_t dt)
{
    atomic_store_explicit(&l->cur_fn, -1, memory_order_relaxed);
    ls_own_add64(&l->blocked_ticks, dt);
    ls_own_add32(&l->call_count, 1);
}

/* The fast path, which nearly every timed call takes: a loop thread inside an iteration, the
 * TSC as the clock, no rule active, not inside the agent. Nothing goes through a struct
 * ls_call on the stack: the values stay in registers, and only a call long enough to keep (or
 * any call in strict mode) goes out of line, with them. ls_fast_loop says whether a call takes
 * it (the loop, or NULL for the general path below); ls_fast_begin and ls_fast_end do what
 * ls_call_begin and ls_call_end do in that case, in fewer instructions: an nginx worker makes
 * three timed calls per request (open, sendfile, close). */
static inline __attribute__((always_inline)) struct ls_loop *ls_fast_loop(void)
{
    struct ls_tls *t = &ls_tls;
    struct ls_loop *l = t->timing;
    return LS_LIKELY(l != NULL && !t->guard) ? l : NULL;
}

static inline __attribute__((always_inline)) uint64_t ls_fast_begin(struct ls_loop *l, int fn,
                                                                    int tkind, uint64_t target)
{
    uint64_t start = ls_tsc();
    ls_slot_publish(l, fn, tkind, target, start);
    return start;
}

static inline __attribute__((always_inline)) void ls_fast_end(struct ls_loop *l, int fn, int tkind,
                                                              uint64_t target, uint64_t start)
{
    uint64_t dt = ls_tsc() - start;
    ls_slot_account(l, dt);
    if (LS_UNLIKELY(dt >= ls_proc.end_min_ticks)) ls_call_end_long(l, fn, tkind, target, start, dt);
}

/* The general path's publish: call c, begun at start, is in progress (ls_slot_publish). */
static inline void ls_call_publish(struct ls_call *c, struct ls_loop *l, uint64_t start)
{
    c->loop = l;
    c->start = start;
    ls_slot_publish(l, c->fn, c->tkind, c->target, start);
}

/* Decides whether the call is timed and starts the clock. Returns 1 when an
 * injection rule says the wrapper must fail with *err instead of calling. */
static inline int ls_call_begin(struct ls_call *c, int fn, int tkind, uint64_t target, int *err,
                                uint64_t *short_bytes)
{
    struct ls_tls *t = &ls_tls;
    c->loop = NULL;
    c->fn = fn;
    c->tkind = tkind;
    c->target = target;
    c->rule = -1;
    c->injected_ns = 0;
    c->hits = t->sample_hits;
    if (LS_UNLIKELY(t->guard)) return 0;
    if (LS_UNLIKELY(ls_inject_on))
        return ls_call_begin_slow(c, fn, tkind, target, err, short_bytes);
    struct ls_loop *l = t->loop;
    /* Only calls made inside an iteration count towards a stall. */
    if (!l || !atomic_load_explicit(&l->iter_start, memory_order_relaxed)) return 0;
    ls_call_publish(c, l, ls_ticks());
    return 0;
}

/* Stops the clock. The loop thread is the only writer of its slot's
 * counters, so relaxed loads and stores do (the watcher only reads them). */
static inline void ls_call_end(struct ls_call *c)
{
    struct ls_loop *l = c->loop;
    if (!l) return;
    uint64_t dt = ls_ticks() - c->start;
    ls_slot_account(l, dt);
    if (LS_UNLIKELY(dt >= ls_proc.end_min_ticks)) ls_call_end_rest(c, dt);
    c->loop = NULL; /* ended: a second end is a no-op */
}

/* Names the call by another argument than the one a rule matched (sendfile: its input file,
 * when its socket could not be what waits), before the call is made. */
static inline void ls_call_name_by(struct ls_call *c, uint64_t target)
{
    c->target = target;
    if (c->loop) atomic_store_explicit(&c->loop->cur_target, target, memory_order_relaxed);
}

/* The same call made again after an EINTR of our own: timed like the first
 * (no injection: the rule already had its say), with the signal count reset. */
static inline void ls_call_again(struct ls_call *c, struct ls_loop *l)
{
    c->hits = ls_tls.sample_hits;
    if (l && atomic_load_explicit(&l->iter_start, memory_order_relaxed))
        ls_call_publish(c, l, ls_ticks());
}

/* 1 when the call failed with EINTR because of our own sampling signal (its
 * handler counted a delivery since the call began): the wrapper calls again
 * with what is left of the time, as if nothing had happened. */
static inline int ls_call_eintr_ours(const struct ls_call *c, int failed_eintr)
{
    return LS_UNLIKELY(failed_eintr) && ls_tls.sample_hits != c->hits;
}

#endif
