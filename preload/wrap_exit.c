/* wrap_exit.c -- the ways an image ends, and syscall(): hooks, never timed.
 *
 * _exit, _Exit, quick_exit and abort end the process without running the
 * agent's destructor, and exit_group can come through syscall(): each first
 * tells the agent that the image ends (lifecycle.h), so that the last stall
 * is finished with its true length and, used directly, the report written.
 * syscall() also absorbs an EINTR our own sampling signal caused in a raw
 * sleep or wait on a loop thread, as the libc wrappers do.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "fdstate.h"
#include "iteration.h"
#include "lifecycle.h"
#include "real.h"
#include "remaining.h"
#include "state.h"
#include "this_process.h"
#include "ticks.h"

LS_EXPORT void _exit(int status)
{
    ls_image_end(LS_END_EXIT, status);
    ls_real__exit_t f = real(_exit);
    if (f) f(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

LS_EXPORT void _Exit(int status)
{
    ls_image_end(LS_END_EXIT, status);
    ls_real__Exit_t f = real(_Exit);
    if (f) f(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

LS_EXPORT void quick_exit(int status)
{
    ls_image_end(LS_END_EXIT, status);
    ls_real_quick_exit_t f = real(quick_exit);
    if (f) f(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

LS_EXPORT void abort(void)
{
    ls_image_end(LS_END_SIGNAL, 128 + SIGABRT);
    ls_real_abort_t f = real(abort);
    if (f) f();
    syscall(SYS_exit_group, 128 + SIGABRT);
    __builtin_unreachable();
}

/* Raw waits whose kernel call writes back the time left (ppoll, select,
 * pselect6), so that calling again with the same arguments waits the rest. */
static int updates_timeout(long nr)
{
    return nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6;
}

LS_EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    ls_real_syscall_t f = real(syscall);
    if (LS_UNLIKELY(!f)) return errno = ENOSYS, -1;
    if (LS_UNLIKELY(nr == SYS_exit_group)) ls_image_end(LS_END_EXIT, (int)a1);
    if (LS_UNLIKELY(nr == SYS_close || nr == SYS_close_range)) {
        /* libuv closes with the raw call (no cancellation point): the loop and the descriptor
         * cache must hear of it as of close(). The call stays the raw one the host asked for. */
        unsigned lo = (unsigned)a1, hi = nr == SYS_close ? (unsigned)a1 : (unsigned)a2;
        /* A vfork child's descriptors are its own (close_range's getpid only: a range is rare). */
        int closes =
            nr == SYS_close || (!((unsigned)a3 & CLOSE_RANGE_CLOEXEC) && ls_is_this_process());
        if (closes) {
            ls_loop_fd_closed((int)(lo > INT_MAX ? INT_MAX : lo),
                              (int)(hi > INT_MAX ? INT_MAX : hi));
            ls_fd_forget_range(lo, hi);
        }
        long r = f(nr, a1, a2, a3, a4, a5, a6);
        if (closes) {
            int saved = errno;
            ls_fd_forget_range(lo, hi);
            errno = saved;
        }
        return r;
    }
    struct ls_tls *t = &ls_tls;
    if (LS_LIKELY(!t->loop) || t->guard) return f(nr, a1, a2, a3, a4, a5, a6);
    int ms_timeout = nr == SYS_poll ? 3 : (nr == SYS_epoll_wait || nr == SYS_epoll_pwait) ? 4 : 0;
    int rem_arg = nr == SYS_nanosleep ? 2 : nr == SYS_clock_nanosleep ? 4 : 0;
    if (!ms_timeout && !rem_arg && !updates_timeout(nr)) return f(nr, a1, a2, a3, a4, a5, a6);
    uint64_t start = ls_ticks();
    int tmo = ms_timeout == 3 ? (int)a3 : ms_timeout == 4 ? (int)a4 : 0;
    struct timespec mine, again;
    long *rem = rem_arg == 2 ? &a2 : rem_arg == 4 ? &a4 : NULL;
    if (rem && !*rem) *rem = (long)(uintptr_t)&mine; /* the time left is needed to sleep again */
    for (;;) {
        uint32_t hits = t->sample_hits;
        long r = f(nr, a1, a2, a3, a4, a5, a6);
        if (r != -1 || errno != EINTR || t->sample_hits == hits) return r;
        if (rem) {
            again = *(struct timespec *)(uintptr_t)*rem;
            if (rem_arg == 2)
                a1 = (long)(uintptr_t)&again;
            else if (!(a2 & TIMER_ABSTIME))
                a3 = (long)(uintptr_t)&again;
        } else if (ms_timeout == 3) {
            a3 = ls_remaining_ms(tmo, start);
        } else if (ms_timeout == 4) {
            a4 = ls_remaining_ms(tmo, start);
        }
    }
}
