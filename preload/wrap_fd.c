/* wrap_fd.c -- hand-written descriptor wrappers: open, fcntl, close, dup2/dup3, ioctl.
 *
 * What differs from the generated ones: open and fcntl take a third argument
 * only sometimes (open's mode is read as a named parameter where the ABI
 * allows it, fcntl's with va_arg, and passed on); only fcntl's lock commands can
 * block, so only they are timed; and close, dup2, dup3, F_SETFL and FIONBIO
 * change what a descriptor is, which the agent's per-descriptor cache must
 * forget (fdstate.h). Closing the loop's own epoll fd ends that loop. Each
 * then ends in the shared tail (wrap.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <linux/close_range.h>
#include <limits.h>
#include <sys/ioctl.h>

#include "fdstate.h"
#include "iteration.h"
#include "this_process.h"
#include "wrap.h"

/* open's mode argument exists only when the flags create a file, and the real open reads it
 * only then. On x86-64 and AArch64 Linux a variadic caller passes it in the same register as a
 * named third parameter, so the wrappers are defined with it as one (exported under the libc
 * names with asm labels, like the generated ones): no va_start, whose spill of every argument
 * register cost an nginx worker a tenth of the agent's instructions per request. Without O_CREAT
 * or O_TMPFILE the register holds whatever the caller left there; it is passed on and ignored,
 * as by libc. Elsewhere it is read with va_arg, as the C standard has it. */
#if defined(__x86_64__) || defined(__aarch64__)
#define OPEN_PARAMS(params) (LS_UNPAREN params, unsigned mode)
#define OPEN_MODE(flags)
#else
#define OPEN_PARAMS(params) (LS_UNPAREN params, ...)
#define OPEN_MODE(flags)                                                                           \
    unsigned mode = 0;                                                                             \
    if (((flags)&O_CREAT) || ((flags)&O_TMPFILE) == O_TMPFILE) {                                   \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode = va_arg(ap, unsigned);                                                               \
        va_end(ap);                                                                                \
    }
#endif

/* The general path out of line (injection, a call outside an iteration), so that the fast
 * one (call.h) saves few registers: nginx opens a file per request. */
#define OPEN_WRAPPER(name, params, ...)                                                            \
    static __attribute__((noinline)) int general_##name(LS_UNPAREN params, unsigned mode)          \
    {                                                                                              \
        LS_RESOLVE(name);                                                                          \
        LS_TIMED_CALL(name, LS_T_PATH, path, ls_f(__VA_ARGS__, mode));                             \
    }                                                                                              \
    LS_EXPORT int ls_wrap_##name OPEN_PARAMS(params) __asm__(#name);                               \
    LS_EXPORT int ls_wrap_##name OPEN_PARAMS(params)                                               \
    {                                                                                              \
        OPEN_MODE(flags)                                                                           \
        ls_real_##name##_t ls_f = real_to_pass(name);                                              \
        if (LS_LIKELY(ls_f != NULL)) {                                                             \
            if (LS_LIKELY(!ls_tls.loop)) return ls_f(__VA_ARGS__, mode);                           \
            struct ls_loop *ls_l = ls_fast_loop();                                                 \
            if (LS_LIKELY(ls_l != NULL)) {                                                         \
                int ls_r;                                                                          \
                LS_FAST_TIMED(ls_l, name, LS_T_PATH, path, ls_f(__VA_ARGS__, mode));               \
                return ls_r;                                                                       \
            }                                                                                      \
        }                                                                                          \
        return general_##name(__VA_ARGS__, mode);                                                  \
    }

OPEN_WRAPPER(open, (const char *path, int flags), path, flags)
OPEN_WRAPPER(open64, (const char *path, int flags), path, flags)
OPEN_WRAPPER(openat, (int dirfd, const char *path, int flags), dirfd, path, flags)
OPEN_WRAPPER(openat64, (int dirfd, const char *path, int flags), dirfd, path, flags)

/* fcntl's third argument is an int or a pointer depending on cmd; both travel
 * in one register on the ABIs we support, so it is passed on as a long. */
static int is_lock_cmd(int cmd)
{
    return cmd == F_SETLKW || cmd == F_SETLK || cmd == F_OFD_SETLKW || cmd == F_OFD_SETLK;
}

#define FCNTL_WRAPPER(name)                                                                        \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, cmd);                                                                         \
        long arg = va_arg(ap, long);                                                               \
        va_end(ap);                                                                                \
        LS_RESOLVE(name);                                                                          \
        if (cmd == F_SETFL) { /* O_NONBLOCK may change: what fdstate knew is stale */              \
            int ls_r = ls_f(fd, cmd, arg);                                                         \
            int ls_saved = errno;                                                                  \
            ls_fd_forget(fd);                                                                      \
            errno = ls_saved;                                                                      \
            return ls_r;                                                                           \
        }                                                                                          \
        if (ls_wrap_idle() || !is_lock_cmd(cmd)) return ls_f(fd, cmd, arg);                        \
        LS_TIMED_CALL(name, LS_T_FD, fd, ls_f(fd, cmd, arg));                                      \
    } while (0)

