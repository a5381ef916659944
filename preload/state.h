/* state.h -- what every stage of the agent shares: the process's record, its configuration,
 * per-thread state.
 *
 * This header declares; each stage owns its own state and exposes a few
 * functions in its own header. Only lifecycle.c knows every stage.
 */
#ifndef LS_STATE_H
#define LS_STATE_H

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

/* Per-thread state; initial-exec TLS so that access never calls into the loader. */
struct ls_tls {
    struct ls_loop *loop; /* non-NULL once this thread is a loop */
    int guard;            /* inside the agent's own bookkeeping: pass everything through */
    int not_loop;         /* waits seen that could not adopt (every slot taken) */
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
