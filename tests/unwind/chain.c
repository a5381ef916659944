/* chain.c -- the call chains the walker's tests walk; CHAIN_PREFIX names the copy (nofp, fp).
 *
 * noipa keeps every function a real frame with its own name (no inlining, cloning or
 * interprocedural shortcuts), and each does work after its call, so no call is a tail call.
 */
#include "chain.h"

#define CAT2(a, b) a##_##b
#define CAT(a, b)  CAT2(a, b)
#define CHAIN(x)   CAT(CHAIN_PREFIX, x)

#define NOIPA __attribute__((noipa))

NOIPA int CHAIN(level4)(chain_fn fn, void *arg)
{
    return fn(arg) + 1;
}

NOIPA int CHAIN(level3)(chain_fn fn, void *arg)
{
    return CHAIN(level4)(fn, arg) + 1;
}

NOIPA int CHAIN(level2)(chain_fn fn, void *arg)
{
    return CHAIN(level3)(fn, arg) + 1;
}

NOIPA int CHAIN(level1)(chain_fn fn, void *arg)
{
    return CHAIN(level2)(fn, arg) + 1;
}

/* A CPU loop four functions deep, until *stop: where timer signals land. */
NOIPA uint64_t CHAIN(spin4)(volatile int *stop)
{
#ifdef CHAIN_LEAF_FRAME
    /* GCC 12 keeps no frame in a leaf that needs no stack, even with frame pointers on (and
     * -mno-omit-leaf-frame-pointer): asking for the frame's address makes it set one up. */
    __asm__ volatile("" : : "r"(__builtin_frame_address(0)));
#endif
    uint64_t x = 1;
    while (!*stop)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

NOIPA uint64_t CHAIN(spin3)(volatile int *stop)
{
    return CHAIN(spin4)(stop) + 1;
}

NOIPA uint64_t CHAIN(spin2)(volatile int *stop)
{
    return CHAIN(spin3)(stop) + 1;
}

NOIPA uint64_t CHAIN(spin1)(volatile int *stop)
{
    return CHAIN(spin2)(stop) + 1;
}

/* depth + 1 frames of this function above fn's. The volatile keeps GCC from turning the
 * recursion into a loop (it does for "return f(n - 1) + 1"). */
NOIPA int CHAIN(recurse)(int depth, chain_fn fn, void *arg)
{
    if (depth == 0) return fn(arg) + 1;
    volatile int below = CHAIN(recurse)(depth - 1, fn, arg);
    return below + 1;
}

/* Calls target(fn, arg) through a JIT frame: C, JIT, C. */
NOIPA int CHAIN(through_jit)(jit_call_fn jit, int (*target)(chain_fn, void *), chain_fn fn,
                             void *arg)
{
    return jit(target, fn, arg) + 1;
}

/* The spin chain from level 3 down, with a chain_fn-shaped signature for the JIT to call. */
NOIPA int CHAIN(spin_level3)(chain_fn unused, void *stop)
{
    (void)unused;
    return (int)CHAIN(spin3)(stop) + 1;
}
