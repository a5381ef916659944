/* ut.h -- what the walker's tests share: names of walked frames, JIT-made code, per-thread CPU
 * timers, and the cases written in assembly (cfi-cases.S). */
#ifndef UT_H
#define UT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "unwind.h"

#define UT_MAX_FRAMES 64

/* The calling thread's stack bounds; fails the test when they cannot be found. */
struct ls_stack_bounds ut_bounds(void);

/* The dynamic symbol holding ip ("?" when none), and the object's path ("?"). Not in a signal
 * handler: dladdr takes the loader lock. */
const char *ut_sym(uint64_t ip);
const char *ut_obj(uint64_t ip);
/* 1 when frames [at, at + count) are named names[0..count), in that order. */
int ut_names_at(const uint64_t *ips, int n, int at, const char *const *names, int count);
/* The first frame named name at or after from, or -1. */
int ut_find(const uint64_t *ips, int n, int from, const char *name);
/* "0: name (object)\n1: ..." for failure messages; a static buffer. */
const char *ut_describe(const uint64_t *ips, int n);

/* One here-walk from ut_capture_here, the innermost frame of a chain (a wrapper after the real
 * call returned), with libunwind's unw_backtrace and a frame-pointer-only walk at the same point
 * unless ours_only (they crash on some of the hostile cases). */
struct ut_capture {
    struct ls_stack_bounds b;
    uint64_t skip_lo, skip_hi;
    int ours_only;
    uint64_t ips[UT_MAX_FRAMES];
    int n;
    void *theirs[UT_MAX_FRAMES];
    int their_n;
    uint64_t fp_ips[UT_MAX_FRAMES];
    int fp_n;
};
int ut_capture_here(void *capture);
/* Ours and libunwind's agree frame for frame (libunwind's first entry is its own call site and
 * its entries raw return addresses) or ours is better (a named function where libunwind's frame
 * is in no object at all), and ours is at least as long. */
void ut_assert_same_as_libunwind_or_better(const struct ut_capture *c);

/* Walks a made-up interrupted state (rip, rsp, rbp) with ls_unwind_ucontext. */
int ut_walk_state(uint64_t rip, uint64_t rsp, uint64_t rbp, const struct ls_stack_bounds *b,
                  uint64_t *ips, int max);

/* Machine code copied into a fresh executable mapping, with no CFI anywhere: a JIT's code. */
struct ut_jit {
    uint8_t *code;
    size_t len;
};
/* push rbp; mov rbp,rsp; call target(a, b); pop rbp; ret -- V8's frame shape. */
struct ut_jit ut_jit_call(void);
/* push rbp; mov rbp,rsp; spin while *(int *)rdi == 0; pop rbp; ret. */
struct ut_jit ut_jit_spin(void);
int ut_in_jit(const struct ut_jit *j, uint64_t ip);
void ut_jit_free(struct ut_jit *j);

/* A CPU-time timer for the calling thread: sig every interval_us of its CPU time. */
void *ut_cpu_timer_start(int sig, long interval_us);
void ut_cpu_timer_stop(void *timer);
/* Installs handler for sig (SA_SIGINFO | flags, every signal blocked while it runs). */
void ut_on_signal(int sig, void (*handler)(int, siginfo_t *, void *), int flags);

/* cfi-cases.S */
typedef int (*ut_case_fn)(chain_fn cb, void *arg);
int ut_plt_shaped(chain_fn cb, void *arg);
int ut_cfa_in_memory(chain_fn cb, void *arg);
int ut_cfa_unreadable(chain_fn cb, void *arg);
int ut_unknown_opcode(chain_fn cb, void *arg);
int ut_outermost(chain_fn cb, void *arg);
int ut_ra_in_rbx(chain_fn cb, void *arg);
int ut_remembered(chain_fn cb, void *arg);
int ut_remembered_too_deep(chain_fn cb, void *arg);
int ut_with_personality(chain_fn cb, void *arg);

#endif
