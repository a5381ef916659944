/* call.c -- the out-of-line parts of a wrapped call: injection, and keeping a call that mattered.
 */
#include "call.h"

#include <errno.h>
#include <string.h>

#include "stack.h"
#include "strict.h"
#include "target.h"

/* ls_call_begin when a rule is active: decides whether one fires, applies its
 * delay, and says whether the wrapper must fail with *err instead of calling
 * the real function. Keeps errno as the host left it. */
int ls_call_begin_slow(struct ls_call *c, int fn, int tkind, uint64_t target, int *err,
                       uint64_t *short_bytes)
{
    struct ls_tls *t = &ls_tls;
    int saved = errno;
    struct ls_loop *l = t->loop;
    /* Only calls made inside an iteration count towards a stall. */
    if (l && !atomic_load_explicit(&l->iter_start, memory_order_relaxed)) l = NULL;

    uint64_t start = ls_ticks();
    if (ls_inject_wants(fn)) {
        struct ls_inject_action act;
        t->guard = 1;
        int fired = ls_inject_decide(fn, t->loop != NULL, tkind, target, &act);
        t->guard = 0;
        if (fired) {
            c->rule = act.rule;
            if (act.delay_ns) { /* a delay and an error together make a slow failure */
                ls_inject_sleep(act.delay_ns);
                c->injected_ns = act.delay_ns;
            }
            if (act.fail) {
                *err = act.err;
                /* A failed call is still a call the loop made: its delay counts. */
                if (l && c->injected_ns) {
                    ls_call_publish(c, l, start);
                    ls_call_end(c);
                }
                errno = saved;
                return 1;
            }
            if (act.short_bytes) *short_bytes = act.short_bytes;
        }
    }
    if (l) ls_call_publish(c, l, start);
    errno = saved;
    return 0;
}

/* Slot for a call worth keeping: a free one, or the shortest kept if shorter. */
static struct ls_call_rec *keep_slot(struct ls_loop *l, uint64_t wall_ns)
{
    if (l->ncalls < LS_STALL_CALLS) return &l->calls[l->ncalls++];
    struct ls_call_rec *min = &l->calls[0];
    for (int i = 1; i < LS_STALL_CALLS; i++)
        if (l->calls[i].wall_ns < min->wall_ns) min = &l->calls[i];
    return min->wall_ns < wall_ns ? min : NULL;
}

/* The rest of ls_call_end, for a call that was long, injected, or seen in
 * strict mode: keeps it with its target and stack. Preserves errno as the
 * real call left it. */
void ls_call_end_rest(struct ls_call *c, uint64_t dt)
{
    struct ls_loop *l = c->loop;
    struct ls_tls *t = &ls_tls;
    int saved = errno;
    t->guard = 1;
    if (c->injected_ns)
        atomic_store_explicit(&l->injected_ns,
                              atomic_load_explicit(&l->injected_ns, memory_order_relaxed) +
                                  c->injected_ns,
                              memory_order_relaxed);
    if (LS_UNLIKELY(ls_cfg.strict))
        ls_strict_note(l, c->fn, c->tkind, c->target, ls_ticks_to_ns(dt));
    if (dt >= ls_proc.record_min_ticks) {
        uint64_t wall_ns = ls_ticks_to_ns(dt);
        /* Odd while the calls change, so that the watcher copies them whole. */
        atomic_fetch_add_explicit(&l->calls_seq, 1, memory_order_acq_rel);
        struct ls_call_rec *r = keep_slot(l, wall_ns);
        if (r) {
            r->fn = (int16_t)c->fn;
            r->rule = (int16_t)c->rule;
            uint64_t istart = atomic_load_explicit(&l->iter_start, memory_order_relaxed);
            r->start_ns = c->start > istart ? ls_ticks_to_ns(c->start - istart) : 0;
            r->wall_ns = wall_ns;
            r->injected_ns = c->injected_ns;
            ls_target_name(c->tkind, c->target, r->target, sizeof r->target);
            ls_stack_capture(l, &r->stack);
        }
        atomic_fetch_add_explicit(&l->calls_seq, 1, memory_order_acq_rel);
    }
    t->guard = 0;
    errno = saved;
}

/* ls_fast_end's way out for a call that was long (or seen in strict mode): the same as the
 * general path's, from the values the fast path kept in registers. */
void ls_call_end_long(struct ls_loop *l, int fn, int tkind, uint64_t target, uint64_t start,
                      uint64_t dt)
{
    struct ls_call c = {.loop = l,
                        .fn = fn,
                        .rule = -1,
                        .tkind = tkind,
                        .target = target,
                        .start = start,
                        .injected_ns = 0,
                        .hits = 0};
    ls_call_end_rest(&c, dt);
}
