/* record.h -- the record an agent keeps of its process, in memory a watcher can read.
 *
 * The agent (preload/) writes this record from the host's own threads; a
 * watcher reads it, takes CPU snapshots and sampling decisions, and turns it
 * into the process's loopstall/1 report. The watcher is either the agent's own
 * thread (direct use: the record is anonymous memory) or `loopstall run`,
 * another process (the record is a memfd handed over a socket at load, mapped
 * shared by both). So the layout holds no pointers into either address space:
 * only numbers, fixed arrays and offsets, and every field one side writes
 * while the other reads is atomic (relaxed unless said otherwise; x86-64 and
 * arm64 atomics work across processes on shared memory).
 *
 * Who writes what: the host's loop thread writes its slot's live iteration,
 * statistics, calls and ring (single writer); its signal handler writes the
 * slot's live samples; the watcher writes the CPU snapshot, the sample
 * request and the ring's tail. Everything else is written by the agent at
 * load or under its own guards.
 */
#ifndef LS_RECORD_H
#define LS_RECORD_H

#include <stdatomic.h>
#include <stdint.h>

#include "inject_rule.h"
#include "pyframes.h"

#define LS_RECORD_MAGIC   0x4452434cu /* "LCRD" */
#define LS_RECORD_VERSION 5           /* one more whenever the layout changes */

#define LS_MAX_LOOPS     64  /* loop threads alive at once; exited ones free their slot */
#define LS_FRAMES        32  /* native frames kept per stack */
#define LS_PY_FRAMES     24  /* interpreter frames kept per stack (innermost) */
#define LS_STALL_CALLS   6   /* calls kept per stall, longest first */
#define LS_TARGET_MAX    112 /* bytes of a call's target name */
#define LS_SAMPLES       8   /* stack samples kept per CPU stall */
#define LS_RING          8   /* finished stalls a loop can hand over between two watcher ticks */
#define LS_HIST_SUB_BITS 3   /* iteration histogram: 8 buckets per power of two (12.5% wide) */
#define LS_HIST_BUCKETS  (64 << LS_HIST_SUB_BITS)
#define LS_STRICT_MAX    32  /* distinct blocking calls kept per loop in strict mode */
#define LS_MODULES       384 /* loaded objects named in stacks */
#define LS_MODULE_PATH   232
#define LS_ARGV_MAX      4096
#define LS_PYNAMES       1024 /* distinct interpreter functions named per process */
#define LS_PYSTR_BYTES   (64 * 1024)

/* The iteration histogram's bucket for ns: exact below 8 ns, then 8 buckets per power of two.
 * Inline: a loop thread takes it at the end of every iteration. */
static inline unsigned ls_hist_bucket(uint64_t ns)
{
    if (ns < (1u << LS_HIST_SUB_BITS)) return (unsigned)ns;
    unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
    unsigned sub = (unsigned)(ns >> (msb - LS_HIST_SUB_BITS)) & ((1u << LS_HIST_SUB_BITS) - 1);
    return ((msb - LS_HIST_SUB_BITS + 1) << LS_HIST_SUB_BITS) + sub;
}

enum ls_class { LS_CLASS_BLOCKING, LS_CLASS_CPU, LS_CLASS_MIXED };
enum ls_wait_mode { LS_LOOP_EPOLL, LS_LOOP_POLL };
enum ls_slot_state { LS_SLOT_FREE, LS_SLOT_CLAIMED, LS_SLOT_ACTIVE, LS_SLOT_GONE };
/* The process image's state, as the agent last set it (SIGNALED: a fatal signal
 * or abort the agent saw; a process killed without a word stays LIVE). */
enum ls_image_state { LS_IMAGE_LIVE, LS_IMAGE_EXITED, LS_IMAGE_EXECED, LS_IMAGE_SIGNALED };

/* One interpreter frame: what the signal handler or the wrapper captured
 * (the code object and the instruction index), and the line the loop thread
 * worked out from them before the frame could go away (0: not known). */
struct ls_pyframe {
    uint64_t code;
    int32_t lasti;
    int32_t line;
    uint32_t entry; /* the frame was entered from C: the boundary of one eval call */
    uint32_t name;  /* index + 1 into the record's names, 0 when not named */
};

/* A stack: raw return addresses, innermost first (the interrupted pc exact,
 * the others minus one so they point into the call), and the interpreter
 * frames the thread was running at the same instant. */
struct ls_stack {
    uint8_t n;
    uint8_t npy;
    uint8_t flags;
    uint8_t lang; /* LS_LANG_* of the interpreter frames */
    uint64_t ip[LS_FRAMES];
    struct ls_pyframe py[LS_PY_FRAMES];
};
#define LS_LANG_PYTHON 1

