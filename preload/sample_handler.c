/* sample_handler.c -- the sampling signal's handler (see sample_handler.h). */
#include "sample_handler.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu.h"
#include "state.h"
#include "interp.h"
#include "unwind.h"

/* Someone else sent our signal (kill -60 PID): do what the default
 * disposition does, terminate, with the raw calls (no wrapper, no lock). */
static void default_action(int sig)
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = {SIG_DFL, 0, NULL, 0};
    syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    uint64_t unblock = 1ULL << (sig - 1);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, NULL, 8);
    syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
}

void ls_sample_handler(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    struct ls_record *r = ls_proc.rec;
    if (si->si_code != SI_QUEUE ||
        (uint64_t)(uintptr_t)si->si_value.sival_ptr != r->sample_cookie) {
        default_action(sig);
        errno = saved;
        return;
    }
    struct ls_tls *t = &ls_tls;
    t->sample_hits++; /* an EINTR the thread sees now was ours: its wrapper absorbs it */
    struct ls_loop *l = t->loop;
    if (!l || t->guard) {
        errno = saved;
        return;
    }
    uint32_t slot = atomic_load_explicit(&l->sample_next, memory_order_acquire);
    t->guard = 1; /* whatever the walk calls is the agent's, not the host's */
    /* The thread's exact CPU time, which a watcher outside cannot read (the stall's start), and
     * its count of sleeps, from which the end tells time a hypervisor kept from it (cpu.h). */
    ls_cpu_note_exact_here(r, l);
    if (slot < LS_SAMPLES) {
        struct ls_stack *f = &l->live_samples[slot];
        struct ls_stack_bounds b = {l->stack_lo, l->stack_hi};
        int n = ls_unwind_ucontext(uc, &b, f->ip, LS_FRAMES);
        f->n = (uint8_t)(n > 0 ? n : 0);
        ls_interp_capture(l, f); /* the same instant: its frames are the thread's own, unmoving */
        /* Named now: a module's code (an import) is freed as soon as it has run, long before
         * the stall ends. Fault-safe reads and a lock-free table: no lock, no allocation. */
        ls_interp_resolve(f);
        uint32_t have = atomic_load_explicit(&l->live_nsamples, memory_order_relaxed);
        if (slot + 1 > have)
            atomic_store_explicit(&l->live_nsamples, slot + 1, memory_order_release);
    }
    t->guard = 0;
    errno = saved;
}
