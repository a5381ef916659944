/* watchdog.c -- the agent's own watcher thread and its report file (see watchdog.h). */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "modules.h"
#include "real.h"
#include "report_file.h"
#include "say.h"
#include "state.h"
#include "ticks.h"

#define FINAL_WAIT_NS 500000000ULL /* how long exit waits for a write in progress */

static struct ls_watch self;
static _Atomic int running;
static _Atomic int
    writing; /* held by whoever consumes the record: the watcher or the final write */
static _Atomic int final_done; /* the image ended: nothing more is written */
static uint64_t last_write_ns;

/* Store memory, mapped when first needed: untouched pages cost nothing. */
static void *map_zeroed(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void say_line(void *ctx, const char *line)
{
    (void)ctx;
    ls_say_line(line);
}

/* The watch is set up when first needed (the first loop, or the end of an image with something
 * to say): a process that has neither never touches its 12 KiB, each page of which would cost
 * it a page fault. 0: not set up, 1: being set up, 2: set up; stale: a forked child's copy of
 * its parent's watch, forgotten when it is set up. */
static _Atomic int self_state;
static int self_stale;

/* 0 once the watch is set up; -1 while another thread sets it up (a signal handler's final
 * write cannot wait for the thread it interrupted). */
static int watch_ready(void)
{
    int expect = 0;
    if (atomic_load_explicit(&self_state, memory_order_acquire) == 2) return 0;
    if (!atomic_compare_exchange_strong(&self_state, &expect, 1)) return expect == 2 ? 0 : -1;
    if (self_stale) memset(&self, 0, sizeof self);
    self_stale = 0;
    ls_watch_init(&self, ls_proc.rec, 0, map_zeroed);
    self.say = say_line;
    atomic_store_explicit(&self_state, 2, memory_order_release);
    return 0;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    /* The raw system call: never our own wrapper, never an injection rule. */
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
}

static int try_begin_write(void)
{
    int expect = 0;
    return atomic_compare_exchange_strong(&writing, &expect, 1);
}

/* One tick, and the report written when its news is due. Called holding `writing`: the tick
 * moves finished stalls from the record into the store, and the final write drains the same
 * record, so the two never run at once (or a stall would be stored twice). */
static void tick_and_maybe_write(int *pending, int *busy)
{
    int news = ls_watch_tick(&self, ls_ticks(), busy);
    ls_ticks_thresholds();
    if (!ls_news_due(news, pending, &last_write_ns, ls_mono_ns())) return;
    ls_modules_refresh();
    ls_report_file_write(&self, ls_ticks(), LS_END_RUNNING);
}

/* Sleeps until a loop begins an iteration (ls_watchdog_wake) or LS_DOZE_NS pass. Saying so first
 * and then looking again closes the race with a loop that began one in between: it either sees
 * watcher_asleep set and wakes us, or we see its iteration here. (A loop's store still in its
 * CPU's store buffer for the few ns around our look is the one case left: then we look again
 * after LS_DOZE_NS.) */
static void doze(void)
{
    _Atomic uint32_t *asleep = &ls_proc.rec->watcher_asleep;
    atomic_store(asleep, 1);
    if (ls_watch_all_waiting(&self)) {
        struct timespec ts = {(time_t)(LS_DOZE_NS / 1000000000ULL),
                              (long)(LS_DOZE_NS % 1000000000ULL)};
        /* Not FUTEX_PRIVATE: the record may be shared memory. */
        syscall(SYS_futex, asleep, FUTEX_WAIT, 1, &ts, NULL, 0);
    }
    atomic_store(asleep, 0);
}

void ls_watchdog_wake(void)
{
    _Atomic uint32_t *asleep = &ls_proc.rec->watcher_asleep;
    if (!atomic_exchange(asleep, 0)) return;
    int saved = errno;
    syscall(SYS_futex, asleep, FUTEX_WAKE, 1, NULL, NULL, 0);
    errno = saved;
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    ls_tls.guard = 1; /* everything this thread calls passes through the wrappers */
    int pending = 0, busy = 1, quiet = 0;
    for (;;) {
        if (quiet >= LS_DOZE_QUIET_TICKS && pending == LS_NEWS_NONE)
            doze();
        else
            sleep_ns(ls_watch_interval_ns(ls_proc.rec, busy));
        if (atomic_load(&final_done)) break;
        if (!try_begin_write()) continue; /* the final write has the record */
        int ended = atomic_load(&final_done);
        if (!ended) {
            tick_and_maybe_write(&pending, &busy);
            quiet = busy ? 0 : quiet + 1;
        }
        atomic_store(&writing, 0);
        if (ended) break;
    }
    atomic_store(&running, 0);
    return NULL;
}

void ls_watchdog_ensure(void)
{
    if (ls_proc.watched_outside) return;
    int expect = 0;
    if (atomic_load_explicit(&running, memory_order_relaxed) ||
        !atomic_compare_exchange_strong(&running, &expect, 1))
        return;
    if (watch_ready() != 0) { /* set up by another thread this instant: the next loop starts it */
        atomic_store(&running, 0);
        return;
    }
    int saved = errno;
    sigset_t all, old;
    sigfillset(&all);
    /* The new thread inherits the mask: no host signal ever lands on it. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t th;
    /* Our thread must not cost a single-threaded host glibc's multi-threaded path (real.h). */
    ls_real_own_thread_begins();
    /* The real pthread_create: not the host's thread, not counted. */
    if (real(pthread_create)(&th, &attr, watchdog_main, NULL) != 0)
        atomic_store(&running, 0);
    else
        pthread_setname_np(th, "loopstall");
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
}

void ls_watchdog_final(enum ls_image_end how)
{
    if (ls_proc.watched_outside) return;
    int saved = errno;
    atomic_store(&final_done, 1);
    /* Wait (bounded) for a write in progress; past the bound the directory
     * is hung and the final write would hang too: the host's exit wins. */
    uint64_t waited = 0;
    while (!try_begin_write()) {
        if (waited >= FINAL_WAIT_NS) {
            errno = saved;
            return;
        }
        sleep_ns(1000000);
        waited += 1000000;
    }
    if (watch_ready() != 0) {
        atomic_store(&writing, 0);
        errno = saved;
        return;
    }
    /* The longest span the rate can have: a stall cut short by the end is measured with it. */
    ls_clock_refine(ls_proc.rec);
    ls_watch_drain(&self);
    if (ls_worth_a_report(&self, ls_cfg.root_pid, how)) {
        ls_modules_refresh();
        ls_report_file_write(&self, atomic_load(&ls_proc.rec->end_ticks), how);
    }
    atomic_store(&writing, 0);
    errno = saved;
}

void ls_watchdog_resume(void)
{
    atomic_store(&final_done, 0);
    if (atomic_load(&ls_proc.rec->nloops) && !atomic_load(&running)) ls_watchdog_ensure();
}

void ls_watchdog_after_fork(void)
{
    /* Only the forking thread exists in the child: the watcher thread did
     * not come along, and a write it was doing is not the child's. */
    atomic_store(&running, 0);
    atomic_store(&writing, 0);
    atomic_store(&final_done, 0);
    last_write_ns = 0;
    /* The parent's stalls are not the child's (its store's memory was copied): forgotten when
     * the child's watch is set up, if it ever is. */
    self_stale = 1;
    atomic_store(&self_state, 0);
}
