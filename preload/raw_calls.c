/* raw_calls.c -- glibc's cancellable wrappers as glibc runs them single-threaded (see raw_calls.h).
 *
 * Each is what glibc 2.36's sysdeps/unix/sysv/linux/<name>.c makes on x86-64 when
 * SINGLE_THREAD_P: the system call named, its arguments as given (recv and send with a null
 * address, the opens at AT_FDCWD with the mode only where the flags need one, epoll_pwait
 * with the kernel's signal set size, int arguments zero-extended), and -1 with errno for an
 * error. tests/integration/test-raw-calls.c compares them, under strace, with glibc's own.
 */
#include "raw_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "calls.h"
#include "sys.h"

void *ls_raw_glibc[LS_FN_COUNT];

#if defined(__x86_64__)

/* The kernel's -errno as glibc returns it. */
static inline long result(long r)
{
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* An int argument as glibc passes it: its 32 bits, the upper half of the register clear (what a
 * seccomp filter or a tracer sees; the kernel reads the low half either way). */
#define U(x)                ((long)(unsigned)(x))
#define SYS1(n, a)          result(ls_sys1(n, (long)(a)))
#define SYS3(n, a, b, c)    result(ls_sys3(n, (long)(a), (long)(b), (long)(c)))
#define SYS4(n, a, b, c, d) result(ls_sys4(n, (long)(a), (long)(b), (long)(c), (long)(d)))
#define SYS6(n, a, b, c, d, e, f)                                                                  \
    result(ls_sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)))

static ssize_t raw_read(int fd, void *buf, size_t n)
{
    return SYS3(SYS_read, U(fd), buf, n);
}
static ssize_t raw_write(int fd, const void *buf, size_t n)
{
    return SYS3(SYS_write, U(fd), buf, n);
}
static ssize_t raw_readv(int fd, const struct iovec *iov, int cnt)
{
    return SYS3(SYS_readv, U(fd), iov, U(cnt));
}
static ssize_t raw_writev(int fd, const struct iovec *iov, int cnt)
{
    return SYS3(SYS_writev, U(fd), iov, U(cnt));
}
static ssize_t raw_pread64(int fd, void *buf, size_t n, off64_t off)
{
    return SYS4(SYS_pread64, U(fd), buf, n, off);
}
static ssize_t raw_pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    return SYS4(SYS_pwrite64, U(fd), buf, n, off);
}
static ssize_t raw_recv(int fd, void *buf, size_t n, int flags)
{
    return SYS6(SYS_recvfrom, U(fd), buf, n, U(flags), NULL, NULL);
}
static ssize_t raw_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                            socklen_t *alen)
{
    return SYS6(SYS_recvfrom, U(fd), buf, n, U(flags), addr, alen);
}
static ssize_t raw_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return SYS3(SYS_recvmsg, U(fd), msg, U(flags));
}
static ssize_t raw_send(int fd, const void *buf, size_t n, int flags)
{
    return SYS6(SYS_sendto, U(fd), buf, n, U(flags), NULL, 0);
}
static ssize_t raw_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
                          socklen_t alen)
{
    return SYS6(SYS_sendto, U(fd), buf, n, U(flags), addr, alen);
}
static ssize_t raw_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return SYS3(SYS_sendmsg, U(fd), msg, U(flags));
}
static int raw_connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
    return (int)SYS3(SYS_connect, U(fd), addr, alen);
}
static int raw_accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
    return (int)SYS3(SYS_accept, U(fd), addr, alen);
}
static int raw_accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
    return (int)SYS4(SYS_accept4, U(fd), addr, alen, U(flags));
}
static int raw_close(int fd)
{
    return (int)SYS1(SYS_close, U(fd));
}
static int raw_poll(struct pollfd *fds, nfds_t n, int tmo)
{
    return (int)SYS3(SYS_poll, fds, n, U(tmo));
}
static int raw_epoll_wait(int epfd, struct epoll_event *ev, int max, int tmo)
{
    return (int)SYS4(SYS_epoll_wait, U(epfd), ev, U(max), U(tmo));
}
static int raw_epoll_pwait(int epfd, struct epoll_event *ev, int max, int tmo, const sigset_t *mask)
{
    return (int)SYS6(SYS_epoll_pwait, U(epfd), ev, U(max), U(tmo), mask, _NSIG / 8);
}

/* The mode a named parameter, as preload/wrap_fd.c defines the open wrappers on x86-64 (its
 * OPEN_PARAMS says why: no va_start spilling every argument register): the wrapper passes it on,
 * and it reaches the kernel only where the flags need one (__OPEN_NEEDS_MODE), 0 otherwise, as
 * glibc passes it. */
static unsigned open_mode(int flags, unsigned mode)
{
    return __OPEN_NEEDS_MODE(flags) ? mode : 0;
}
static int raw_open(const char *path, int flags, unsigned mode)
{
    return (int)SYS4(SYS_openat, U(AT_FDCWD), path, U(flags), U(open_mode(flags, mode)));
}
static int raw_openat(int dirfd, const char *path, int flags, unsigned mode)
{
    return (int)SYS4(SYS_openat, U(dirfd), path, U(flags), U(open_mode(flags, mode)));
}

/* A switch, not a table of pointers: a table would be relocated, its page written, at every
 * process's load. */
void *ls_raw_call(int fn)
{
    switch (fn) {
    case LS_FN_read:
        return (void *)raw_read;
    case LS_FN_write:
        return (void *)raw_write;
    case LS_FN_readv:
        return (void *)raw_readv;
    case LS_FN_writev:
        return (void *)raw_writev;
    case LS_FN_pread: /* off_t is off64_t here: one function in glibc */
    case LS_FN_pread64:
        return (void *)raw_pread64;
    case LS_FN_pwrite:
    case LS_FN_pwrite64:
        return (void *)raw_pwrite64;
    case LS_FN_recv:
        return (void *)raw_recv;
    case LS_FN_recvfrom:
        return (void *)raw_recvfrom;
    case LS_FN_recvmsg:
        return (void *)raw_recvmsg;
    case LS_FN_send:
        return (void *)raw_send;
    case LS_FN_sendto:
        return (void *)raw_sendto;
    case LS_FN_sendmsg:
        return (void *)raw_sendmsg;
    case LS_FN_connect:
        return (void *)raw_connect;
    case LS_FN_accept:
        return (void *)raw_accept;
    case LS_FN_accept4:
        return (void *)raw_accept4;
    case LS_FN_close:
        return (void *)raw_close;
    case LS_FN_poll:
        return (void *)raw_poll;
    case LS_FN_epoll_wait:
        return (void *)raw_epoll_wait;
    case LS_FN_epoll_pwait:
        return (void *)raw_epoll_pwait;
    case LS_FN_open:
    case LS_FN_open64:
        return (void *)raw_open;
    case LS_FN_openat:
    case LS_FN_openat64:
        return (void *)raw_openat;
    default:
        return NULL;
    }
}

#else

void *ls_raw_call(int fn)
{
    (void)fn;
    return NULL;
}

#endif
