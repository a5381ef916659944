/* agent.h -- the preloaded agent's shared state: per-thread state, loop slots, stall records. */
#ifndef LS_AGENT_H
#define LS_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "calls.h"

#define LS_HIDDEN      __attribute__((visibility("hidden")))
#define LS_EXPORT      __attribute__((visibility("default")))
#define LS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define LS_MAX_LOOPS     64 /* loop threads tracked per process; later ones are counted as dropped */
#define LS_FRAMES        32  /* frames kept per stack */
#define LS_STALL_CALLS   6   /* calls kept per stall, longest first */
#define LS_TARGET_MAX    112 /* bytes of a call's target name */
#define LS_SAMPLES       8   /* stack samples kept per CPU stall */
#define LS_RING          32  /* finished stalls a loop can hand to the watchdog between two ticks */
#define LS_HIST_SUB_BITS 3   /* iteration histogram: 8 buckets per power of two (12.5% wide) */
#define LS_HIST_BUCKETS  (64 << LS_HIST_SUB_BITS)

enum ls_wait_mode { LS_LOOP_EPOLL, LS_LOOP_POLL };
enum ls_class { LS_CLASS_BLOCKING, LS_CLASS_CPU, LS_CLASS_MIXED };

struct ls_frames {
    uint32_t n;
    uintptr_t ip[LS_FRAMES]; /* raw return addresses, innermost first */
};

/* One intercepted call that made up part of a stall's blocked time. */
struct ls_call_rec {
    int16_t fn;           /* enum ls_fn */
    int16_t rule;         /* injection rule that fired on it, or -1 */
    uint64_t start_ns;    /* relative to the iteration's start */
    uint64_t wall_ns;     /* including injected delay */
    uint64_t injected_ns; /* delay added by a rule */
    char target[LS_TARGET_MAX];
    struct ls_frames stack;
};

/* A finished (or, when built by the watchdog, still running) stall. */
struct ls_stall_rec {
    pid_t tid;
    uint8_t ongoing;
    uint8_t ncalls;
    uint8_t nsamples;
    uint64_t start_ns; /* relative to process start */
    uint64_t wall_ns;
    uint64_t cpu_ns;
    uint64_t runq_ns;    /* runnable but waiting for a CPU (a busy machine) */
    uint64_t blocked_ns; /* inside intercepted calls */
    uint64_t injected_ns;
    uint32_t call_count; /* intercepted calls made during the iteration */
    struct ls_call_rec calls[LS_STALL_CALLS];
    struct ls_frames samples[LS_SAMPLES];
};

#define LS_STRICT_MAX 32 /* distinct blocking calls kept per loop in strict mode */

/* A blocking-category call seen on a loop thread in strict mode. */
struct ls_strict {
    int16_t fn;
    uint64_t count;
    uint64_t total_ns;
    uint64_t max_ns;
    char target[LS_TARGET_MAX];
    struct ls_frames stack;
};

/* One event-loop thread. The loop thread writes; the watchdog reads the live
 * fields with atomics and consumes finished stalls from the ring. */
struct ls_loop {
    _Atomic int state; /* LS_SLOT_* */
    pid_t tid;
    pthread_t thread;
    int loop_fd;   /* the epoll fd the thread keeps returning to, -1 until known */
    char name[16]; /* the thread's name when adopted (kept after it exits) */
    uint64_t adopted_ticks;

    /* Live iteration state, published for the watchdog. */
    _Atomic uint64_t iter_start;    /* ticks at the loop wait's return; 0 while waiting */
    _Atomic uint64_t iter_seq;      /* iterations begun */
    _Atomic uint64_t blocked_ticks; /* finished calls in this iteration */
    _Atomic int cur_fn;             /* call in progress, or -1 */
    _Atomic uint64_t cur_start;     /* its start (ticks) */
    int cur_tkind;
    intptr_t cur_target;
    char cur_target_text[LS_TARGET_MAX]; /* copied before the call for string targets */

    /* The current iteration's longest calls. */
    uint32_t ncalls;
    uint32_t call_count;
    uint64_t injected_ns;
    struct ls_call_rec calls[LS_STALL_CALLS];

    /* Statistics over the loop's life. */
    uint64_t iterations;
    uint64_t busy_ns;
    uint64_t max_ns;
    uint32_t hist[LS_HIST_BUCKETS];

    /* Finished stalls, single producer (loop) single consumer (watchdog). */
    struct ls_stall_rec ring[LS_RING];
    _Atomic uint32_t ring_head;
    _Atomic uint32_t ring_tail;
    _Atomic uint64_t ring_dropped;

    /* Thread CPU snapshot taken by the watchdog early in an iteration, so the
     * loop thread never reads its CPU clock except at the end of a long one. */
    _Atomic uint64_t snap_seq;
    uint64_t snap_cpu_ns;
    uint64_t snap_runq_ns;
    uint64_t snap_pre_ns; /* estimated CPU between the iteration's start and the snapshot */

