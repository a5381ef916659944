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

#endif
