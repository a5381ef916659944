/* iteration.c -- adoption, iterations, and finished stalls (see iteration.h). */
#include "iteration.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu.h"
#include "identity.h"
#include "interp.h"
#include "modules.h"
#include "sampler.h"
#include "store.h"
#include "this_process.h"
#include "ticks.h"
#include "watchdog.h"

#define LS_IDLE_WAIT_NS 1000000 /* a wait this long found nothing to do: the loop is serving */

static void note_high_water(struct ls_record *r, uint32_t used)
{
    uint32_t hw = atomic_load_explicit(&r->nloops, memory_order_relaxed);
    while (used > hw && !atomic_compare_exchange_weak_explicit(
                            &r->nloops, &hw, used, memory_order_release, memory_order_relaxed))
        ;
}

struct ls_loop *ls_loop_adopt(struct ls_tls *t, int fd)
{
    int saved = errno; /* keeps errno intact, like every path of a wrapper */
    struct ls_record *r = ls_proc.rec;
    t->guard = 1;
    for (int i = 0; i < LS_MAX_LOOPS; i++) {
        struct ls_loop *l = &r->loops[i];
        uint32_t expect = LS_SLOT_FREE;
        if (!atomic_compare_exchange_strong(&l->state, &expect, LS_SLOT_CLAIMED)) continue;
        ls_ticks_ensure_calibrated();
        l->tid = (int32_t)syscall(SYS_gettid);
        t->tid = l->tid;
        atomic_store_explicit(&l->loop_fd, fd, memory_order_relaxed);
        l->adopted_ticks = ls_ticks();
        prctl(PR_GET_NAME, l->name, 0, 0, 0); /* once: the report may be written after it exits */
        atomic_store_explicit(&l->cur_fn, -1, memory_order_relaxed);
        ls_sampler_adopt(l);
        ls_note_identity(r); /* so that a process killed without a word still has its argv */
        t->streak.n = 0;
        note_high_water(r, (uint32_t)i + 1);
        atomic_store_explicit(&l->state, LS_SLOT_ACTIVE, memory_order_release);
        t->loop = l;
        ls_watchdog_ensure();
        t->guard = 0;
        errno = saved;
        return l;
    }
    t->not_loop = 1;
    atomic_fetch_add(&r->loops_dropped, 1);
    t->guard = 0;
    errno = saved;
    return NULL;
}

void ls_iteration_saw_idle(struct ls_loop *l, uint64_t waited)
{
    if (waited >= ls_proc.threshold_ticks / 20 && ls_ticks_to_ns(waited) >= LS_IDLE_WAIT_NS)
        atomic_store_explicit(&l->idle_seen, 1, memory_order_relaxed);
}

/* Hands a finished stall to the watcher through the loop's ring. Runs on the
 * loop thread at the end of an iteration longer than the threshold: the only
 * place it reads its own CPU time. */
static void finish_stall(struct ls_loop *l, uint64_t start, uint64_t wall_ns, uint64_t seq)
{
    struct ls_record *r = ls_proc.rec;
    uint32_t head = atomic_load_explicit(&l->ring_head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&l->ring_tail, memory_order_acquire);
    if (head - tail >= LS_RING) {
        atomic_fetch_add_explicit(&l->ring_dropped, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->stalls_dropped, 1, memory_order_relaxed);
        return;
    }
    struct ls_stall_rec *s = &l->ring[head % LS_RING];
    uint64_t blocked_ns =
        ls_ticks_to_ns(atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed));
    s->tid = l->tid;
    s->ongoing = 0;
    s->startup = !atomic_load_explicit(&l->idle_seen, memory_order_relaxed);
    s->start_ns = start > r->start_ticks ? ls_ticks_to_ns(start - r->start_ticks) : 0;
    s->wall_ns = wall_ns;
    s->blocked_ns = blocked_ns > wall_ns ? wall_ns : blocked_ns;
    s->injected_ns = atomic_load_explicit(&l->injected_ns, memory_order_relaxed);
    s->call_count = atomic_load_explicit(&l->call_count, memory_order_relaxed);
    ls_stall_fill_cpu_at_end(r, l, seq, s);
    ls_stall_copy_samples(l, s);
    /* A module loaded since the table was taken (a Python extension) must be in it before
     * the process can end: under run the record is all there is once it has. */
    ls_modules_refresh();
    /* The samples' interpreter frames are named now, while their code lives. */
    for (uint32_t i = 0; i < s->nsamples; i++)
        ls_interp_resolve(&s->samples[i]);
    /* Calls longest first; there are at most LS_STALL_CALLS, so insertion sort. */
    s->ncalls = (uint8_t)l->ncalls;
    for (uint32_t i = 0; i < l->ncalls; i++) {
        uint32_t j = i;
        while (j > 0 && s->calls[j - 1].wall_ns < l->calls[i].wall_ns) {
            s->calls[j] = s->calls[j - 1];
            j--;
        }
        s->calls[j] = l->calls[i];
    }
    atomic_store_explicit(&l->ring_head, head + 1, memory_order_release);
}

