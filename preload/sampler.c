/* sampler.c -- choose, install and give up the sampling signal (see sampler.h). */
#include "sampler.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "sample_handler.h"
#include "state.h"
#include "interp.h"
#include "unwind.h"

static _Atomic int installed;    /* 0: not tried, 1: installed, -1: none free */
static int installed_sig;        /* the signal the handler is on */
static _Atomic int host_claimed; /* the host took the signal: sampling is off for good */

/* The record's cookie: a value the host cannot guess by accident. */
static uint64_t new_cookie(void)
{
    uint64_t v = 0;
    if (syscall(SYS_getrandom, &v, sizeof v, 0x0001 /* GRND_NONBLOCK */) != (long)sizeof v)
        v = (uint64_t)ls_mono_ns() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ls_proc.pid;
    return v | 1;
}

static void install(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&installed, &expect, -1)) return;
    for (int sig = SIGRTMAX - 4; sig > SIGRTMIN + 4; sig--) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue; /* the host uses it */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = ls_sample_handler;
        /* Not SA_ONSTACK: a host's small alternate stack is not ours to fill. */
        sa.sa_flags = SA_RESTART | SA_SIGINFO;
        sigfillset(&sa.sa_mask);
        ls_proc.rec->sample_cookie = new_cookie();
        if (sigaction(sig, &sa, NULL) == 0) {
            installed_sig = sig;
            atomic_store(&ls_proc.rec->sample_signal, sig);
            atomic_store(&installed, 1);
        }
        return;
    }
}

int ls_sampler_signal(void)
{
    return atomic_load_explicit(&ls_proc.rec->sample_signal, memory_order_relaxed);
}

void ls_sampler_adopt(struct ls_loop *l)
{
    if (atomic_load_explicit(&installed, memory_order_acquire) == 0) install();
    if (ls_proc.on_adopt) ls_proc.on_adopt();
    int sig = ls_sampler_signal();
    sigset_t cur;
    if (sig && pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0)
        atomic_store_explicit(&l->sig_blocked, sigismember(&cur, sig) == 1, memory_order_relaxed);
    struct ls_stack_bounds b;
    if (ls_stack_bounds_of_self(&b) == 0) {
        l->stack_lo = b.lo;
        l->stack_hi = b.hi;
        /* One walk now binds the functions a walk calls (the agent binds lazily, to
         * start fast): the first sample must not run the loader's resolver in the
         * handler, which would take 2 KiB more of the thread's stack. */
        uint64_t ips[4];
        ls_unwind_trust_startup();
        ls_unwind_here(&b, 0, 0, ips, 4);
    }
    ls_interp_adopt(l);
}

void ls_sampler_host_claims(int sig)
{
    if (atomic_load(&installed) == 1 && sig == installed_sig) {
        atomic_store(&host_claimed, 1);
        atomic_store(&ls_proc.rec->sample_signal, 0);
    }
}

void ls_sampler_mask_changed(struct ls_loop *l, const sigset_t *now_blocked)
{
    int sig = ls_sampler_signal();
    if (sig)
        atomic_store_explicit(&l->sig_blocked, sigismember(now_blocked, sig) == 1,
                              memory_order_relaxed);
}

int ls_sampler_is_ours(void (*h)(int, siginfo_t *, void *))
{
    return h == ls_sample_handler;
}

int ls_sampler_installed_signal(void)
{
    return atomic_load(&installed) == 1 && !atomic_load(&host_claimed) ? installed_sig : 0;
}

void ls_sampler_after_fork(void)
{
    /* The child's record is new: it gets the signal and a cookie of its own. */
    if (atomic_load(&installed) == 1 && !atomic_load(&host_claimed)) {
        ls_proc.rec->sample_cookie = new_cookie();
        atomic_store(&ls_proc.rec->sample_signal, installed_sig);
    }
}
