/* watchdog.c -- the agent's own thread: notices iterations running past the
 * threshold, takes the CPU snapshots the loop threads must not take, collects
 * finished stalls and writes the per-process report while there is news. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <stdio.h>

#include "agent.h"
#include "real.h"
#include "modules.h"
#include "report.h"
#include "store.h"
#include "ticks.h"

LS_HIDDEN _Atomic int ls_wd_running;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int exiting;
static uint64_t last_write_ns;

#define WRITE_INTERVAL_NS 250000000ULL /* news is written at most four times a second */
#define LS_HANG_FACTOR    10           /* a stall this many thresholds long is a hang: say so */

/* How long the watchdog sleeps: half a threshold while some loop is in an
 * iteration (the sampler works in half-threshold steps), a whole threshold
 * when every loop was waiting. Each wake-up costs the host CPU (~30 us on a
 * VM, most of it the context switch), so it wakes no more than it must. */
static uint64_t tick_ns(int busy)
{
    uint64_t t = busy ? ls_cfg.threshold_ns / 2 : ls_cfg.threshold_ns;
    if (t < 1000000) t = 1000000;
    if (t > 50000000) t = 50000000;
    return t;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    /* The raw system call: never our own wrapper, never an injection rule. */
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* Moves finished stalls from every loop's ring into the store. Under report_lock. */
static int drain_rings(void)
{
    int news = 0;
    for (int i = 0; i < LS_MAX_LOOPS; i++) {
        struct ls_loop *l = &ls_loops[i];
        if (atomic_load(&l->state) < LS_SLOT_ACTIVE) continue;
        uint32_t tail = atomic_load_explicit(&l->ring_tail, memory_order_relaxed);
        uint32_t head = atomic_load_explicit(&l->ring_head, memory_order_acquire);
        for (; tail != head; tail++) {
            ls_store_add(&l->ring[tail % LS_RING]);
            news = 1;
        }
        atomic_store_explicit(&l->ring_tail, tail, memory_order_release);
    }
    return news;
}

/* Takes the CPU snapshot for an iteration the first time the watchdog sees it. */
static void snapshot_cpu(struct ls_loop *l, uint64_t seq, uint64_t start, uint64_t now)
{
    uint64_t cpu = 0, runq = 0;
    ls_sched_times(l->tid, &cpu, &runq);
    uint64_t blocked = atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed);
    uint64_t cur = atomic_load_explicit(&l->cur_start, memory_order_relaxed);
    if (atomic_load_explicit(&l->cur_fn, memory_order_relaxed) >= 0 && cur >= start && cur < now)
        blocked += now - cur;
    uint64_t span = now - start;
    /* Before the snapshot, time not spent in calls is taken as CPU. */
    l->snap_cpu_ns = cpu;
    l->snap_runq_ns = runq;
    l->snap_pre_ns = span > blocked ? ls_ticks_to_ns(span - blocked) : 0;
    atomic_store_explicit(&l->snap_seq, seq, memory_order_release);
}

/* One watchdog tick over one loop; returns 1 when it has news for the report. */
static int watch_loop(struct ls_loop *l, uint64_t now)
{
    if (atomic_load(&l->state) != LS_SLOT_ACTIVE) return 0;
    uint64_t seq = atomic_load_explicit(&l->iter_seq, memory_order_relaxed);
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_acquire);
    if (!start || now < start) return 0;
    if (seq != l->wd_seen_seq) {
        l->wd_seen_seq = seq;
        snapshot_cpu(l, seq, start, now);
    }
    uint64_t ran = ls_ticks_to_ns(now - start);
    if (ran < ls_cfg.threshold_ns) return 0;
    int news = 0;
    if (l->wd_ongoing_seq != seq) {
        /* Newly past the threshold: reported as ongoing at once, then each time
         * its duration doubles, so a hung loop's report is never far behind. */
        l->wd_ongoing_seq = seq;
        l->wd_ongoing_next_ns = ran * 2;
        l->wd_hang_told = 0;
        l->wd_samples = 0;
        l->wd_sample_next_ns = 0;
        news = 2;
    } else if (ran >= l->wd_ongoing_next_ns) {
        l->wd_ongoing_next_ns = ran * 2;
        news = 2;
    }
    /* Samples: every half threshold at first, then less often as it drags on;
     * past the cap, the last slots are reused so a hang shows where it is now. */
    if (ran >= l->wd_sample_next_ns) {
        uint32_t n = l->wd_samples;
        uint32_t slot = n < LS_SAMPLES ? n : LS_SAMPLES / 2 + (n - LS_SAMPLES) % (LS_SAMPLES / 2);
        if (ls_sampler_request(l, slot)) l->wd_samples++;
        uint64_t step = ls_cfg.threshold_ns / 2 > ran / 4 ? ls_cfg.threshold_ns / 2 : ran / 4;
        l->wd_sample_next_ns = ran + step;
    }
    if (!l->wd_hang_told && ran >= LS_HANG_FACTOR * ls_cfg.threshold_ns) {
        l->wd_hang_told = 1;
        ls_tell_hang(l, ran);
    }
    return news;
}

