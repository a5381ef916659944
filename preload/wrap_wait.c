/* wrap_wait.c -- the waits, hand-written: the one a thread keeps returning to is its loop.
 *
 * A thread becomes a loop when it waits in the epoll family (or, with
 * LOOPSTALL_LOOP=poll, in poll/ppoll/select). The time from that wait's
 * return to the next call of it is one iteration. A wait on another epoll fd,
 * or a poll with a timeout, made inside an iteration is a blocking call:
 * Node's execSync runs a nested loop, libcurl's easy interface blocks in
 * poll(). But a thread that keeps waiting on another epoll fd, and never on
 * its loop's again (a library that re-creates its loop, a loop a host
 * library ran in its constructor), has moved: LS_SWITCH_WAITS blocking waits
 * in a row on the same other fd, made no deeper in the stack than the loop's
 * own, make it the loop, and the iteration that seemed to last through them
 * ends where they began. What differs from the generated
 * wrappers: the role (loop wait, timed call, or pass-through), and an EINTR
 * our own sampling signal caused, which is absorbed by waiting again for the
 * time that was left (these calls are never restarted by SA_RESTART).
 */
#include <errno.h>
#include <stdint.h>

#include "config.h"
#include "iteration.h"
#include "lifecycle.h"
#include "remaining.h"
#include "watchdog.h"
#include "wrap.h"

enum role { ROLE_PASS, ROLE_LOOP, ROLE_CALL };

/* A nested loop (Node's execSync, a library's private loop) runs inside a
 * callback of the loop, deeper in the stack than the loop's own wait (libuv's
 * poll frame alone is 12 KiB), and waits a few times before it returns. A
 * loop that moved waits about as deep as the old one did (a constructor's
 * loop and main's differ by a few frames), and keeps waiting. The limit of
 * the rule: a nested loop called from no deeper than the loop's own wait that
 * blocks LS_SWITCH_WAITS times in one iteration is taken for a move. */
#define LS_SWITCH_WAITS 16
#define LS_NESTED_DEPTH 4096

/* One more blocking wait in a row on fd, which is not the loop's: 1 when that
 * makes fd the loop (the streak is long enough), after ending the iteration. */
static int streak_switches(struct ls_tls *t, struct ls_loop *l, int fd, uint64_t enter)
{
    if (t->streak.n == 0 || t->streak.fd != fd) {
        t->streak.fd = fd;
        t->streak.n = 0;
        t->streak.calls = 0;
        t->streak.ticks = 0;
        t->streak.start = enter;
    }
    if (++t->streak.n < LS_SWITCH_WAITS) return 0;
    int g = t->guard;
    t->guard = 1;
    ls_loop_switch(l, fd, t->streak.start, t->streak.ticks, t->streak.calls);
    t->guard = g;
    t->streak.n = 0;
    return 1;
}

/* sp: where in the stack the wait was made (its wrapper's frame). */
static enum role wait_role(struct ls_tls *t, enum ls_wait_mode kind, int fd, int blocking,
                           uint64_t enter, uintptr_t sp, int *in_streak)
{
    *in_streak = 0;
    if (LS_UNLIKELY(t->guard)) return ROLE_PASS;
    struct ls_loop *l = t->loop;
    if (kind == ls_cfg.mode) {
        if (!l) {
            if (t->not_loop || !ls_agent_ready() || !(l = ls_loop_adopt(t, fd))) return ROLE_PASS;
            t->loop_sp = sp;
            return ROLE_LOOP;
        }
        int loop_fd = atomic_load_explicit(&l->loop_fd, memory_order_relaxed);
        if (loop_fd == -1) { /* the old loop fd was closed: this is the new loop */
            atomic_store_explicit(&l->loop_fd, fd, memory_order_relaxed);
            loop_fd = fd;
        }
        if (kind == LS_LOOP_POLL || fd == loop_fd) {
            t->streak.n = 0;
            t->loop_sp = sp;
            return ROLE_LOOP;
        }
        /* Only a blocking wait as deep as the loop's may be the loop moving. */
        if (blocking && sp + LS_NESTED_DEPTH >= t->loop_sp) {
            if (streak_switches(t, l, fd, enter)) {
                t->loop_sp = sp;
                return ROLE_LOOP;
            }
            *in_streak = 1;
        }
    }
    if (l && blocking && atomic_load_explicit(&l->iter_start, memory_order_relaxed))
        return ROLE_CALL;
    return ls_inject_on ? ROLE_CALL : ROLE_PASS;
}

/* One wait in progress, whatever its role. */
struct wait {
    enum role role;
    int in_streak; /* a wait on an epoll fd that is not the loop's (yet) */
    struct ls_call c;
    struct ls_loop *l;
    uint64_t enter;
    uint32_t hits;
};

