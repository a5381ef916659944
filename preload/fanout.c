/* fanout.c -- count live threads and keep the finding (see fanout.h). */
#include "fanout.h"

#include <unistd.h>

#include "config.h"
#include "identity.h"
#include "lifecycle.h"
#include "stack.h"
#include "state.h"
#include "ticks.h"
#include "unwind.h"

#define LS_FANOUT_MIN_LIMIT 64

/* The default limit, worked out only once a process has that many threads. */
static uint64_t limit(void)
{
    struct ls_record *r = ls_proc.rec;
    if (!r->thread_limit) {
        uint64_t l = ls_cfg.thread_limit;
        if (!l) {
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            l = cores > 8 ? (uint64_t)cores * 8 : LS_FANOUT_MIN_LIMIT;
        }
        r->thread_limit = l;
    }
    return r->thread_limit;
}

void ls_fanout_created(void)
{
    struct ls_record *r = ls_proc.rec;
    uint64_t live = atomic_fetch_add(&r->fanout.live, 1) + 1;
    atomic_fetch_add(&r->fanout.created, 1);
    uint64_t peak = atomic_load(&r->fanout.peak);
    while (live > peak && !atomic_compare_exchange_weak(&r->fanout.peak, &peak, live))
        ;
    if (live <= LS_FANOUT_MIN_LIMIT && !ls_cfg.thread_limit) return;
    if (live > limit() && !atomic_exchange(&r->fanout.found, 1)) {
        struct ls_tls *t = &ls_tls;
        int g = t->guard;
        t->guard = 1;
        r->fanout.first_ns = ls_ticks_to_ns(ls_ticks() - r->start_ticks);
        r->fanout.from_loop = t->loop != NULL;
        ls_unwind_trust_startup(); /* perhaps before any loop: see unwind.h */
        ls_stack_capture(t->loop, &r->fanout.stack);
        /* A finding a fatal signal (or, under run, SIGKILL) must not lose, loop or not. */
        if (!r->argv_len) ls_note_identity(r);
        ls_image_worth_keeping();
        t->guard = g;
    }
}

void ls_fanout_ended(void)
{
    atomic_fetch_sub(&ls_proc.rec->fanout.live, 1);
}
