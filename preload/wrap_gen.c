/* wrap_gen.c -- the wrappers generated from common/calls.def.
 *
 * Every wrapper takes the same steps: pass straight through when the thread is
 * not a loop and no rule is active; otherwise let call.c time the call, apply
 * injection and keep what mattered. Each wrapper is defined under an internal
 * name and exported under the libc name with an asm label, so that glibc's
 * own prototypes (transparent unions, restrict) never conflict with ours.
 */
#include <errno.h>
#include <stdint.h>

#include "agent.h"
#include "call.h"
#include "inject.h"
#include "fdstate.h"
#include "real.h"

#define LS_SHORT_IOV_MAX 64

/* Copies iov into out, cut so that the vectors hold at most cap bytes; returns the new count. */
static int ls_short_iov(const struct iovec *iov, int cnt, uint64_t cap, struct iovec *out)
{
    int n = 0;
    for (int i = 0; i < cnt && i < LS_SHORT_IOV_MAX && cap > 0; i++) {
        out[n] = iov[i];
        if (out[n].iov_len > cap) out[n].iov_len = (size_t)cap;
        cap -= out[n].iov_len;
        n++;
    }
    return n ? n : (cnt > 0 ? 1 : 0);
}

/* The failure value in each function's own convention. */
#define F_MINUS1_RET(ret, e) (errno = (e), (ret)-1)
#define F_NULL_RET(ret, e)   (errno = (e), (ret)0)
#define F_RETERR_RET(ret, e) ((ret)(e))
#define F_EAI_RET(ret, e)    ((ret)(e))
#define F_NONE_RET(ret, e)   ((void)(e), (ret)0)
#undef F_EAI_RET
/* getaddrinfo callers read errno after EAI_SYSTEM: give them one. */
#define F_EAI_RET(ret, e) ((e) == EAI_SYSTEM ? (void)(errno = EIO) : (void)0, (ret)(e))

/* Reads and writes on a descriptor may skip timing once it is known never to
 * block (fdstate.h); a compile-time constant per wrapper. */
#define LS_FD_SKIPPABLE(fam, tkind)                                                                \
    ((LS_FAM_##fam == LS_FAM_IO || LS_FAM_##fam == LS_FAM_NET) && (tkind) == LS_T_FD)

/* short=: cap the byte count the real call sees. */
#define LS_SHORT_NOCOUNT
#define LS_SHORT_n                                                                                 \
    if (ls_sb && ls_sb < n) n = (size_t)ls_sb;
#define LS_SHORT_IOV                                                                               \
    struct iovec ls_iov[LS_SHORT_IOV_MAX];                                                         \
    if (ls_sb) {                                                                                   \
        cnt = ls_short_iov(iov, cnt, ls_sb, ls_iov);                                               \
        iov = ls_iov;                                                                              \
    }

#define LS_CALL_HAND(...)
/* Two functions per call: the exported wrapper holds only the tests that let a
 * call through untouched (no loop, or a descriptor that never blocks, and no
 * rule), so that it compiles to a few loads and a tail jump; everything else
 * is in the out-of-line slow half. */
#define LS_CALL_GEN(name, ret, params, args, fam, tkind, texpr, count, fail, errnos)               \
    static __attribute__((noinline)) ret ls_slow_##name params                                     \
    {                                                                                              \
        ls_real_##name##_t ls_f = real(name);                                                      \
        struct ls_call ls_c;                                                                       \
        int ls_err = 0;                                                                            \
        uint64_t ls_sb = 0;                                                                        \
        if (ls_call_begin(&ls_c, LS_FN_##name, tkind, (intptr_t)(texpr), &ls_err, &ls_sb))         \
            return fail##_RET(ret, ls_err);                                                        \
        LS_SHORT_##count ret ls_r = ls_f args;                                                     \
        ls_call_end(&ls_c, tkind, (intptr_t)(texpr));                                              \
        if (LS_FD_SKIPPABLE(fam, tkind) && ls_c.loop && ls_fd_unknown((int)(intptr_t)(texpr)))     \
            ls_fd_learn((int)(intptr_t)(texpr));                                                   \
        return ls_r;                                                                               \
    }                                                                                              \
    LS_EXPORT ret ls_wrap_##name params __asm__(#name);                                            \
    LS_EXPORT ret ls_wrap_##name params                                                            \
    {                                                                                              \
        ls_real_##name##_t ls_f = real(name);                                                      \
        if (LS_UNLIKELY(!ls_f)) return fail##_RET(ret, ENOSYS);                                    \
        if (LS_LIKELY(!ls_inject_on)) {                                                            \
            if (LS_LIKELY(!ls_tls.loop)) return ls_f args;                                         \
            if (LS_FD_SKIPPABLE(fam, tkind) && !ls_cfg.strict &&                                   \
                ls_fd_never_blocks((int)(intptr_t)(texpr)))                                        \
                return ls_f args;                                                                  \
        }                                                                                          \
        return ls_slow_##name args;                                                                \
    }
#define LS_CALL(how, ...) LS_CALL_##how(__VA_ARGS__)
#include "calls.def"
#undef LS_CALL
