/* wrap_misc.c -- hand-written wrappers: variadic open and fcntl, and close (which can end a loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "agent.h"
#include "inject.h"
#include "fdstate.h"
#include "real.h"
#include "wrap.h"

/* open's mode argument exists only when the flags create a file. */
static int open_mode(int flags, va_list ap)
{
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) return va_arg(ap, int);
    return 0;
}

#define OPEN_WRAPPER(name, ...)                                                                    \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        int mode = open_mode(flags, ap);                                                           \
        va_end(ap);                                                                                \
        LS_RESOLVE(name);                                                                          \
        if (LS_LIKELY(!ls_tls.loop && !ls_inject_on)) return ls_f(__VA_ARGS__, mode);              \
        LS_TIMED_CALL(name, LS_T_PATH, path, ls_f(__VA_ARGS__, mode));                             \
    } while (0)

LS_EXPORT int open(const char *path, int flags, ...)
{
    OPEN_WRAPPER(open, path, flags);
}

LS_EXPORT int open64(const char *path, int flags, ...)
{
    OPEN_WRAPPER(open64, path, flags);
}

LS_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    OPEN_WRAPPER(openat, dirfd, path, flags);
}

LS_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    OPEN_WRAPPER(openat64, dirfd, path, flags);
}

/* fcntl's third argument is an int or a pointer depending on cmd; both travel
 * in one register on the ABIs we support, so it is passed on as a long. Only
 * the lock commands can block, so only they are timed. */
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
            ls_fd_forget(fd);                                                                      \
            return ls_r;                                                                           \
        }                                                                                          \
        if (LS_LIKELY(!ls_tls.loop && !ls_inject_on) || !is_lock_cmd(cmd))                         \
            return ls_f(fd, cmd, arg);                                                             \
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

/* Closing the loop's own epoll fd ends that loop (asyncio closes its selector
 * when a loop is closed); the thread's next wait starts the new one. */
LS_EXPORT int close(int fd)
{
    LS_RESOLVE(close);
    /* The number will name another file: forget this one (before, and after in
     * case another thread learned it in between). */
    if ((unsigned)fd < LS_FD_MAX && ls_fd_bit(ls_fd_known, fd)) {
        ls_fd_forget(fd);
        int r = ls_f(fd);
        int saved = errno;
        ls_fd_forget(fd);
        errno = saved;
        return r;
    }
    struct ls_tls *t = &ls_tls;
    if (LS_LIKELY(!t->loop && !ls_inject_on)) return ls_f(fd);
    struct ls_loop *l = t->loop;
    if (l && fd == l->loop_fd && !t->guard) {
        l->loop_fd = -1;
        atomic_store_explicit(&l->iter_start, 0, memory_order_release);
        return ls_f(fd);
    }
    LS_TIMED_CALL(close, LS_T_FD, fd, ls_f(fd));
}

/* dup2 and dup3 make newfd another file; ioctl FIONBIO switches O_NONBLOCK.
 * Timed (and open to injection) like any call; what fdstate knew is forgotten. */
#define FD_CHANGING_WRAPPER(name, fd, call)                                                        \
    do {                                                                                           \
        LS_RESOLVE(name);                                                                          \
        int ls_r;                                                                                  \
        if (LS_LIKELY(!ls_tls.loop && !ls_inject_on)) {                                            \
            ls_r = call;                                                                           \
        } else {                                                                                   \
            struct ls_call ls_c;                                                                   \
            int ls_err = 0;                                                                        \
            uint64_t ls_sb = 0;                                                                    \
            if (ls_call_begin(&ls_c, LS_FN_##name, LS_T_FD, fd, &ls_err, &ls_sb)) {                \
                errno = ls_err;                                                                    \
                return -1;                                                                         \
            }                                                                                      \
            ls_r = call;                                                                           \
            ls_call_end(&ls_c, LS_T_FD, fd);                                                       \
        }                                                                                          \
        int ls_saved = errno;                                                                      \
        ls_fd_forget(fd);                                                                          \
        errno = ls_saved;                                                                          \
        return ls_r;                                                                               \
    } while (0)

LS_EXPORT int dup2(int oldfd, int newfd)
{
    FD_CHANGING_WRAPPER(dup2, newfd, ls_f(oldfd, newfd));
}

LS_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    FD_CHANGING_WRAPPER(dup3, newfd, ls_f(oldfd, newfd, flags));
}

/* ioctl's third argument is a pointer or an int, passed on as a long like fcntl's. */
LS_EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    long arg = va_arg(ap, long);
    va_end(ap);
    if (req != FIONBIO) {
        LS_RESOLVE(ioctl);
        if (LS_LIKELY(!ls_inject_on)) return ls_f(fd, req, arg);
    }
    FD_CHANGING_WRAPPER(ioctl, fd, ls_f(fd, req, arg));
}
