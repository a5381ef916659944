/* cpu.h -- how much of a stall was on the CPU, waiting for one, or blocked.
 *
 * The loop thread never reads its CPU clock on the way through an iteration:
 * the watcher takes a snapshot (schedstat) early in any iteration that runs
 * long, and when the iteration ends (or is looked at while still running)
 * the difference to schedstat now is its CPU and run-queue time. Without a
 * snapshot, the time not spent in intercepted calls is taken as CPU.
 */
#ifndef LS_CPU_H
#define LS_CPU_H

#include <stdint.h>
#include <sys/types.h>

#include "record.h"

/* Fills s->cpu_ns and s->runq_ns of the stall of iteration seq of slot l in
 * process pid (0: this one; -1: gone, no schedstat to read); s->wall_ns and
 * s->blocked_ns must be set, blocked no more than wall. */
void ls_stall_fill_cpu(const struct ls_record *r, pid_t pid, const struct ls_loop *l, uint64_t seq,
                       struct ls_stall_rec *s);
/* Copies the samples the handler took in the slot's current iteration. */
void ls_stall_copy_samples(const struct ls_loop *l, struct ls_stall_rec *s);

#endif
