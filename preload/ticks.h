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

/* The clock of call.h's fast path, taken only where ls_proc.fast_calls says the TSC is the
 * clock: no test of its own. */
static inline uint64_t ls_tsc(void)
{
#if defined(__x86_64__)
    return __rdtsc();
#else
    return ls_mono_ns(); /* not reached: fast_calls needs the TSC */
#endif
}

/* Nanoseconds per tick in 32.32 fixed point, from the record's rate each time the thresholds
 * are recomputed: a multiply and a shift where the record's double would cost two conversions. */
extern _Atomic uint64_t ls_ns_per_tick_q32;

static inline uint64_t ls_ticks_to_ns(uint64_t ticks)
{
    uint64_t q32 = atomic_load_explicit(&ls_ns_per_tick_q32, memory_order_relaxed);
    return (uint64_t)(((unsigned __int128)ticks * q32) >> 32);
}

/* Recomputes the thresholds in ticks and ls_ns_per_tick_q32 from the record's current rate. */
void ls_ticks_thresholds(void);
/* The first loop's first wait: measure the rate if nobody has yet. */
void ls_ticks_ensure_calibrated(void);

#endif
