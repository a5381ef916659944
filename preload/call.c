/* call.c -- the out-of-line parts of a wrapped call: injection, and keeping a call that mattered.
 */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "call.h"
#include "inject.h"
#include "ticks.h"

/* ls_call_begin when a rule is active: decides whether one fires, applies
 * its delay, and says whether the wrapper must fail with *err instead of
 * calling the real function. Keeps errno as the host left it. */
int ls_call_begin_slow(struct ls_call *c, int fn, int tkind, intptr_t target, int *err,
                       uint64_t *short_bytes)
{
    struct ls_tls *t = &ls_tls;
    c->fn = fn;
    c->rule = -1;
    c->injected_ns = 0;
    c->errno_saved = errno;
    struct ls_loop *l = t->loop;
    /* Only calls made inside an iteration count towards a stall. */
    if (l && !atomic_load_explicit(&l->iter_start, memory_order_relaxed)) l = NULL;

    uint64_t start = ls_ticks();
    if (ls_inject_on && ls_inject_wants(fn)) {
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
                errno = c->errno_saved;
                return 1;
            }
            if (act.short_bytes) *short_bytes = act.short_bytes;
        }
    }
    if (l) ls_call_publish(c, l, fn, tkind, target, start);
    errno = c->errno_saved;
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
void ls_call_end_rest(struct ls_call *c, int tkind, intptr_t target, uint64_t dt)
{
    struct ls_loop *l = c->loop;
    int saved = errno;
    if (c->injected_ns) l->injected_ns += c->injected_ns;
    if (LS_UNLIKELY(ls_cfg.strict)) {
        ls_tls.guard = 1;
        ls_strict_note(l, c->fn, tkind, target, l->cur_target_text, ls_ticks_to_ns(dt));
        ls_tls.guard = 0;
    }
    if (dt >= ls_cfg.record_min_ticks) {
        uint64_t wall_ns = ls_ticks_to_ns(dt);
        struct ls_call_rec *r = keep_slot(l, wall_ns);
        if (r) {
            struct ls_tls *t = &ls_tls;
            t->guard = 1;
            r->fn = (int16_t)c->fn;
            r->rule = (int16_t)c->rule;
            r->start_ns = ls_ticks_to_ns(
                c->start - atomic_load_explicit(&l->iter_start, memory_order_relaxed));
            r->wall_ns = wall_ns;
            r->injected_ns = c->injected_ns;
            ls_target_of(tkind, target, l->cur_target_text, r->target, sizeof r->target);
            ls_stack_capture(&r->stack);
            t->guard = 0;
        }
    }
    errno = saved;
}
