/* cpu.c -- a stall's CPU and run-queue time from the snapshot and a reading now (see cpu.h). */
#include "cpu.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "procfs.h"

/* 1 when the thread has been on the CPU all the time from a reading (since_ticks, since_cpu) to
 * one now: then the kernel has added nothing to its run-queue figure (within the slack). */
static int stayed_on_cpu(const struct ls_record *r, uint64_t now_ticks, uint64_t cpu_now,
                         uint64_t since_ticks, uint64_t since_cpu)
{
    return since_ticks && since_ticks <= now_ticks && cpu_now >= since_cpu &&
           ls_rec_to_ns(r, now_ticks - since_ticks) <= cpu_now - since_cpu + LS_RUNQ_SLACK_NS;
}

/* The run-queue figure at a reading whose CPU clock said cpu_now: the earlier reading's
 * (since_*) if the thread has been on the CPU all the time since, else schedstat's; 0 or -1. */
static int runq_at(const struct ls_record *r, const struct ls_loop *l, uint64_t now_ticks,
                   uint64_t cpu_now, uint64_t since_ticks, uint64_t since_cpu, uint64_t since_runq,
                   uint64_t *runq_ns)
{
    if (stayed_on_cpu(r, now_ticks, cpu_now, since_ticks, since_cpu)) {
        *runq_ns = since_runq;
        return 0;
    }
    uint64_t lagging_cpu;
    return ls_sched_times(r->pid, l->tid, &lagging_cpu, runq_ns);
}

/* A reading in the host: the CPU clock, and the run-queue figure (runq_at). */
static int read_here(const struct ls_record *r, const struct ls_loop *l, uint64_t now_ticks,
                     uint64_t since_ticks, uint64_t since_cpu, uint64_t since_runq,
                     uint64_t *cpu_ns, uint64_t *runq_ns)
{
    if (ls_thread_cpu_ns_here(l->tid, cpu_ns) != 0) return -1;
    return runq_at(r, l, now_ticks, *cpu_ns, since_ticks, since_cpu, since_runq, runq_ns);
}

uint64_t ls_cpu_outside_calls(const struct ls_record *r, const struct ls_loop *l, uint64_t start,
                              uint64_t now)
{
    uint64_t blocked = atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed);
    uint64_t cur = atomic_load_explicit(&l->cur_start, memory_order_relaxed);
    if (atomic_load_explicit(&l->cur_fn, memory_order_relaxed) >= 0 && cur >= start && cur < now)
        blocked += now - cur;
    uint64_t span = now - start;
    return span > blocked ? ls_rec_to_ns(r, span - blocked) : 0;
}

int ls_cpu_snapshot_here(const struct ls_record *r, const struct ls_loop *l, uint64_t now_ticks,
                         uint64_t *cpu_ns, uint64_t *runq_ns)
{
    uint64_t since = atomic_load_explicit(&l->end_ticks, memory_order_acquire);
    if (since < l->adopted_ticks) since = 0; /* a reading of the slot's previous thread */
    return read_here(r, l, now_ticks, since,
                     atomic_load_explicit(&l->end_cpu_ns, memory_order_relaxed),
                     atomic_load_explicit(&l->end_runq_ns, memory_order_relaxed), cpu_ns, runq_ns);
}

void ls_cpu_note_exact_here(const struct ls_record *r, struct ls_loop *l)
{
    uint64_t seq = atomic_load_explicit(&l->iter_seq, memory_order_relaxed);
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_relaxed);
    if (!start || atomic_load_explicit(&l->exact_seq, memory_order_relaxed) == seq ||
        atomic_load_explicit(&l->cur_fn, memory_order_relaxed) >= 0)
        return;
    uint64_t cpu, sleeps, now = ls_rec_ticks(r);
    if (now < start || ls_thread_cpu_ns_here(l->tid, &cpu) != 0 ||
        ls_thread_sleeps_here(&sleeps) != 0)
        return;
    atomic_store_explicit(&l->exact_cpu_ns, cpu, memory_order_relaxed);
    atomic_store_explicit(&l->exact_pre_ns, ls_cpu_outside_calls(r, l, start, now),
                          memory_order_relaxed);
    atomic_store_explicit(&l->exact_ticks, now, memory_order_relaxed);
    atomic_store_explicit(&l->exact_sleeps, sleeps, memory_order_relaxed);
    atomic_store_explicit(&l->exact_seq, seq, memory_order_release);
}