/* One intercepted call that made up part of a stall's blocked time. */
struct ls_call_rec {
    int16_t fn;           /* enum ls_fn */
    int16_t rule;         /* injection rule that fired on it, or -1 */
    uint64_t start_ns;    /* relative to the iteration's start */
    uint64_t wall_ns;     /* including injected delay */
    uint64_t injected_ns; /* delay added by a rule */
    char target[LS_TARGET_MAX];
    struct ls_stack stack;
};

/* A finished stall, or (built by the watcher) one still running. */
struct ls_stall_rec {
    int32_t tid;
    uint8_t ongoing;
    uint8_t ncalls;
    uint8_t nsamples;
    uint8_t startup;   /* the loop had not yet waited with nothing to do */
    uint64_t start_ns; /* relative to the image's start */
    uint64_t wall_ns;
    uint64_t cpu_ns;
    uint64_t runq_ns;    /* runnable but waiting for a CPU (a busy machine) */
    uint64_t blocked_ns; /* inside intercepted calls */
    uint64_t injected_ns;
    uint32_t call_count; /* intercepted calls made during the iteration */
    struct ls_call_rec calls[LS_STALL_CALLS];
    struct ls_stack samples[LS_SAMPLES];
};

/* A blocking-category call seen on a loop thread in strict mode. */
struct ls_strict {
    int16_t fn;
    uint64_t count;
    uint64_t total_ns;
    uint64_t max_ns;
    char target[LS_TARGET_MAX];
    struct ls_stack stack;
};

/* One event-loop thread's slot. */
struct ls_loop {
    _Atomic uint32_t state; /* enum ls_slot_state */
    int32_t tid;
    _Atomic int32_t loop_fd; /* the epoll fd the thread keeps returning to; -1 after it closed */
    char name[16];           /* the thread's name when adopted (kept after it exits) */
    uint64_t adopted_ticks;
    uint64_t stack_lo, stack_hi; /* the thread's stack, for the sampler's walk */
    _Atomic uint64_t py_tstate;  /* the thread's interpreter state, 0 when none */

    /* Live iteration, published for the watcher. */
    _Atomic uint64_t iter_start;    /* ticks at the loop wait's return; 0 while waiting */
    _Atomic uint64_t iter_seq;      /* iterations begun */
    _Atomic uint64_t blocked_ticks; /* finished calls in this iteration */
    _Atomic int32_t cur_fn;         /* call in progress, or -1 */
    _Atomic int32_t cur_tkind;
    _Atomic uint64_t cur_start;  /* its start (ticks) */
    _Atomic uint64_t cur_target; /* its target argument (a descriptor, or an address in the host) */
    _Atomic uint32_t idle_seen;  /* the loop has waited with nothing to do: it is serving */
    _Atomic uint32_t sig_blocked; /* the thread blocks the sampling signal now */

    /* The current iteration's longest calls (loop thread only; calls_seq is
     * odd while it changes them, so that the watcher can copy them whole). */
    _Atomic uint32_t calls_seq;
    uint32_t ncalls;
    _Atomic uint32_t call_count;
    _Atomic uint64_t injected_ns;
    struct ls_call_rec calls[LS_STALL_CALLS];

    /* Statistics over the loop's life (single writer, read by the watcher). */
    _Atomic uint64_t iterations;
    _Atomic uint64_t busy_ns;
    _Atomic uint64_t max_ns;
    _Atomic uint32_t hist[LS_HIST_BUCKETS];

    /* Finished stalls, single producer (loop) single consumer (watcher). */
    struct ls_stall_rec ring[LS_RING];
    _Atomic uint32_t ring_head;
    _Atomic uint32_t ring_tail;
    _Atomic uint64_t ring_dropped;

    /* CPU snapshot the watcher takes early in an iteration, so that the loop
     * thread reads its own CPU time only at the end of a long one. */
    _Atomic uint64_t snap_seq;
    _Atomic uint64_t snap_cpu_ns;
    _Atomic uint64_t snap_runq_ns;
    _Atomic uint64_t snap_pre_ns; /* estimated CPU between the iteration's start and the snapshot */
    _Atomic uint64_t snap_ticks;  /* when it was taken */
    /* snap_cpu_ns is the thread's CPU clock, exact (a watcher in the host), not schedstat's
     * figure, which lags a thread on the CPU by up to a scheduler tick (a watcher outside). */
    _Atomic uint32_t snap_exact;
    /* The loop thread's own exact reading at the end of its last stall: the next snapshot's
     * run-queue figure, while the thread has not left the CPU since. */
    _Atomic uint64_t end_ticks, end_cpu_ns, end_runq_ns;
    /* The loop thread's own exact CPU time in iteration exact_seq, taken by the sampling
     * signal's handler (the stall's CPU where the snapshot lags), with the CPU estimated
     * before it (its time outside calls), when it was taken and how many times the thread had
     * slept by then (so that the end tells time kept from it by the hypervisor: see cpu.h). */
    _Atomic uint64_t exact_seq, exact_cpu_ns, exact_pre_ns, exact_ticks, exact_sleeps;

