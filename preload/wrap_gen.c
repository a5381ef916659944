/* wrap_gen.c -- the wrappers generated from common/calls.def.
 *
 * Three functions per call: the exported wrapper holds only the tests that let
 * a call through untouched (not a loop, or a descriptor that never blocks,
 * and no rule), so that it compiles to a few loads and a tail jump; a loop
 * thread's call that may block goes to the fast half (call.h's fast path,
 * out of line so that the pass-through saves no registers), and everything
 * else (rules, the agent's own calls, a call outside an iteration) to the
 * slow half, which ends in the shared tail (call.h). Each
 * wrapper is defined under an internal name and exported under the libc name
 * with an asm label, so that glibc's own prototypes (transparent unions,
 * restrict) never conflict with ours.
 */
#include <errno.h>
#include <stdint.h>

#include "call.h"
#include "config.h"
#include "fdstate.h"
#include "inject.h"
#include "real.h"
#include "short_iov.h"

/* The failure value in each function's own convention. */
#define F_MINUS1_RET(ret, e) (errno = (e), (ret)-1)
#define F_NULL_RET(ret, e)   (errno = (e), (ret)0)
#define F_RETERR_RET(ret, e) ((ret)(e))
#define F_NONE_RET(ret, e)   ((void)(e), (ret)0)
/* getaddrinfo callers read errno after EAI_SYSTEM: give them one. */
#define F_EAI_RET(ret, e) ((e) == EAI_SYSTEM ? (void)(errno = EIO) : (void)0, (ret)(e))

/* A result that is an EINTR, in each function's own convention. */
#define F_MINUS1_EINTR(r) ((r) == -1 && errno == EINTR)
#define F_NULL_EINTR(r)   ((void)(r), 0)
#define F_RETERR_EINTR(r) ((void)(r), 0)
#define F_NONE_EINTR(r)   ((void)(r), 0)
#define F_EAI_EINTR(r)    ((void)(r), 0)

/* Socket calls on a socket with a timeout (SO_RCVTIMEO, SO_SNDTIMEO) are never
 * restarted after a handler, whatever SA_RESTART says: an EINTR our own
 * sampling signal caused is absorbed by calling again (nothing was
 * transferred). Not connect: interrupted, it goes on in the background, and
 * calling again would say EALREADY. A compile-time constant per wrapper. */
#define LS_RETRIES_EINTR(fam, name) (LS_FAM_##fam == LS_FAM_NET && LS_FN_##name != LS_FN_connect)

/* Reads and writes on a descriptor may skip timing once it is known never to
 * block (fdstate.h); a compile-time constant per wrapper. */
