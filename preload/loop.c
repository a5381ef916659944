/* loop.c -- loop threads and their iterations: adoption, timing, and the stalls they finish. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ticks.h"

LS_HIDDEN struct ls_loop ls_loops[LS_MAX_LOOPS];
LS_HIDDEN _Atomic uint64_t ls_dropped;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, ls_loop_forget_thread);
}

/* Called by pthread when a loop thread exits: its statistics stay in the
 * report, but it no longer has an iteration in progress. */
void ls_loop_forget_thread(void *slot)
{
    struct ls_loop *l = slot;
    atomic_store(&l->iter_start, 0);
    atomic_store(&l->state, LS_SLOT_GONE);
}

/* Makes the calling thread a loop thread waiting on fd. Called from a loop
 * wait the first time a thread makes one; claims a preallocated slot without
 * locks. Returns NULL when every slot is taken (counted as dropped). */
struct ls_loop *ls_loop_adopt(struct ls_tls *t, int fd)
{
    int saved = errno; /* keeps errno intact, like every path of a wrapper */
    for (int i = 0; i < LS_MAX_LOOPS; i++) {
        int expect = LS_SLOT_FREE;
        if (!atomic_compare_exchange_strong(&ls_loops[i].state, &expect, LS_SLOT_CLAIMED)) continue;
        struct ls_loop *l = &ls_loops[i];
        l->tid = (pid_t)syscall(SYS_gettid);
        l->thread = pthread_self();
        l->loop_fd = fd;
        l->adopted_ticks = ls_ticks();
        prctl(PR_GET_NAME, l->name, 0, 0, 0); /* once: the report may be written after it exits */
        atomic_store(&l->cur_fn, -1);
        atomic_store(&l->state, LS_SLOT_ACTIVE);
        t->loop = l;
        pthread_once(&exit_key_once, make_exit_key);
        pthread_setspecific(exit_key, l);
        ls_watchdog_ensure();
        errno = saved;
        return l;
    }
    t->not_loop = 1;
    atomic_fetch_add(&ls_dropped, 1);
    return NULL;
}

static unsigned hist_bucket(uint64_t ns)
{
    if (ns < (1u << LS_HIST_SUB_BITS)) return (unsigned)ns;
    unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
    unsigned sub = (unsigned)(ns >> (msb - LS_HIST_SUB_BITS)) & ((1u << LS_HIST_SUB_BITS) - 1);
    return ((msb - LS_HIST_SUB_BITS + 1) << LS_HIST_SUB_BITS) + sub;
}