/* One line on stderr while a loop hangs: which thread, for how long, in what. */
void ls_tell_hang(struct ls_loop *l, uint64_t ran_ns)
{
    char what[256] = "running code outside any intercepted call";
    int fn = atomic_load_explicit(&l->cur_fn, memory_order_acquire);
    if (fn >= 0) {
        char target[LS_TARGET_MAX];
        ls_target_of(l->cur_tkind, l->cur_target, l->cur_target_text, target, sizeof target);
        snprintf(what, sizeof what, "blocked in %s%s%s", ls_calls[fn].name, target[0] ? " on " : "",
                 target);
    } else {
        uint32_t n = atomic_load_explicit(&l->live_nsamples, memory_order_acquire);
        if (n) {
            pthread_mutex_lock(&report_lock); /* the module table is the report writer's too */
            ls_modules_refresh();
            struct ls_frames *f = &l->live_samples[n - 1];
            if (f->n) {
                /* The innermost frame: by name when the dynamic symbols know it, else
                 * as module+offset (`loopstall report` names it from debug info). */
                struct ls_frame_info fi;
                ls_modules_lookup(f->ip[0], &fi);
                const char *mod = fi.module ? strrchr(fi.module, '/') : NULL;
                if (fi.symbol)
                    snprintf(what, sizeof what, "running in %s", fi.symbol);
                else
                    snprintf(what, sizeof what, "running in %s+0x%lx", mod ? mod + 1 : "?",
                             (unsigned long)fi.offset);
            }
            pthread_mutex_unlock(&report_lock);
        }
    }
    char line[512];
    int len = snprintf(line, sizeof line,
                       "loopstall: pid %d: event loop thread %d has been stuck for %.1f s, %s\n",
                       (int)ls_pid, (int)l->tid, (double)ran_ns / 1e9, what);
    if (len > 0)
        syscall(SYS_write, 2, line, (size_t)(len < (int)sizeof line ? len : (int)sizeof line - 1));
}

static void write_report(void)
{
    ls_report_write_locked();
    last_write_ns = ls_mono_ns();
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    ls_tls.guard = 1; /* everything this thread calls passes through the wrappers */
    int pending = 0, busy = 1;
    for (;;) {
        sleep_ns(tick_ns(busy));
        if (atomic_load(&exiting)) break;
        ls_ticks_refine();
        ls_config_ticks();
        uint64_t now = ls_ticks();
        int urgent = 0;
        busy = 0;
        for (int i = 0; i < LS_MAX_LOOPS; i++) {
            busy |= atomic_load_explicit(&ls_loops[i].iter_start, memory_order_relaxed) != 0 &&
                    atomic_load(&ls_loops[i].state) == LS_SLOT_ACTIVE;
            int r = watch_loop(&ls_loops[i], now);
            pending |= r != 0;
            urgent |= r == 2;
        }
        pthread_mutex_lock(&report_lock);
        pending |= drain_rings();
        if (pending && !atomic_load(&exiting) &&
            (urgent || ls_mono_ns() - last_write_ns >= WRITE_INTERVAL_NS)) {
            write_report();
            pending = 0;
        }
        pthread_mutex_unlock(&report_lock);
    }
    return NULL;
}

/* Starts the watchdog if this process has none yet (first loop, or after fork). */
void ls_watchdog_ensure(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&ls_wd_running, &expect, 1)) return;
    int saved = errno;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all,
                    &old); /* the new thread inherits: no host signal lands on it */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    pthread_t th;
    if (real(pthread_create)(&th, &attr, watchdog_main, NULL) !=
        0) /* not the host's thread: not counted */
        atomic_store(&ls_wd_running, 0);
    else
        pthread_setname_np(th, "loopstall");
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
}

/* In a forked child: no watchdog thread exists and the lock may be held by a
 * thread that is not here. The next loop wait starts a fresh watchdog. */
void ls_watchdog_after_fork_child(void)
{
    pthread_mutex_init(&report_lock, NULL);
    atomic_store(&ls_wd_running, 0);
    last_write_ns = 0;
}

/* At exit: collect what is left and write the final report. */
void ls_report_final(void)
{
    atomic_store(&exiting, 1);
    pthread_mutex_lock(&report_lock);
    drain_rings();
    ls_report_write_locked();
    pthread_mutex_unlock(&report_lock);
}
