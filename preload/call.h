/* call.h -- the steps every wrapper takes around a real call: inline, because on a
 * loop thread they run around every read and write the host makes.
 *
 * The common case (a loop thread inside an iteration, no rule active) costs two
 * TSC reads and a few stores into the loop's own slot: nothing here touches
 * errno, takes a lock or makes a system call. Anything more (injection, a call
 * long enough to keep, strict mode) goes out of line to call.c.
 */
#ifndef LS_CALL_H
#define LS_CALL_H

#include "agent.h"
#include "inject.h"
#include "ticks.h"

int ls_call_begin_slow(struct ls_call *c, int fn, int tkind, intptr_t target, int *err,
                       uint64_t *short_bytes);
void ls_call_end_rest(struct ls_call *c, int tkind, intptr_t target, uint64_t dt);

/* Publishes the call in progress, for the watchdog's view of a hung loop. */
static inline void ls_call_publish(struct ls_call *c, struct ls_loop *l, int fn, int tkind,
                                   intptr_t target, uint64_t start)
{
    c->loop = l;
    c->start = start;
    l->cur_tkind = tkind;
    l->cur_target = target;
    if (ls_target_is_copied(tkind))
        ls_target_copy_text(tkind, target, l->cur_target_text, sizeof l->cur_target_text);
    atomic_store_explicit(&l->cur_start, start, memory_order_relaxed);
    atomic_store_explicit(&l->cur_fn, fn, memory_order_release);
}

/* Decides whether the call is timed and starts the clock. Returns 1 when an
 * injection rule says the wrapper must fail with *err instead of calling. */
static inline int ls_call_begin(struct ls_call *c, int fn, int tkind, intptr_t target, int *err,
                                uint64_t *short_bytes)
{
    struct ls_tls *t = &ls_tls;
    c->loop = NULL;
    if (LS_UNLIKELY(t->guard)) return 0;
    if (LS_UNLIKELY(ls_inject_on))
        return ls_call_begin_slow(c, fn, tkind, target, err, short_bytes);
    struct ls_loop *l = t->loop;
    /* Only calls made inside an iteration count towards a stall. */
    if (!l || !atomic_load_explicit(&l->iter_start, memory_order_relaxed)) return 0;
    c->fn = fn;
    c->rule = -1;
    c->injected_ns = 0;
    ls_call_publish(c, l, fn, tkind, target, ls_ticks());
    return 0;
}

/* Stops the clock. The loop thread is the only writer of its slot's counters,
 * so plain loads and stores do (the watchdog only reads them). */
static inline void ls_call_end(struct ls_call *c, int tkind, intptr_t target)
{
    struct ls_loop *l = c->loop;
    if (!l) return;
    uint64_t dt = ls_ticks() - c->start;
    atomic_store_explicit(&l->cur_fn, -1, memory_order_relaxed);
    atomic_store_explicit(&l->blocked_ticks,
                          atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed) + dt,
                          memory_order_relaxed);
    l->call_count++;
    if (LS_UNLIKELY(dt >= ls_cfg.record_min_ticks || c->injected_ns || ls_cfg.strict))
        ls_call_end_rest(c, tkind, target, dt);
}

#endif