void ls_iteration_begin(struct ls_loop *l, uint64_t now)
{
    l->ncalls = 0;
    l->call_count = 0;
    l->injected_ns = 0;
    atomic_store_explicit(&l->live_nsamples, 0, memory_order_relaxed);
    atomic_store_explicit(&l->blocked_ticks, 0, memory_order_relaxed);
    /* Single writer: a plain increment, no locked instruction. */
    atomic_store_explicit(&l->iter_seq,
                          atomic_load_explicit(&l->iter_seq, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&l->iter_start, now, memory_order_release);
}

enum ls_class ls_classify(uint64_t wall, uint64_t cpu, uint64_t runq, uint64_t blocked)
{
    /* The scheduler's accounting decides: a loop thread that wanted the CPU
     * (running, or runnable on a busy machine) most of the stall was computing;
     * one that was off the CPU was blocked, in a call we saw or one we did not.
     * In between, or when both are large, it is mixed. */
    uint64_t compute = cpu + runq;
    if (compute * 10 >= wall * 6 && blocked * 10 < wall * 3) return LS_CLASS_CPU;
    if (blocked * 10 >= wall * 6 || compute * 4 <= wall) return LS_CLASS_BLOCKING;
    return LS_CLASS_MIXED;
}

/* Parses "exec_ns runq_ns slices" from a schedstat file. The loop thread reads
 * its own only at the end of a stall; the watchdog reads it for snapshots. */
int ls_sched_times(pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns)
{
    char path[64] = "/proc/self/task/";
    char *p = path + strlen(path);
    char digits[16];
    int n = 0;
    unsigned v = (unsigned)tid;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    memcpy(p, "/schedstat", 11);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[96];
    ssize_t len = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (len <= 0) return -1;
    buf[len] = '\0';
    uint64_t vals[2] = {0, 0};
    const char *s = buf;
    for (int i = 0; i < 2; i++) {
        while (*s == ' ')
            s++;
        if (*s < '0' || *s > '9') return -1;
        while (*s >= '0' && *s <= '9')
            vals[i] = vals[i] * 10 + (uint64_t)(*s++ - '0');
    }
    *cpu_ns = vals[0];
    *runq_ns = vals[1];
    return 0;
}

const char *ls_class_name(enum ls_class c)
{
    static const char *const names[] = {"blocking", "cpu", "mixed"};
    return names[c];
}

/* The CPU and run-queue time of the iteration seq so far, from the watchdog's
 * early snapshot and the thread's schedstat now; without a snapshot, the time
 * not spent in calls is taken as CPU. Then the stack samples taken in it.
 * Used for a finished stall (on the loop thread) and an ongoing one (watchdog). */
void ls_stall_fill_live(const struct ls_loop *l, uint64_t seq, struct ls_stall_rec *s)
{
    uint64_t cpu_now = 0, runq_now = 0;
    int have = ls_sched_times(l->tid, &cpu_now, &runq_now) == 0;
    s->runq_ns = 0;
    if (have && atomic_load_explicit(&l->snap_seq, memory_order_acquire) == seq &&
        cpu_now >= l->snap_cpu_ns && runq_now >= l->snap_runq_ns) {
        s->cpu_ns = cpu_now - l->snap_cpu_ns + l->snap_pre_ns;
        s->runq_ns = runq_now - l->snap_runq_ns;
    } else {
        s->cpu_ns = s->wall_ns - s->blocked_ns;
    }
    if (s->cpu_ns > s->wall_ns) s->cpu_ns = s->wall_ns;
    if (s->runq_ns > s->wall_ns - s->cpu_ns) s->runq_ns = s->wall_ns - s->cpu_ns;
    uint32_t ns = atomic_load_explicit(&l->live_nsamples, memory_order_acquire);
    s->nsamples = (uint8_t)(ns < LS_SAMPLES ? ns : LS_SAMPLES);
    for (uint32_t i = 0; i < s->nsamples; i++)
        s->samples[i] = l->live_samples[i];
}

/* Hands a finished stall to the watchdog through the loop's ring. Runs on the
 * loop thread at the end of an iteration longer than the threshold: the only
 * place it reads its own CPU clock. */
static void finish_stall(struct ls_loop *l, uint64_t start, uint64_t wall_ns, uint64_t seq)
{
    uint64_t blocked_ns =
        ls_ticks_to_ns(atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed));

    uint32_t head = atomic_load_explicit(&l->ring_head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&l->ring_tail, memory_order_acquire);
    if (head - tail >= LS_RING) {
        atomic_fetch_add(&l->ring_dropped, 1);
        return;
    }
    struct ls_stall_rec *s = &l->ring[head % LS_RING];
    s->tid = l->tid;
    s->ongoing = 0;
    s->start_ns = ls_ticks_to_ns(start - ls_start_ticks);
    s->wall_ns = wall_ns;
    s->blocked_ns = blocked_ns > wall_ns ? wall_ns : blocked_ns;
    s->injected_ns = l->injected_ns;
    s->call_count = l->call_count;
    ls_stall_fill_live(l, seq, s);
    /* Calls longest first; there are at most LS_STALL_CALLS, so insertion sort. */
    s->ncalls = (uint8_t)l->ncalls;
    for (uint32_t i = 0; i < l->ncalls; i++) {
        uint32_t j = i;
        while (j > 0 && s->calls[j - 1].wall_ns < l->calls[i].wall_ns) {
            s->calls[j] = s->calls[j - 1];
            j--;
        }
        s->calls[j] = l->calls[i];
    }
    atomic_store_explicit(&l->ring_head, head + 1, memory_order_release);
}

/* Called when the loop thread enters its wait again: the iteration is over. */
void ls_iteration_end(struct ls_loop *l, uint64_t now)
{
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_relaxed);
    if (!start) return;
    uint64_t ns = ls_ticks_to_ns(now - start);
    l->iterations++;
    l->busy_ns += ns;
    if (ns > l->max_ns) l->max_ns = ns;
    l->hist[hist_bucket(ns)]++;
    if (LS_UNLIKELY(ns >= ls_cfg.threshold_ns)) {
        int saved = errno;
        finish_stall(l, start, ns, atomic_load_explicit(&l->iter_seq, memory_order_relaxed));
        errno = saved;
    }
    atomic_store_explicit(&l->iter_start, 0, memory_order_release);
}
