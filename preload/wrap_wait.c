/* wrap_wait.c -- the waits, hand-written: the one a thread keeps returning to is its loop.
 *
 * A thread becomes a loop when it waits in the epoll family (or, with
 * LOOPSTALL_LOOP=poll, in poll/ppoll/select). The time from that wait's return
 * to the next call of it is one iteration. A wait on another epoll fd, or a
 * poll with a timeout, made inside an iteration is a blocking call: Node's
 * execSync runs a nested loop, libcurl's easy interface blocks in poll().
 */
#include <errno.h>
#include <stdint.h>

#include "agent.h"
#include "call.h"
#include "inject.h"
#include "real.h"
#include "ticks.h"
#include "wrap.h"

enum role { ROLE_PASS, ROLE_LOOP, ROLE_CALL };

extern _Atomic int ls_wd_running; /* watchdog.c */

static enum role wait_role(struct ls_tls *t, enum ls_wait_mode kind, int fd, int blocking)
{
    if (LS_UNLIKELY(t->guard)) return ROLE_PASS;
    struct ls_loop *l = t->loop;
    if (kind == ls_cfg.mode) {
        if (!l) {
            if (t->not_loop || !(l = ls_loop_adopt(t, fd))) return ROLE_PASS;
            return ROLE_LOOP;
        }
        if (l->loop_fd == -1) /* the old loop fd was closed: this is the new loop */
            l->loop_fd = fd;
        if (kind == LS_LOOP_POLL || fd == l->loop_fd) return ROLE_LOOP;
    }
    if (l && blocking && atomic_load_explicit(&l->iter_start, memory_order_relaxed))
        return ROLE_CALL;
    return ls_inject_on ? ROLE_CALL : ROLE_PASS;
}

/* Around the loop's own wait: the iteration ends on entry and begins on return. */
#define LOOP_WAIT(name, target, call)                                                              \
    do {                                                                                           \
        struct ls_loop *ls_l = ls_tls.loop;                                                        \
        ls_iteration_end(ls_l, ls_ticks());                                                        \
        if (LS_UNLIKELY(!atomic_load_explicit(&ls_wd_running, memory_order_relaxed)))              \
            ls_watchdog_ensure();                                                                  \
        int ls_err = 0;                                                                            \
        uint64_t ls_sb = 0;                                                                        \
        int ls_r;                                                                                  \
        struct ls_call ls_c;                                                                       \
        if (ls_inject_on && ls_inject_wants(LS_FN_##name) &&                                       \
            ls_call_begin(&ls_c, LS_FN_##name, LS_T_NONE, 0, &ls_err, &ls_sb)) {                   \
            errno = ls_err;                                                                        \
            ls_r = -1;                                                                             \
        } else {                                                                                   \
            ls_r = call;                                                                           \
        }                                                                                          \
        int ls_saved = errno;                                                                      \
        ls_iteration_begin(ls_l, ls_ticks());                                                      \
        errno = ls_saved;                                                                          \
        return ls_r;                                                                               \
    } while (0)

#define WAIT_WRAPPER(name, kind, fd, blocking, tkind, target, call)                                \
    do {                                                                                           \
        LS_RESOLVE(name);                                                                          \
        struct ls_tls *t = &ls_tls;                                                                \
        if (LS_LIKELY(!t->loop && ls_cfg.mode != (kind) && !ls_inject_on)) return call;            \
        switch (wait_role(t, kind, fd, blocking)) {                                                \
        case ROLE_LOOP:                                                                            \
            LOOP_WAIT(name, target, call);                                                         \
        case ROLE_CALL:                                                                            \
            LS_TIMED_CALL(name, tkind, target, call);                                              \
        default:                                                                                   \
            return call;                                                                           \
        }                                                                                          \
    } while (0)

LS_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int tmo)
{
    WAIT_WRAPPER(epoll_wait, LS_LOOP_EPOLL, epfd, tmo != 0, LS_T_EPOLL, epfd,
                 ls_f(epfd, ev, max, tmo));
}

LS_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int tmo, const sigset_t *mask)
{
    WAIT_WRAPPER(epoll_pwait, LS_LOOP_EPOLL, epfd, tmo != 0, LS_T_EPOLL, epfd,
                 ls_f(epfd, ev, max, tmo, mask));
}

LS_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *tmo,
                           const sigset_t *mask)
{
    int blocking = !tmo || tmo->tv_sec || tmo->tv_nsec;
    WAIT_WRAPPER(epoll_pwait2, LS_LOOP_EPOLL, epfd, blocking, LS_T_EPOLL, epfd,
                 ls_f(epfd, ev, max, tmo, mask));
}

/* poll names the first descriptor it waits on: libcurl's easy interface polls its socket. */
LS_EXPORT int poll(struct pollfd *fds, nfds_t n, int tmo)
{
    WAIT_WRAPPER(poll, LS_LOOP_POLL, -2, tmo != 0, LS_T_FD, n ? fds[0].fd : -1, ls_f(fds, n, tmo));
}

LS_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int tmo, size_t fdslen);
LS_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int tmo, size_t fdslen)
{
    WAIT_WRAPPER(__poll_chk, LS_LOOP_POLL, -2, tmo != 0, LS_T_FD, n ? fds[0].fd : -1,
                 ls_f(fds, n, tmo, fdslen));
}

LS_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
    int blocking = !tmo || tmo->tv_sec || tmo->tv_nsec;
    WAIT_WRAPPER(ppoll, LS_LOOP_POLL, -2, blocking, LS_T_FD, n ? fds[0].fd : -1,
                 ls_f(fds, n, tmo, mask));
}

LS_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tmo)
{
    int blocking = !tmo || tmo->tv_sec || tmo->tv_usec;
    WAIT_WRAPPER(select, LS_LOOP_POLL, -2, blocking, LS_T_NONE, 0, ls_f(n, r, w, e, tmo));
}

LS_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *tmo,
                      const sigset_t *mask)
{
    int blocking = !tmo || tmo->tv_sec || tmo->tv_nsec;
    WAIT_WRAPPER(pselect, LS_LOOP_POLL, -2, blocking, LS_T_NONE, 0, ls_f(n, r, w, e, tmo, mask));
}
