/* cpu.c -- a stall's CPU and run-queue time from the snapshot and schedstat (see cpu.h). */
#include "cpu.h"

#include "procfs.h"

void ls_stall_fill_cpu(const struct ls_record *r, pid_t pid, const struct ls_loop *l, uint64_t seq,
                       struct ls_stall_rec *s)
{
    (void)r;
    uint64_t cpu_now = 0, runq_now = 0;
    int have = pid >= 0 && ls_sched_times(pid, l->tid, &cpu_now, &runq_now) == 0;
    uint64_t snap_cpu = atomic_load_explicit(&l->snap_cpu_ns, memory_order_relaxed);
    uint64_t snap_runq = atomic_load_explicit(&l->snap_runq_ns, memory_order_relaxed);
    s->runq_ns = 0;
    if (have && atomic_load_explicit(&l->snap_seq, memory_order_acquire) == seq &&
        cpu_now >= snap_cpu && runq_now >= snap_runq) {
        s->cpu_ns =
            cpu_now - snap_cpu + atomic_load_explicit(&l->snap_pre_ns, memory_order_relaxed);
        s->runq_ns = runq_now - snap_runq;
    } else {
        s->cpu_ns = s->wall_ns - s->blocked_ns;
    }
    if (s->cpu_ns > s->wall_ns) s->cpu_ns = s->wall_ns;
    if (s->runq_ns > s->wall_ns - s->cpu_ns) s->runq_ns = s->wall_ns - s->cpu_ns;
}

void ls_stall_copy_samples(const struct ls_loop *l, struct ls_stall_rec *s)
{
    uint32_t n = atomic_load_explicit(&l->live_nsamples, memory_order_acquire);
    s->nsamples = (uint8_t)(n < LS_SAMPLES ? n : LS_SAMPLES);
    for (uint32_t i = 0; i < s->nsamples; i++)
        s->samples[i] = l->live_samples[i];
}