/* The stall's share from the CPU time at its start (ref_cpu, and pre before it) to cpu_now,
 * and from the run-queue figure of the snapshot to runq_now; the time outside calls without. */
static void split(struct ls_stall_rec *s, int have, uint64_t cpu_now, uint64_t ref_cpu,
                  uint64_t pre, int have_runq, uint64_t runq_now, uint64_t snap_runq)
{
    s->cpu_ns = have && cpu_now >= ref_cpu ? cpu_now - ref_cpu + pre : s->wall_ns - s->blocked_ns;
    s->runq_ns = have && have_runq && runq_now >= snap_runq ? runq_now - snap_runq : 0;
    if (s->cpu_ns > s->wall_ns) s->cpu_ns = s->wall_ns;
    if (s->runq_ns > s->wall_ns - s->cpu_ns) s->runq_ns = s->wall_ns - s->cpu_ns;
}

/* The time the thread was off the CPU since the handler's note in iteration seq, when it has
 * not slept since: then all of it was spent waiting for a CPU, on the kernel's run queue or (the
 * part neither schedstat nor the CPU clock counts) the hypervisor's. 0 when it slept, or
 * without a note. */
static uint64_t waited_since_note(const struct ls_record *r, const struct ls_loop *l, uint64_t seq,
                                  uint64_t now, uint64_t cpu_now)
{
    uint64_t sleeps;
    if (atomic_load_explicit(&l->exact_seq, memory_order_acquire) != seq) return 0;
    uint64_t at = atomic_load_explicit(&l->exact_ticks, memory_order_relaxed);
    uint64_t at_cpu = atomic_load_explicit(&l->exact_cpu_ns, memory_order_relaxed);
    if (now < at || cpu_now < at_cpu || ls_thread_sleeps_here(&sleeps) != 0 ||
        sleeps != atomic_load_explicit(&l->exact_sleeps, memory_order_relaxed))
        return 0;
    uint64_t wall = ls_rec_to_ns(r, now - at), ran = cpu_now - at_cpu;
    return wall > ran ? wall - ran : 0;
}

/* Raises the stall's run-queue time to its wait since the note (waited_since_note), as the loop
 * thread reads it at now with its CPU clock at cpu_now. A running thread whose vCPU the
 * hypervisor takes (steal time: 25 ms of a 60 ms CPU stall seen on a busy VM) loses wall time
 * that neither its clock nor its run-queue figure counts, and a stall on the CPU would read as
 * partly blocked. */
static void count_wait_since_note(const struct ls_record *r, const struct ls_loop *l, uint64_t seq,
                                  uint64_t now, uint64_t cpu_now, struct ls_stall_rec *s)
{
    uint64_t waited = waited_since_note(r, l, seq, now, cpu_now);
    if (waited > s->runq_ns)
        s->runq_ns = waited < s->wall_ns - s->cpu_ns ? waited : s->wall_ns - s->cpu_ns;
}

