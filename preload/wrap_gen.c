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
#include "inject.h"
#include "real.h"

/* The failure value in each function's own convention. */
#define F_MINUS1_RET(ret, e) (errno = (e), (ret)-1)
#define F_NULL_RET(ret, e) (errno = (e), (ret)0)
#define F_RETERR_RET(ret, e) ((ret)(e))
#define F_EAI_RET(ret, e) ((ret)(e))
#define F_NONE_RET(ret, e) ((void)(e), (ret)0)

#define LS_CALL_HAND(...)
#define LS_CALL_GEN(name, ret, params, args, fam, tkind, texpr, fail, errnos)                      \
    LS_EXPORT ret ls_wrap_##name params __asm__(#name);                                          \
    LS_EXPORT ret ls_wrap_##name params                                                          \
    {                                                                                             \
        ls_real_##name##_t ls_f = real(name);                                                        \
        if (LS_UNLIKELY(!ls_f))                                                                      \
            return fail##_RET(ret, ENOSYS);                                                       \
        if (LS_LIKELY(!ls_tls.loop && !ls_inject_on))                                             \
            return ls_f args;                                                                        \
        struct ls_call ls_c;                                                                         \
        int ls_err = 0;                                                                              \
        uint64_t ls_sb = 0;                                                                 \
        if (ls_call_begin(&ls_c, LS_FN_##name, tkind, (intptr_t)(texpr), &ls_err, &ls_sb))        \
            return fail##_RET(ret, ls_err);                                                          \
        ret ls_r = ls_f args;                                                                           \
        ls_call_end(&ls_c, tkind, (intptr_t)(texpr));                                                \
        return ls_r;                                                                                 \
    }
#define LS_CALL(how, ...) LS_CALL_##how(__VA_ARGS__)
#include "calls.def"
#undef LS_CALL
