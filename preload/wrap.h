/* wrap.h -- the shared tail of the hand-written wrappers (the generated ones expand the same
 * steps).
 *
 * A hand-written wrapper computes only what differs (an argument, a role, a
 * remaining time) and then ends in LS_TIMED_CALL or LS_TIMED: injection,
 * timing, errno and the re-entrancy guard in one place (call.h). A wrapper on
 * a busy server's path (open, close) calls LS_FAST_TIMED itself and keeps its
 * general path, with LS_TIMED, in a function of its own.
 */
#ifndef LS_WRAP_H
#define LS_WRAP_H

#include <errno.h>
#include <stdint.h>

#include "call.h"
#include "real.h"
#include "state.h"

/* ls_f: the real function, or a failure with ENOSYS when libc lacks it. */
#define LS_RESOLVE(name)                                                                           \
    ls_real_##name##_t ls_f = real(name);                                                          \
    if (LS_UNLIKELY(!ls_f)) {                                                                      \
        errno = ENOSYS;                                                                            \
        return -1;                                                                                 \
    }

/* The fast path alone, in loop l (from ls_fast_loop): for a wrapper that keeps its general
 * path out of line, so that the fast one saves few registers. Sets ls_r. */
#define LS_FAST_TIMED(l, name, tkind, target, call)                                                \
    do {                                                                                           \
        uint64_t ls_t = (uint64_t)(uintptr_t)(target);                                             \
        uint64_t ls_s = ls_fast_begin(l, LS_FN_##name, tkind, ls_t);                               \
        ls_r = call;                                                                               \
        ls_fast_end(l, LS_FN_##name, tkind, ls_t, ls_s);                                           \
    } while (0)

/* A timed call (inside an iteration, or under injection) of a function that
 * fails with -1 and errno: sets ls_r to its result; the caller returns it. The
 * fast path first (call.h), then the general one. */
#define LS_TIMED(name, tkind, target, call)                                                        \
    do {                                                                                           \
        struct ls_loop *ls_l = ls_fast_loop();                                                     \
        if (LS_LIKELY(ls_l != NULL)) {                                                             \
            LS_FAST_TIMED(ls_l, name, tkind, target, call);                                        \
            break;                                                                                 \
        }                                                                                          \
        struct ls_call ls_c;                                                                       \
        int ls_err = 0;                                                                            \
        uint64_t ls_sb = 0;                                                                        \
        if (ls_call_begin(&ls_c, LS_FN_##name, tkind, (uint64_t)(uintptr_t)(target), &ls_err,      \
                          &ls_sb)) {                                                               \
            errno = ls_err;                                                                        \
            ls_r = -1;                                                                             \
        } else {                                                                                   \
            ls_r = call;                                                                           \
            ls_call_end(&ls_c);                                                                    \
        }                                                                                          \
    } while (0)

#define LS_TIMED_CALL(name, tkind, target, call)                                                   \
    do {                                                                                           \
        int ls_r;                                                                                  \
        LS_TIMED(name, tkind, target, call);                                                       \
        return ls_r;                                                                               \
    } while (0)

/* Does a wrapper need to look at this call at all? Not on a thread that is
 * not a loop when no rule is active: the call passes straight through. */
static inline int ls_wrap_idle(void)
{
    return LS_LIKELY(!ls_tls.loop && !ls_inject_on);
}

#endif