    /* Stack samples of the current iteration: the watcher names the slot, the
     * thread's signal handler fills it; the count is reset when an iteration begins. */
    _Atomic uint32_t sample_next;
    _Atomic uint32_t live_nsamples;
    struct ls_stack live_samples[LS_SAMPLES];

    /* Strict mode's notes, appended by the loop thread only. */
    _Atomic uint32_t nstrict;
    _Atomic uint64_t strict_dropped;
    struct ls_strict strict[LS_STRICT_MAX];
};

/* A loaded object, so that raw addresses become module + offset. */
struct ls_module {
    uint64_t base, lo, hi;
    char path[LS_MODULE_PATH];
    char build_id[41];
};

/* Names of interpreter functions, filled by the loop threads (lock-free: a
 * slot is claimed with a compare-exchange on its code pointer, then its
 * strings are appended and it is marked ready). */
struct ls_pyname {
    _Atomic uint64_t code;
    _Atomic uint32_t ready;
    int32_t firstlineno;
    uint32_t qualname; /* offsets into str */
    uint32_t file;
};

struct ls_pynames {
    _Atomic uint32_t used; /* bytes of str taken */
    struct ls_pyname e[LS_PYNAMES];
    char str[LS_PYSTR_BYTES];
};

/* The whole record of one process image. */
struct ls_record {
    uint32_t magic;
    uint32_t version;
    uint64_t size; /* bytes of the record */
    int32_t pid;
    int32_t ppid;
    uint32_t image;             /* 0 for the first image of the pid, then one more per exec */
    _Atomic uint32_t state;     /* enum ls_image_state */
    _Atomic uint64_t end_ticks; /* when the agent saw the image end (exit or exec), 0 if not */
    _Atomic int32_t exit_code;  /* the status passed to exit/_exit, -1 when not seen */
    uint64_t start_ticks;
    uint64_t start_mono_ns;

    /* Clock: ticks are TSC cycles where the TSC is invariant, else nanoseconds. */
    uint32_t use_tsc;
    _Atomic uint64_t ns_per_tick_bits; /* a double's bits, refined by the watcher */
    uint64_t base_ticks, base_ns;      /* the pair the rate is measured from */
    _Atomic uint64_t rate_span_ns;     /* from the base pair to the rate's other pair; 0: none */

    /* Configuration the agent runs with. */
    uint64_t threshold_ns;
    uint64_t thread_limit;
    int32_t strict;
    int32_t mode; /* enum ls_wait_mode */

    /* Sampling: the signal the handler is installed on (0: none or off), and
     * the value a request must carry so that the handler knows it is ours. */
    _Atomic int32_t sample_signal;
    uint64_t sample_cookie;

    /* What says whether the image is worth a report, in the first page with the header:
     * the end of a process that never ran a loop reads nothing else (each other page it
     * touched would cost it a page fault). */
    _Atomic uint32_t nloops; /* slots ever used: the watcher scans no further */
    /* A futex word: 1 while the watcher dozes because every loop has been waiting for a while;
     * the loop thread that begins an iteration then wakes it (the watcher must see a stall as
     * it happens, to sample it), so an idle host costs its watcher about one wake-up a second. */
    _Atomic uint32_t watcher_asleep;
    _Atomic uint64_t loops_dropped;  /* loop threads that found no free slot */
    _Atomic uint64_t stalls_dropped; /* stalls lost for lack of room in a ring */
    uint32_t nrules;                 /* injection rules (their text and counts are below) */

    /* Threads the host created, for the unbounded-fanout finding. */
    struct {
        _Atomic uint64_t live;
        _Atomic uint64_t peak;
        _Atomic uint64_t created;
        _Atomic uint32_t found; /* the limit was crossed; stack is the creator's */
        int32_t from_loop;
        uint64_t first_ns;
        struct ls_stack stack;
    } fanout;

    char exe[512];
    uint32_t argv_len; /* NUL-separated, as /proc/PID/cmdline */
    char argv[LS_ARGV_MAX];

    /* Injection: the rules as written and how often each fired. */
    char rule_text[LS_MAX_RULES][LS_RULE_TEXT_MAX];
    _Atomic uint64_t rule_fired[LS_MAX_RULES];

    /* Loaded objects; seq is odd while the agent rewrites the table. */
    _Atomic uint32_t modules_seq;
    _Atomic uint32_t nmodules;
    uint64_t modules_adds; /* the loader's count when the table was taken */
    struct ls_module modules[LS_MODULES];

    /* The interpreter's layout, when the host runs one the agent reads (an
     * opaque block the frame reader interprets; zero when none). */
    _Atomic uint32_t py_ready; /* py_layout is set: the host's CPython is one the agent reads */
    struct ls_py_layout py_layout;
    struct ls_pynames pynames;

    struct ls_loop loops[LS_MAX_LOOPS];
};

#endif
