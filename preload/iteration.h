/* iteration.h -- loop threads and their iterations: adoption, timing, and the stalls they finish.
 *
 * A thread becomes a loop when it waits in the epoll family (or, with
 * LOOPSTALL_LOOP=poll, in poll/ppoll/select); the time from that wait's
 * return to its next call is one iteration. An iteration longer than the
 * threshold is a stall, handed to the watcher through the slot's ring.
 */
#ifndef LS_ITERATION_H
#define LS_ITERATION_H

#include <stdint.h>

#include "state.h"
#include "ticks.h"
#include "watchdog.h"

/* Makes the calling thread a loop waiting on fd: claims a free slot without
 * locks. NULL when every slot is taken (counted in the record). */
struct ls_loop *ls_loop_adopt(struct ls_tls *t, int fd);
/* Out of line, for the inline steps below: a wait that found nothing to do; an iteration at
 * least as long as the threshold (counted, then handed to the watcher as a stall). */
void ls_iteration_saw_idle(struct ls_loop *l, uint64_t waited);
void ls_iteration_end_stall(struct ls_loop *l, uint64_t start, uint64_t ticks);

/* The loop's wait returned at now after waiting waited ticks: an iteration begins, its calls
 * timed on call.h's fast path when fast says so (ls_proc.fast_calls, or 1 where the caller knows
 * it). Inline, like ls_iteration_end: they run once per iteration, a few stores into the loop's
 * own slot. */
static inline __attribute__((always_inline)) void
ls_iteration_begin(struct ls_loop *l, uint64_t now, uint64_t waited, int fast)
{
    if (LS_UNLIKELY(!atomic_load_explicit(&l->idle_seen, memory_order_relaxed)))
        ls_iteration_saw_idle(l, waited);
    l->ncalls = 0;
    atomic_store_explicit(&l->call_count, 0, memory_order_relaxed);
    atomic_store_explicit(&l->injected_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&l->live_nsamples, 0, memory_order_relaxed);
    atomic_store_explicit(&l->blocked_ticks, 0, memory_order_relaxed);
    /* Single writer: a plain increment, no locked instruction. */
    ls_own_add64(&l->iter_seq, 1);
    atomic_store_explicit(&l->iter_start, now, memory_order_release);
    ls_tls.timing = fast ? l : NULL;
    /* A watcher that dozes must see this iteration as it runs, in case it stalls. */
    if (LS_UNLIKELY(atomic_load_explicit(&ls_proc.rec->watcher_asleep, memory_order_relaxed)))
        ls_watchdog_wake();
}

/* Counts one finished iteration of ns in the loop's statistics (the loop thread is their only
 * writer: ls_own_add). */
static inline __attribute__((always_inline)) void ls_iteration_count(struct ls_loop *l, uint64_t ns)
{
    ls_own_add64(&l->iterations, 1);
    ls_own_add64(&l->busy_ns, ns);
    if (ns > atomic_load_explicit(&l->max_ns, memory_order_relaxed))
        atomic_store_explicit(&l->max_ns, ns, memory_order_relaxed);
    ls_own_add32(&l->hist[ls_hist_bucket(ns)], 1);
}

/* No iteration is in progress from now on: the slot's iter_start and the thread's timing
 * pointer (state.h) say so together, wherever an iteration ends or is abandoned. */
static inline __attribute__((always_inline)) void ls_iteration_stop(struct ls_loop *l)
{
    atomic_store_explicit(&l->iter_start, 0, memory_order_release);
    ls_tls.timing = NULL;
}

/* The loop thread enters its wait again (or stops being a loop): the iteration is over. */
static inline __attribute__((always_inline)) void ls_iteration_end(struct ls_loop *l, uint64_t now)
{
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_relaxed);
    if (!start) return;
    ls_iteration_stop(l);
    if (LS_UNLIKELY(now < start)) return; /* a clock that went back (another CPU's TSC) */
    uint64_t ticks = now - start;
    if (LS_UNLIKELY(ticks >= ls_proc.threshold_ticks))
        ls_iteration_end_stall(l, start, ticks);
    else
        ls_iteration_count(l, ls_ticks_to_ns(ticks));
}
/* The loop thread has moved to the epoll fd fd for good: the iteration in
 * progress ends where the thread began waiting on fd (at streak_start), and
 * what those waits added to it (streak_ticks in streak_calls timed calls) is
 * taken out again. */
void ls_loop_switch(struct ls_loop *l, int fd, uint64_t streak_start, uint64_t streak_ticks,
                    uint32_t streak_calls);
/* The loop thread is exiting: its last iteration ends, its slot is the watcher's to retire. */
void ls_loop_thread_exit(struct ls_loop *l);
/* The loop's own fd was closed: that loop has ended (the thread's next wait starts the new one). */
void ls_loop_fd_gone(struct ls_loop *l);

/* The calling thread closes the descriptors lo..hi (close, syscall(SYS_close), close_range):
 * if its loop's fd is one of them, that loop has ended. Inline: every close asks. */
static inline void ls_loop_fd_closed(int lo, int hi)
{
    struct ls_tls *t = &ls_tls;
    struct ls_loop *l = t->loop;
    if (LS_LIKELY(!l) || t->guard) return;
    int fd = atomic_load_explicit(&l->loop_fd, memory_order_relaxed);
    if (LS_UNLIKELY(fd >= lo && fd <= hi)) ls_loop_fd_gone(l);
}
/* In a forked child: no loop of the parent's is this process's. */
void ls_loops_after_fork(void);

#endif
