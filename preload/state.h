/* state.h -- what every stage of the agent shares: the process's record, its configuration,
 * per-thread state.
 *
 * This header declares; each stage owns its own state and exposes a few
 * functions in its own header. Only lifecycle.c knows every stage.
 */
#ifndef LS_STATE_H
#define LS_STATE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

#define LS_HIDDEN      __attribute__((visibility("hidden")))
#define LS_EXPORT      __attribute__((visibility("default")))
#define LS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* A parameter or argument list without its parentheses (LS_UNPAREN params), to put more
 * beside it: the wrappers' macros pass them around whole. */
#define LS_UNPAREN(...) __VA_ARGS__
/* Run once per process (its load, its end) or once per function (its lookup): the linker puts
 * cold code together at the start of the text, with the constructor, so that a process that
 * never runs a loop faults in one 64 KiB window of the agent's code, not three. */
#define LS_COLD __attribute__((cold))

/* Adds v to a counter that only the calling thread writes and others only read (a loop's
 * slot): on x86-64 one add to memory, where a relaxed atomic load and store compile to three
 * instructions and a locked add costs a bus lock. The counter is aligned, so a reader sees the
 * value before or after, never a torn one. Elsewhere, the relaxed load and store. */
static inline __attribute__((always_inline)) void ls_own_add64(_Atomic uint64_t *p, uint64_t v)
{
#if defined(__x86_64__)
    __asm__("addq %1, %0" : "+m"(*(uint64_t *)p) : "er"(v) : "cc");
#else
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
                          memory_order_relaxed);
#endif
}

static inline __attribute__((always_inline)) void ls_own_add32(_Atomic uint32_t *p, uint32_t v)
{
#if defined(__x86_64__)
    __asm__("addl %1, %0" : "+m"(*(uint32_t *)p) : "ir"(v) : "cc");
#else
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
                          memory_order_relaxed);
#endif
}

/* Per-thread state; initial-exec TLS so that access never calls into the loader. */
struct ls_tls {
    struct ls_loop *loop; /* non-NULL once this thread is a loop */
    int guard;            /* inside the agent's own bookkeeping: pass everything through */
    /* The loop while one of its iterations is in progress and its calls may take call.h's
     * fast path (ls_proc.fast_calls), else NULL: one load says what the slot's iter_start
     * and the process's fast_calls would say together. The loop thread alone writes both,
     * at each iteration's begin and end (iteration.h). */
    struct ls_loop *timing;
    int not_loop; /* waits seen that could not adopt (every slot taken) */
    uint32_t
        sample_hits;   /* our sampling signal's deliveries, so a wrapper knows an EINTR was ours */
    int32_t tid;       /* cached by the agent's own paths */
    uintptr_t loop_sp; /* where in the stack the loop's wait was last made (wrap_wait.c) */
    struct {           /* waits in a row on an epoll fd that is not the loop's (wrap_wait.c) */
        int fd;
        uint32_t n;     /* how many */
        uint32_t calls; /* of them timed as calls of the iteration */
        uint64_t start; /* the first one's start (ticks) */
        uint64_t ticks; /* time in those timed */
    } streak;
};
extern __thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec")));

/* The process as the agent sees it. Set by lifecycle.c at load and in a
 * forked child; read everywhere. */
struct ls_proc {
    struct ls_record *rec; /* never NULL once the agent is set up (off without it) */
    pid_t pid;
    int use_tsc;               /* copied from the record, for the inline clock */
    int fast_calls;            /* 1: timed calls may take call.h's fast path (the TSC is the
                                * clock and no injection rule is active); 0 before set-up */
    uint64_t threshold_ticks;  /* iterations at least this long are stalls */
    uint64_t record_min_ticks; /* calls at least this long are kept with stack and target */
    uint64_t end_min_ticks;    /* ... and go out of line when they end: record_min_ticks, or 0
                                * when every call does (strict mode, injection rules active) */
    int watched_outside;       /* a collector (`loopstall run`) watches the record */
    uint64_t self_lo, self_hi; /* the agent's own text: its frames are not the culprit's */
    /* What else comes with a loop, called by the sampler at each adoption (lifecycle.c's
     * ls_image_worth_keeping: the fatal-signal handlers, the module table under run). A hook,
     * because lifecycle.c knows the sampler and not the other way round; kept here, in the
     * page every process writes at load, not in the sampler's (one page fault less). */
    void (*on_adopt)(void);
};
extern struct ls_proc ls_proc;

#endif