void ls_iteration_end_stall(struct ls_loop *l, uint64_t start, uint64_t ticks)
{
    int saved = errno;
    struct ls_tls *t = &ls_tls;
    int g = t->guard;
    t->guard = 1;
    /* The watcher refines the clock's rate (under run, in another process): take it up. */
    ls_ticks_thresholds();
    uint64_t ns = ls_ticks_to_ns(ticks);
    ls_iteration_count(l, ns);
    finish_stall(l, start, ns, atomic_load_explicit(&l->iter_seq, memory_order_relaxed));
    t->guard = g;
    errno = saved;
}

void ls_loop_switch(struct ls_loop *l, int fd, uint64_t streak_start, uint64_t streak_ticks,
                    uint32_t streak_calls)
{
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_relaxed);
    if (start && streak_start > start) {
        uint64_t b = atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed);
        atomic_store_explicit(&l->blocked_ticks, b > streak_ticks ? b - streak_ticks : 0,
                              memory_order_relaxed);
        uint32_t n = atomic_load_explicit(&l->call_count, memory_order_relaxed);
        atomic_store_explicit(&l->call_count, n > streak_calls ? n - streak_calls : 0,
                              memory_order_relaxed);
        /* The kept calls made since the streak began were the new loop's waits. */
        uint64_t cut_ns = ls_ticks_to_ns(streak_start - start);
        atomic_fetch_add_explicit(&l->calls_seq, 1, memory_order_acq_rel);
        uint32_t kept = 0;
        for (uint32_t i = 0; i < l->ncalls; i++)
            if (l->calls[i].start_ns < cut_ns) l->calls[kept++] = l->calls[i];
        l->ncalls = kept;
        atomic_fetch_add_explicit(&l->calls_seq, 1, memory_order_acq_rel);
        ls_iteration_end(l, streak_start);
    } else {
        ls_iteration_stop(l);
    }
    atomic_store_explicit(&l->loop_fd, fd, memory_order_relaxed);
}

void ls_loop_thread_exit(struct ls_loop *l)
{
    ls_iteration_end(l, ls_ticks());
    atomic_store_explicit(&l->state, LS_SLOT_GONE, memory_order_release);
}

void ls_loop_fd_gone(struct ls_loop *l)
{
    /* A vfork child closing every descriptor before its exec (CPython's subprocess, close_fds)
     * closes its own copy of the loop's fd, on the loop thread's TLS: the loop goes on. */
    if (!ls_is_this_process()) return;
    atomic_store_explicit(&l->loop_fd, -1, memory_order_relaxed);
    ls_iteration_stop(l);
}

void ls_loops_after_fork(void)
{
    /* The child starts with a fresh record: the forking thread, even if it
     * was a loop in the parent, adopts its own loop at its next wait. */
    ls_tls.loop = NULL;
    ls_tls.timing = NULL;
    ls_tls.not_loop = 0;
    ls_tls.tid = 0;
    ls_tls.streak.n = 0;
}
