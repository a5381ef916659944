/* ticks.h -- the agent's inline clock: the TSC where it is invariant, CLOCK_MONOTONIC elsewhere.
 *
 * A wrapped call on a loop thread is timed with two reads of this clock; the
 * TSC costs a third of a vDSO clock_gettime, and that difference is most of
 * the agent's overhead on a busy server. Ticks become nanoseconds only when
 * something is recorded (watcher/clock.h has the conversions).
 */
#ifndef LS_TICKS_H
#define LS_TICKS_H

#include <stdint.h>

#include "clock.h"
#include "state.h"

static inline uint64_t ls_ticks(void)
{
#if defined(__x86_64__)
    if (LS_LIKELY(ls_proc.use_tsc)) return __rdtsc();
#endif
    return ls_mono_ns();
}

static inline uint64_t ls_ticks_to_ns(uint64_t ticks)
{
    return ls_rec_to_ns(ls_proc.rec, ticks);
}

/* Recomputes the thresholds in ticks from the record's current rate. */
void ls_ticks_thresholds(void);
/* The first loop's first wait: measure the rate if nobody has yet. */
void ls_ticks_ensure_calibrated(void);

#endif