/* Begins the wait; returns 1 when an injection rule says it fails with *err. */
static int wait_begin(struct wait *w, struct ls_tls *t, enum ls_wait_mode kind, int fd,
                      int blocking, int fn, int tkind, uint64_t target, int *err)
{
    uint64_t sb = 0;
    w->enter = ls_ticks();
    w->role = wait_role(t, kind, fd, blocking, w->enter, (uintptr_t)w, &w->in_streak);
    w->hits = t->sample_hits;
    w->c.loop = NULL;
    if (w->role == ROLE_LOOP) {
        w->l = t->loop;
        ls_iteration_end(w->l, w->enter);
        /* A rule touches the loop's own wait only when it names the function. */
        if (ls_inject_on && ls_inject_wants(fn))
            return ls_call_begin(&w->c, fn, LS_T_NONE, 0, err, &sb);
        return 0;
    }
    if (w->role == ROLE_CALL) return ls_call_begin(&w->c, fn, tkind, target, err, &sb);
    return 0;
}

/* After the real call: 1 when it failed with an EINTR of our own making, so
 * the wrapper waits again for what is left of its timeout. */
static int wait_again(struct wait *w, int r)
{
    if (w->role == ROLE_PASS || r != -1 || errno != EINTR) return 0;
    uint32_t now = ls_tls.sample_hits;
    if (now == w->hits) return 0;
    w->hits = now;
    return 1;
}

static void wait_end(struct wait *w)
{
    int saved = errno;
    if (w->role == ROLE_LOOP) {
        uint64_t now = ls_ticks();
        ls_iteration_begin(w->l, now, now - w->enter, ls_proc.fast_calls);
    }
    if (w->in_streak && w->c.loop) {
        /* What this wait adds to the iteration, in case the streak turns out to be a move. */
        ls_tls.streak.calls++;
        ls_tls.streak.ticks += ls_ticks() - w->c.start;
    }
    ls_call_end(&w->c);
    errno = saved;
}

/* A thread that is no loop, and waits in a way no thread becomes a loop by, passes straight
 * through; not looked up yet, or a rule active (real_to_pass), the general path. */
#define WAIT_PRELUDE(name, kind, args)                                                             \
    ls_real_##name##_t ls_f = real_to_pass(name);                                                  \
    if (LS_UNLIKELY(ls_f == NULL)) return ls_wait_general_##name args;                             \
    struct ls_tls *t = &ls_tls;                                                                    \
    if (LS_LIKELY(!t->loop && ls_cfg.mode != (kind))) return ls_f args;

/* The loop's own wait with no rule active (the prelude's pointer said so), the path a busy
 * server takes once per iteration: what wait_role, wait_begin and wait_end do for ROLE_LOOP,
 * inline, with the TSC as its clock (fast_calls). Anything else (a wait on another fd, the guard,
 * a loop fd that was closed, no TSC) takes the general path below. */
#define WAIT_LOOP_FAST(kind, fd, call, again)                                                      \
    struct ls_loop *ls_l = t->loop;                                                                \
    if (LS_LIKELY(ls_l != NULL && !t->guard && ls_proc.fast_calls && ls_cfg.mode == (kind) &&      \
                  ((kind) == LS_LOOP_POLL ||                                                       \
                   (fd) == atomic_load_explicit(&ls_l->loop_fd, memory_order_relaxed)))) {         \
        struct {                                                                                   \
            uint64_t enter; /* named like struct wait's, for `again` */                            \
        } w;                                                                                       \
        w.enter = ls_tsc();                                                                        \
        ls_iteration_end(ls_l, w.enter);                                                           \
        t->streak.n = 0;                                                                           \
        t->loop_sp = (uintptr_t)&w;                                                                \
        uint32_t ls_hits = t->sample_hits;                                                         \
        int ls_fr;                                                                                 \
        for (;;) {                                                                                 \
            ls_fr = call;                                                                          \
            if (LS_LIKELY(ls_fr != -1) || errno != EINTR || t->sample_hits == ls_hits) break;      \
            ls_hits = t->sample_hits;                                                              \
            again;                                                                                 \
        }                                                                                          \
        uint64_t ls_now = ls_tsc();                                                                \
        ls_iteration_begin(ls_l, ls_now, ls_now - w.enter, 1);                                     \
        return ls_fr;                                                                              \
    }

/* The body every wait shares: begin, call (again while the EINTR was ours,
 * with the timeout recomputed by `again`), end. */
#define WAIT_BODY(name, kind, fd, blocking, tkind, target, call, again)                            \
    struct wait w;                                                                                 \
    int ls_werr = 0, ls_wr;                                                                        \
    if (wait_begin(&w, t, kind, fd, blocking, LS_FN_##name, tkind, (uint64_t)(uintptr_t)(target),  \
                   &ls_werr)) {                                                                    \
        wait_end(&w);                                                                              \
        errno = ls_werr;                                                                           \
        return -1;                                                                                 \
    }                                                                                              \
    for (;;) {                                                                                     \
        ls_wr = call;                                                                              \
        if (!wait_again(&w, ls_wr)) break;                                                         \
        again;                                                                                     \
    }                                                                                              \
    wait_end(&w);                                                                                  \
    return ls_wr