#define LS_FD_SKIPPABLE(fam, tkind)                                                                \
    ((LS_FAM_##fam == LS_FAM_IO || LS_FAM_##fam == LS_FAM_NET) && (tkind) == LS_T_FD)

/* sendfile also reads a file: with its socket non-blocking it still waits for the disk
 * (the page cache misses; no flag makes that part non-blocking), so it passes untimed only when
 * its input is known never to block either (which only a descriptor the loop itself read or
 * wrote can be: sendfile learns its socket, not its input), and when it is timed because of
 * the input, the input is the target it is named by. The input is the second argument; LS_SECOND
 * takes it from any argument list (0 when there is none), used only where LS_READS_SECOND_FD is 1.
 */
#define LS_READS_SECOND_FD(name)                                                                   \
    (LS_FN_##name == LS_FN_sendfile || LS_FN_##name == LS_FN_sendfile64)
#define LS_SECOND_(a, b, ...) b
#define LS_SECOND(...)        LS_SECOND_(__VA_ARGS__, 0, 0)
#define LS_SECOND_FD(args)    ((int)(intptr_t)(LS_SECOND args))
/* What the call is named by, nb being whether texpr is known never to block. */
#define LS_NAMED_BY(name, texpr, args, nb)                                                         \
    (LS_READS_SECOND_FD(name) && (nb) ? (uint64_t)(uintptr_t)(LS_SECOND args)                      \
                                      : (uint64_t)(uintptr_t)(texpr))

/* After a timed call on a descriptor whose calls may pass through: its kind, learned once. */
#define LS_LEARN(fam, tkind, texpr)                                                                \
    do {                                                                                           \
        if (LS_FD_SKIPPABLE(fam, tkind) && ls_fd_unknown((int)(intptr_t)(texpr)))                  \
            ls_fd_learn((int)(intptr_t)(texpr));                                                   \
    } while (0)

/* short=: cap the byte count the real call sees. */
#define LS_SHORT_NOCOUNT
#define LS_SHORT_n                                                                                 \
    if (ls_sb && ls_sb < n) n = (size_t)ls_sb;
#define LS_SHORT_IOV                                                                               \
    struct iovec ls_iov[LS_SHORT_IOV_MAX];                                                         \
    if (ls_sb) cnt = ls_short_iov(iov, cnt, ls_sb, ls_iov, &iov);

#define LS_CALL_HAND(...)
#define LS_CALL_HOOK(...)
#define LS_CALL_GEN(name, ret, params, args, fam, tkind, texpr, count, fail, errnos)               \
    static __attribute__((noinline)) ret ls_slow_##name params                                     \
    {                                                                                              \
        ls_real_##name##_t ls_f = real(name);                                                      \
        if (LS_UNLIKELY(!ls_f)) return fail##_RET(ret, ENOSYS);                                    \
        struct ls_call ls_c;                                                                       \
        int ls_err = 0;                                                                            \
        uint64_t ls_sb = 0;                                                                        \
        /* A rule matches the argument calls.def names (sendfile: its socket, peer= included);     \
         * the call is then named by LS_NAMED_BY. */                                               \
        if (ls_call_begin(&ls_c, LS_FN_##name, tkind, (uint64_t)(uintptr_t)(texpr), &ls_err,       \
                          &ls_sb))                                                                 \
            return fail##_RET(ret, ls_err);                                                        \
        if (LS_READS_SECOND_FD(name))                                                              \
            ls_call_name_by(&ls_c, LS_NAMED_BY(name, texpr, args,                                  \
                                               ls_fd_never_blocks((int)(intptr_t)(texpr))));       \
        LS_SHORT_##count ret ls_r = ls_f args;                                                     \
        int ls_timed = ls_c.loop != NULL; /* ls_call_end forgets the loop */                       \
        ls_call_end(&ls_c);                                                                        \
        while (LS_RETRIES_EINTR(fam, name) && fail##_EINTR(ls_r) &&                                \
               ls_call_eintr_ours(&ls_c, 1)) {                                                     \
            ls_call_again(&ls_c, ls_tls.loop);                                                     \
            ls_r = ls_f args;                                                                      \
            ls_call_end(&ls_c);                                                                    \
        }                                                                                          \
        if (ls_timed) LS_LEARN(fam, tkind, texpr);                                                 \
        return ls_r;                                                                               \
    }                                                                                              \
    /* A loop thread's call that may block: timed on the fast path when it can be (call.h). Out    \
     * of line, so that the exported wrapper's pass-through paths save no registers. */            \
    static __attribute__((noinline))                                                               \
    ret ls_fast_##name(ls_real_##name##_t ls_f, uint64_t ls_t, LS_UNPAREN params)                  \
    {                                                                                              \
        struct ls_loop *ls_l = ls_fast_loop();                                                     \
        if (LS_UNLIKELY(ls_l == NULL)) return ls_slow_##name args;                                 \
        uint32_t ls_hits = ls_tls.sample_hits;                                                     \
        uint64_t ls_s = ls_fast_begin(ls_l, LS_FN_##name, tkind, ls_t);                            \
        ret ls_r = ls_f args;                                                                      \
        ls_fast_end(ls_l, LS_FN_##name, tkind, ls_t, ls_s);                                        \
        /* Interrupted by our own signal: again, through the general path. */                      \
        if (LS_RETRIES_EINTR(fam, name) && LS_UNLIKELY(fail##_EINTR(ls_r)) &&                      \
            ls_tls.sample_hits != ls_hits)                                                         \
            return ls_slow_##name args;                                                            \
        /* Named by its input (sendfile): its socket was known already. */                         \
        if (!LS_READS_SECOND_FD(name) || ls_t == (uint64_t)(uintptr_t)(texpr))                     \
            LS_LEARN(fam, tkind, texpr);                                                           \
        return ls_r;                                                                               \
    }                                                                                              \
    LS_EXPORT ret ls_wrap_##name params __asm__(#name);                                            \
    LS_EXPORT ret ls_wrap_##name params                                                            \
    {                                                                                              \
        /* Not resolved yet (a call before the constructor), or a rule active: the general path.   \
         */                                                                                        \
        ls_real_##name##_t ls_f = real_to_pass(name);                                              \
        if (LS_LIKELY(ls_f != NULL)) {                                                             \
            if (LS_LIKELY(!ls_tls.loop)) return ls_f args;                                         \
            /* The descriptor's bit, read once: it decides the pass-through and the name. */       \
            int ls_nb = LS_FD_SKIPPABLE(fam, tkind) && ls_fd_never_blocks((int)(intptr_t)(texpr)); \
            if (ls_nb && (!LS_READS_SECOND_FD(name) || ls_fd_never_blocks(LS_SECOND_FD(args))))    \
                return ls_f args;                                                                  \
            return ls_fast_##name(ls_f, LS_NAMED_BY(name, texpr, args, ls_nb), LS_UNPAREN args);   \
        }                                                                                          \
        return ls_slow_##name args;                                                                \
    }
#define LS_CALL(how, ...) LS_CALL_##how(__VA_ARGS__)
#include "calls.def"
#undef LS_CALL