LS_EXPORT int fcntl(int fd, int cmd, ...)
{
    FCNTL_WRAPPER(fcntl);
}

LS_EXPORT int fcntl64(int fd, int cmd, ...)
{
    FCNTL_WRAPPER(fcntl64);
}

/* Forgets fd in the descriptor cache after a call that changes what fd is. Not before as well:
 * until the call returns, fd is the descriptor the cache knows, and what another thread learns
 * of it meanwhile is forgotten here too. Forgetting makes no system call: errno is the call's. */
#define FD_CHANGING(fd, body)                                                                      \
    do {                                                                                           \
        body;                                                                                      \
        ls_fd_forget(fd);                                                                          \
    } while (0)

/* Closing the loop's own epoll fd ends that loop (asyncio closes its selector
 * when a loop is closed); the thread's next wait starts the new one. That, and a call
 * outside the fast path (call.h), go out of line: nginx closes a file per request. */
static __attribute__((noinline)) int close_general(int fd)
{
    LS_RESOLVE(close);
    int ls_r;
    ls_loop_fd_closed(fd, fd);
    FD_CHANGING(fd, LS_TIMED(close, LS_T_FD, fd, ls_f(fd)));
    return ls_r;
}

LS_EXPORT int close(int fd)
{
    ls_real_close_t ls_f = real_to_pass(close);
    if (LS_LIKELY(ls_f != NULL)) {
        int ls_r;
        if (LS_LIKELY(!ls_tls.loop)) {
            FD_CHANGING(fd, ls_r = ls_f(fd));
            return ls_r;
        }
        struct ls_loop *ls_l = ls_fast_loop();
        if (LS_LIKELY(ls_l != NULL) &&
            fd != atomic_load_explicit(&ls_l->loop_fd, memory_order_relaxed)) {
            FD_CHANGING(fd, LS_FAST_TIMED(ls_l, close, LS_T_FD, fd, ls_f(fd)));
            return ls_r;
        }
    }
    return close_general(fd);
}

LS_EXPORT int dup2(int oldfd, int newfd)
{
    LS_RESOLVE(dup2);
    int ls_r;
    if (ls_wrap_idle())
        FD_CHANGING(newfd, ls_r = ls_f(oldfd, newfd));
    else
        FD_CHANGING(newfd, LS_TIMED(dup2, LS_T_FD, newfd, ls_f(oldfd, newfd)));
    return ls_r;
}

LS_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    LS_RESOLVE(dup3);
    int ls_r;
    if (ls_wrap_idle())
        FD_CHANGING(newfd, ls_r = ls_f(oldfd, newfd, flags));
    else
        FD_CHANGING(newfd, LS_TIMED(dup3, LS_T_FD, newfd, ls_f(oldfd, newfd, flags)));
    return ls_r;
}

/* ioctl's third argument is a pointer or an int, passed on as a long like
 * fcntl's; only FIONBIO changes what the cache knows. */
LS_EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    long arg = va_arg(ap, long);
    va_end(ap);
    LS_RESOLVE(ioctl);
    if (req != FIONBIO) {
        if (LS_LIKELY(!ls_inject_on)) return ls_f(fd, req, arg);
        LS_TIMED_CALL(ioctl, LS_T_FD, fd, ls_f(fd, req, arg));
    }
    int ls_r;
    if (ls_wrap_idle())
        FD_CHANGING(fd, ls_r = ls_f(fd, req, arg));
    else
        FD_CHANGING(fd, LS_TIMED(ioctl, LS_T_FD, fd, ls_f(fd, req, arg)));
    return ls_r;
}

/* close_range: a host closing every descriptor it did not open (a daemon's start, a child
 * before exec) closes a loop's epoll fd and cached descriptors too. A hook: never timed. */
LS_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
    LS_RESOLVE(close_range);
    /* A vfork child's descriptors are its own: what this process knows of its own stays. */
    int closes = !(flags & CLOSE_RANGE_CLOEXEC) && ls_is_this_process();
    if (closes) {
        ls_loop_fd_closed((int)(lo > INT_MAX ? INT_MAX : lo), (int)(hi > INT_MAX ? INT_MAX : hi));
        ls_fd_forget_range(lo, hi);
    }
    int r = ls_f(lo, hi, flags);
    if (closes) {
        int saved = errno;
        ls_fd_forget_range(lo, hi);
        errno = saved;
    }
    return r;
}