void ls_stall_fill_cpu(const struct ls_record *r, pid_t pid, const struct ls_loop *l, uint64_t seq,
                       struct ls_stall_rec *s)
{
    uint64_t cpu = 0, runq = 0, now = 0;
    int exact = 0;
    int have = pid >= 0 && atomic_load_explicit(&l->snap_seq, memory_order_acquire) == seq;
    if (have && pid == 0 && atomic_load_explicit(&l->snap_exact, memory_order_relaxed)) {
        now = ls_rec_ticks(r);
        have = exact =
            read_here(r, l, now, atomic_load_explicit(&l->snap_ticks, memory_order_relaxed),
                      atomic_load_explicit(&l->snap_cpu_ns, memory_order_relaxed),
                      atomic_load_explicit(&l->snap_runq_ns, memory_order_relaxed), &cpu,
                      &runq) == 0;
    } else if (have) /* this process by its number: /proc/self is a link followed at each open */
        have = ls_sched_times(pid ? pid : r->pid, l->tid, &cpu, &runq) == 0;
    split(s, have, cpu, atomic_load_explicit(&l->snap_cpu_ns, memory_order_relaxed),
          atomic_load_explicit(&l->snap_pre_ns, memory_order_relaxed), have, runq,
          atomic_load_explicit(&l->snap_runq_ns, memory_order_relaxed));
    /* On the loop thread itself (a fatal signal's report of the stall it cut short), its own
     * count of sleeps tells its wait since the note, as at a stall's end. */
    if (exact && (pid_t)syscall(SYS_gettid) == l->tid)
        count_wait_since_note(r, l, seq, now, cpu, s);
}

void ls_stall_fill_cpu_at_end(const struct ls_record *r, struct ls_loop *l, uint64_t seq,
                              struct ls_stall_rec *s)
{
    uint64_t now = ls_rec_ticks(r), cpu = 0, runq = 0;
    if (ls_thread_cpu_ns_here(l->tid, &cpu) != 0) {
        /* No clock to read (never seen): as the watcher would. */
        ls_stall_fill_cpu(r, 0, l, seq, s);
        return;
    }
    int snap = atomic_load_explicit(&l->snap_seq, memory_order_acquire) == seq;
    int snap_exact = snap && atomic_load_explicit(&l->snap_exact, memory_order_relaxed);
    uint64_t snap_cpu = atomic_load_explicit(&l->snap_cpu_ns, memory_order_relaxed);
    uint64_t snap_runq = atomic_load_explicit(&l->snap_runq_ns, memory_order_relaxed);
    int have_runq =
        runq_at(r, l, now, cpu,
                snap_exact ? atomic_load_explicit(&l->snap_ticks, memory_order_relaxed) : 0,
                snap_cpu, snap_runq, &runq) == 0;
    /* The CPU time at the stall's start: an exact snapshot (a watcher in the host); else the
     * handler's reading, if a sample was taken (a snapshot from outside lags a thread on the CPU);
     * else the snapshot, exact where the thread was off the CPU at it, as a stall with no sample
     * mostly is. */
    uint64_t ref = snap_cpu, pre = atomic_load_explicit(&l->snap_pre_ns, memory_order_relaxed);
    int have = snap;
    if (!snap_exact && atomic_load_explicit(&l->exact_seq, memory_order_acquire) == seq) {
        ref = atomic_load_explicit(&l->exact_cpu_ns, memory_order_relaxed);
        pre = atomic_load_explicit(&l->exact_pre_ns, memory_order_relaxed);
        have = 1;
    }
    split(s, have, cpu, ref, pre, snap && have_runq, runq, snap_runq);
    if (have) count_wait_since_note(r, l, seq, now, cpu, s);
    if (!have_runq) return;
    atomic_store_explicit(&l->end_cpu_ns, cpu, memory_order_relaxed);
    atomic_store_explicit(&l->end_runq_ns, runq, memory_order_relaxed);
    atomic_store_explicit(&l->end_ticks, now, memory_order_release);
}

void ls_stall_copy_samples(const struct ls_loop *l, struct ls_stall_rec *s)
{
    uint32_t n = atomic_load_explicit(&l->live_nsamples, memory_order_acquire);
    s->nsamples = (uint8_t)(n < LS_SAMPLES ? n : LS_SAMPLES);
    for (uint32_t i = 0; i < s->nsamples; i++)
        s->samples[i] = l->live_samples[i];
}
