/* wrap.h -- the steps the hand-written wrappers share (the generated ones expand the same steps).
 */
#ifndef LS_WRAP_H
#define LS_WRAP_H

#include <errno.h>
#include <stdint.h>

#include "agent.h"
#include "call.h"
#include "real.h"

/* ls_f: the real function, or a failure with ENOSYS when libc lacks it. */
#define LS_RESOLVE(name)                                                                           \
    ls_real_##name##_t ls_f = real(name);                                                          \
    if (LS_UNLIKELY(!ls_f)) {                                                                      \
        errno = ENOSYS;                                                                            \
        return -1;                                                                                 \
    }

/* An ordinary timed call (inside an iteration, or under injection) of a
 * function that fails with -1 and errno; returns from the wrapper. */
#define LS_TIMED_CALL(name, tkind, target, call)                                                   \
    do {                                                                                           \
        struct ls_call ls_c;                                                                       \
        int ls_err = 0;                                                                            \
        uint64_t ls_sb = 0;                                                                        \
        if (ls_call_begin(&ls_c, LS_FN_##name, tkind, (intptr_t)(target), &ls_err, &ls_sb)) {      \
            errno = ls_err;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        int ls_r = call;                                                                           \
        ls_call_end(&ls_c, tkind, (intptr_t)(target));                                             \
        return ls_r;                                                                               \
    } while (0)

#endif
