/* cpu.h -- how much of a stall was on the CPU, waiting for one, or blocked.
 *
 * The loop thread never reads its CPU clock on the way through an iteration:
 * the watcher takes a snapshot early in any iteration that runs long, and
 * when the iteration ends (or is looked at while still running) the
 * difference to a reading now is its CPU and run-queue time. Without a
 * snapshot, the time not spent in intercepted calls is taken as CPU.
 *
 * schedstat's CPU figure lags a thread that is on a CPU by up to a scheduler
 * tick (1.4 ms seen here: the kernel brings it up to date only at a tick or a
 * switch), enough to make a 3 ms stall on the CPU look a third blocked. The
 * thread's CPU clock is exact, but only a thread of the same process may read
 * it. So:
 * - the stall's end is read by the loop thread itself, from its clock;
 * - a watcher in the host (the agent's own thread) reads the clock for the
 *   snapshot too, without a descriptor;
 * - a watcher outside reads schedstat, exact for a thread off the CPU (the
 *   usual case in a blocking stall), and the sampling signal's handler, which
 *   a stall on the CPU gets within half a threshold, notes the thread's clock
 *   on the loop thread: that reading is the CPU stall's start.
 * The run-queue figure comes from schedstat (the kernel adds to it only when a
 * waiting thread gets a CPU back, so it does not lag), except where the thread
 * has not left the CPU since an earlier reading: then that reading's figure
 * still holds (within LS_RUNQ_SLACK_NS) and /proc is not opened. In a storm of
 * CPU stalls that spares the agent's watcher and the loop a /proc file each
 * per stall.
 *
 * On a virtual machine the hypervisor may take the CPU from a running thread
 * (steal time): the wall clock goes on, the thread's CPU clock and its
 * run-queue figure do not (a thread spinning 50 ms lost up to 14 ms so here,
 * with no context switch at all). So the handler notes, with the clock, how
 * many times the thread has slept; where it has not slept again by the end,
 * all its time off the CPU since was spent waiting for one, and counts as
 * run-queue time.
 */
#ifndef LS_CPU_H
#define LS_CPU_H

#include <stdint.h>
#include <sys/types.h>

#include "record.h"

/* How long a thread may have been off the CPU, unseen, for an earlier run-queue figure to
 * stand: the most a stall's run-queue time can be off by. */
#define LS_RUNQ_SLACK_NS 10000u

/* The snapshot a watcher in the host takes of slot l at now_ticks (the thread's clock, and its
 * run-queue time); 0, or -1 when the clock cannot be read (then schedstat, as from outside). */
int ls_cpu_snapshot_here(const struct ls_record *r, const struct ls_loop *l, uint64_t now_ticks,
                         uint64_t *cpu_ns, uint64_t *runq_ns);
/* The CPU time of slot l's iteration begun at start, up to now (ticks), as it is estimated
 * before any reading: its time outside intercepted calls (the finished ones, and one still in
 * progress). */
uint64_t ls_cpu_outside_calls(const struct ls_record *r, const struct ls_loop *l, uint64_t start,
                              uint64_t now);
/* The sampling signal's handler, on the loop thread: its exact CPU time in the current
 * iteration and its count of sleeps, once per iteration (async-signal-safe: a clock read, a
 * getrusage and stores). */
void ls_cpu_note_exact_here(const struct ls_record *r, struct ls_loop *l);
/* Fills s->cpu_ns and s->runq_ns of the stall of iteration seq of slot l in
 * process pid (0: this one; -1: gone, no schedstat to read); s->wall_ns and
 * s->blocked_ns must be set, blocked no more than wall. */
void ls_stall_fill_cpu(const struct ls_record *r, pid_t pid, const struct ls_loop *l, uint64_t seq,
                       struct ls_stall_rec *s);
/* The same, by the loop thread itself at the end of its stall, keeping an exact reading for the
 * next snapshot. */
void ls_stall_fill_cpu_at_end(const struct ls_record *r, struct ls_loop *l, uint64_t seq,
                              struct ls_stall_rec *s);
/* Copies the samples the handler took in the slot's current iteration. */
void ls_stall_copy_samples(const struct ls_loop *l, struct ls_stall_rec *s);

#endif