    /* Stack samples of the current iteration, written by the signal handler
     * (sampler.c) on this thread; the count is reset when an iteration begins. */
    struct ls_frames live_samples[LS_SAMPLES];
    _Atomic uint32_t live_nsamples;
    uint32_t sample_next; /* slot the next sample goes to (set by the watchdog) */

    /* Strict mode's notes (strict.c), appended by the loop thread only. */
    struct ls_strict strict[LS_STRICT_MAX];
    _Atomic uint32_t nstrict;
    uint64_t strict_dropped;

    /* Watchdog's own view. */
    uint64_t wd_sample_next_ns; /* when the next sample of this iteration is due */
    uint32_t wd_samples;        /* samples requested in this iteration */
    uint64_t wd_seen_seq;
    uint64_t wd_ongoing_seq; /* iteration last reported as ongoing */
    uint64_t wd_ongoing_next_ns;
    int wd_hang_told;
};

enum { LS_SLOT_FREE, LS_SLOT_CLAIMED, LS_SLOT_ACTIVE, LS_SLOT_GONE };

/* Per-thread state; initial-exec TLS so access never calls into the loader. */
struct ls_tls {
    struct ls_loop *loop; /* non-NULL once this thread is a loop */
    int guard;            /* inside the agent's own bookkeeping: pass everything through */
    int not_loop;         /* waits seen that could not adopt (slots exhausted) */
};

extern __thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec")));

/* Configuration, read once at load. */
struct ls_config {
    uint64_t threshold_ns;
    uint64_t threshold_ticks;
    uint64_t record_min_ticks; /* calls at least this long are kept with stack and target */
    int strict;
    enum ls_wait_mode mode;
    char out_dir[1024];
    pid_t root_pid; /* the process `loopstall run` started (LOOPSTALL_ROOT_PID) */
};
extern struct ls_config ls_cfg;
void ls_config_ticks(void);

/* Process identity; reset in a forked child. */
extern pid_t ls_pid;
extern uint64_t ls_start_ticks;
extern struct ls_loop ls_loops[LS_MAX_LOOPS];
extern _Atomic uint64_t ls_dropped; /* loops or stalls lost for lack of room */

/* loop.c */
struct ls_loop *ls_loop_adopt(struct ls_tls *t, int fd);
void ls_loop_forget_thread(void *slot);
void ls_iteration_end(struct ls_loop *l, uint64_t now);
void ls_iteration_begin(struct ls_loop *l, uint64_t now);
enum ls_class ls_classify(uint64_t wall, uint64_t cpu, uint64_t runq, uint64_t blocked);
/* Fills a stall's CPU, run-queue time and samples from the loop's live state
 * (s->wall_ns and s->blocked_ns set, blocked no more than wall). */
void ls_stall_fill_live(const struct ls_loop *l, uint64_t seq, struct ls_stall_rec *s);
/* A thread's time on the CPU and waiting for one, from /proc (schedstat); 0 or -1. */
int ls_sched_times(pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns);
const char *ls_class_name(enum ls_class c);

/* call.h: what every wrapper does around the real call. */
struct ls_call {
    struct ls_loop *loop; /* NULL: not timed */
    int fn;
    int rule;
    int errno_saved;
    uint64_t start;
    uint64_t injected_ns;
};

/* sampler.c */
void ls_sampler_init(void);
int ls_sampler_request(struct ls_loop *l, uint32_t slot);

/* strict.c */
void ls_strict_note(struct ls_loop *l, int fn, int tkind, intptr_t target, const char *copied,
                    uint64_t ns);

/* stack.c */
void ls_stack_init(void);
void ls_stack_capture(struct ls_frames *f);

/* target.c */
void ls_target_name(int tkind, intptr_t target, char *out, size_t len);
void ls_target_copy_text(int tkind, intptr_t target, char *out, size_t len);
/* Targets that are string (or sockaddr) arguments are copied before the call,
 * while the pointer is surely valid; the others are named when needed. */
static inline int ls_target_is_copied(int tkind)
{
    return tkind == LS_T_PATH || tkind == LS_T_HOST || tkind == LS_T_CMD || tkind == LS_T_SOCKADDR;
}
/* The name of a call's target: the text copied before the call, or named now. */
void ls_target_of(int tkind, intptr_t target, const char *copied, char *out, size_t len);

/* watchdog.c */
void ls_watchdog_ensure(void);
void ls_watchdog_after_fork_child(void);
void ls_tell_hang(struct ls_loop *l, uint64_t ran_ns);
void ls_report_final(void);

/* report.c */
struct ls_stall_store;
int ls_report_write(void);

#endif