/* A wait wrapper: the exported function passes a thread that is no loop straight through and
 * takes the loop's own wait inline; everything else goes to its general path, out of line so
 * that the common one saves few registers. `setup` declares what `call` and `again` use. */
#define WAIT_WRAPPER(name, kind, params, args, setup, fd, blocking, tkind, target, call, again)    \
    static __attribute__((noinline)) int ls_wait_general_##name params                             \
    {                                                                                              \
        LS_RESOLVE(name);                                                                          \
        struct ls_tls *t = &ls_tls;                                                                \
        setup;                                                                                     \
        WAIT_BODY(name, kind, fd, blocking, tkind, target, call, again);                           \
    }                                                                                              \
    LS_EXPORT int name params                                                                      \
    {                                                                                              \
        WAIT_PRELUDE(name, kind, args)                                                             \
        setup;                                                                                     \
        WAIT_LOOP_FAST(kind, fd, call, again)                                                      \
        return ls_wait_general_##name args;                                                        \
    }

WAIT_WRAPPER(epoll_wait, LS_LOOP_EPOLL, (int epfd, struct epoll_event *ev, int max, int tmo),
             (epfd, ev, max, tmo), int left = tmo, epfd, tmo != 0, LS_T_EPOLL, epfd,
             ls_f(epfd, ev, max, left), left = ls_remaining_ms(tmo, w.enter))

WAIT_WRAPPER(epoll_pwait, LS_LOOP_EPOLL,
             (int epfd, struct epoll_event *ev, int max, int tmo, const sigset_t *mask),
             (epfd, ev, max, tmo, mask), int left = tmo, epfd, tmo != 0, LS_T_EPOLL, epfd,
             ls_f(epfd, ev, max, left, mask), left = ls_remaining_ms(tmo, w.enter))

WAIT_WRAPPER(epoll_pwait2, LS_LOOP_EPOLL,
             (int epfd, struct epoll_event *ev, int max, const struct timespec *tmo,
              const sigset_t *mask),
             (epfd, ev, max, tmo, mask), struct ls_timeout to;
             ls_timeout_from_ts(&to, tmo), epfd, to.blocking, LS_T_EPOLL, epfd,
             ls_f(epfd, ev, max, to.ts_arg, mask), ls_timeout_left(&to, w.enter))

/* poll names the first descriptor it waits on (read from the array only if
 * the call comes to matter): libcurl's easy interface polls its socket. */
WAIT_WRAPPER(poll, LS_LOOP_POLL, (struct pollfd * fds, nfds_t n, int tmo), (fds, n, tmo),
             int left = tmo, -2, tmo != 0, n ? LS_T_POLLFD : LS_T_NONE, fds, ls_f(fds, n, left),
             left = ls_remaining_ms(tmo, w.enter))

LS_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int tmo, size_t fdslen);
WAIT_WRAPPER(__poll_chk, LS_LOOP_POLL, (struct pollfd * fds, nfds_t n, int tmo, size_t fdslen),
             (fds, n, tmo, fdslen), int left = tmo, -2, tmo != 0, n ? LS_T_POLLFD : LS_T_NONE, fds,
             ls_f(fds, n, left, fdslen), left = ls_remaining_ms(tmo, w.enter))

WAIT_WRAPPER(ppoll, LS_LOOP_POLL,
             (struct pollfd * fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask),
             (fds, n, tmo, mask), struct ls_timeout to;
             ls_timeout_from_ts(&to, tmo), -2, to.blocking, n ? LS_T_POLLFD : LS_T_NONE, fds,
             ls_f(fds, n, to.ts_arg, mask), ls_timeout_left(&to, w.enter))

/* select: Linux writes the time left into the caller's timeval, so waiting
 * again with the same pointer waits for the rest. */
WAIT_WRAPPER(select, LS_LOOP_POLL, (int n, fd_set *r, fd_set *wr, fd_set *e, struct timeval *tmo),
             (n, r, wr, e, tmo), struct ls_timeout to;
             ls_timeout_from_tv(&to, tmo), -2, to.blocking, LS_T_NONE, 0, ls_f(n, r, wr, e, tmo),
             (void)0)

WAIT_WRAPPER(pselect, LS_LOOP_POLL,
             (int n, fd_set *r, fd_set *wr, fd_set *e, const struct timespec *tmo,
              const sigset_t *mask),
             (n, r, wr, e, tmo, mask), struct ls_timeout to;
             ls_timeout_from_ts(&to, tmo), -2, to.blocking, LS_T_NONE, 0,
             ls_f(n, r, wr, e, to.ts_arg, mask), ls_timeout_left(&to, w.enter))
