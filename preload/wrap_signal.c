/* wrap_signal.c -- signal dispositions and masks: hooks, never timed.
 *
 * The agent's handlers (the sampler's, and used directly the fatal-signal
 * ones) must be invisible: a host asking for a disposition the agent set
 * hears SIG_DFL, and a host setting its own takes the signal over for good.
 * A loop thread's mask decides whether it may be sampled at all: a thread
 * that blocks our signal is never sent it (it would stay pending, for a
 * later ppoll or signalfd to take).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "fatal.h"
#include "real.h"
#include "sampler.h"
#include "state.h"

static int is_ours(int sig, const struct sigaction *sa)
{
    if (!(sa->sa_flags & SA_SIGINFO)) return 0;
    return ls_sampler_is_ours(sa->sa_sigaction) || ls_fatal_is_ours(sig, sa->sa_sigaction);
}

static void show_default(struct sigaction *old)
{
    memset(old, 0, sizeof *old);
    old->sa_handler = SIG_DFL;
}

static void host_claims(int sig)
{
    ls_sampler_host_claims(sig);
    ls_fatal_host_claims(sig);
}

LS_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    ls_real_sigaction_t f = real(sigaction);
    if (LS_UNLIKELY(!f)) return errno = ENOSYS, -1;
    if (ls_tls.guard) return f(sig, act, old);
    int saved = errno;
    if (act) {
        struct sigaction mine;
        int r = f(sig, act, &mine);
        if (r != 0) return r;
        if (is_ours(sig, &mine)) host_claims(sig);
        if (old) {
            if (is_ours(sig, &mine))
                show_default(old);
            else
                *old = mine;
        }
        errno = saved;
        return 0;
    }
    int r = f(sig, NULL, old);
    if (r == 0 && old && is_ours(sig, old)) show_default(old);
    return r;
}

LS_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    ls_real_signal_t f = real(signal);
    if (LS_UNLIKELY(!f)) return errno = ENOSYS, SIG_ERR;
    if (ls_tls.guard) return f(sig, h);
    struct sigaction now;
    ls_real_sigaction_t sa = real(sigaction);
    int was_ours = sa && sa(sig, NULL, &now) == 0 && is_ours(sig, &now);
    sighandler_t prev = f(sig, h);
    if (prev == SIG_ERR) return prev;
    if (was_ours) {
        host_claims(sig);
        return SIG_DFL;
    }
    return prev;
}

/* After the host changed the calling thread's mask: does it block ours? */
static void mask_changed(const sigset_t *set)
{
    struct ls_loop *l = ls_tls.loop;
    /* The agent's own masks (its handler, its threads) are not the host's. */
    if (!set || !l || ls_tls.guard) return;
    sigset_t cur;
    int saved = errno;
    ls_real_pthread_sigmask_t f = real(pthread_sigmask);
    if (f && f(SIG_BLOCK, NULL, &cur) == 0) ls_sampler_mask_changed(l, &cur);
    errno = saved;
}

LS_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    ls_real_sigprocmask_t f = real(sigprocmask);
    if (LS_UNLIKELY(!f)) return errno = ENOSYS, -1;
    int r = f(how, set, old);
    if (r == 0 && LS_UNLIKELY(ls_tls.loop != NULL)) mask_changed(set);
    return r;
}

LS_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    ls_real_pthread_sigmask_t f = real(pthread_sigmask);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    int r = f(how, set, old);
    if (r == 0 && LS_UNLIKELY(ls_tls.loop != NULL)) mask_changed(set);
    return r;
}
