/* chain.h -- known call chains for the walker's tests, built three times: nofp_* with
 * -fomit-frame-pointer (only CFI can walk them), fp_* with frame pointers, and dl_* (no frame
 * pointers) as a library the tests dlopen. */
#ifndef UT_CHAIN_H
#define UT_CHAIN_H

#include <stdint.h>

typedef int (*chain_fn)(void *arg);
/* A JIT-made function that calls target(a, b) from a frame with no CFI (see ut_jit.h). */
typedef int (*jit_call_fn)(int (*target)(chain_fn, void *), chain_fn a, void *b);

#define UT_CHAIN_DECLARE(P)                                                                        \
    int P##_level1(chain_fn fn, void *arg);                                                        \
    int P##_level2(chain_fn fn, void *arg);                                                        \
    int P##_level3(chain_fn fn, void *arg);                                                        \
    int P##_level4(chain_fn fn, void *arg);                                                        \
    uint64_t P##_spin1(volatile int *stop);                                                        \
    uint64_t P##_spin2(volatile int *stop);                                                        \
    uint64_t P##_spin3(volatile int *stop);                                                        \
    uint64_t P##_spin4(volatile int *stop);                                                        \
    int P##_recurse(int depth, chain_fn fn, void *arg);                                            \
    int P##_through_jit(jit_call_fn jit, int (*target)(chain_fn, void *), chain_fn fn, void *arg); \
    int P##_spin_level3(chain_fn unused, void *stop);

UT_CHAIN_DECLARE(nofp)
UT_CHAIN_DECLARE(fp)
UT_CHAIN_DECLARE(dl) /* the dlopen'd copy: found with dlsym */

#endif
