/* ticks.h -- the agent's clock: the TSC where it is invariant, CLOCK_MONOTONIC elsewhere.
 *
 * A wrapped call on a loop thread is timed with two reads of this clock. The
 * TSC costs a third of a vDSO clock_gettime, and that difference is most of the
 * agent's overhead on a busy server (DESIGN.md: two clock reads per call cost
 * +4.8% on Redis). Ticks become nanoseconds only when something is recorded.
 */
#ifndef LS_TICKS_H
#define LS_TICKS_H

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

extern int ls_use_tsc;        /* 1 when the TSC is invariant and used as the clock */
extern double ls_ns_per_tick; /* 1.0 without the TSC */

static inline uint64_t ls_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ls_ticks(void)
{
#if defined(__x86_64__)
    if (__builtin_expect(ls_use_tsc, 1)) return __rdtsc();
#endif
    return ls_mono_ns();
}

static inline uint64_t ls_ticks_to_ns(uint64_t ticks)
{
    return (uint64_t)((double)ticks * ls_ns_per_tick);
}

static inline uint64_t ls_ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((double)ns / ls_ns_per_tick);
}

/* Decides whether to use the TSC and measures its rate (about 200 us). */
void ls_ticks_init(void);
/* Refines the rate against CLOCK_MONOTONIC over the process's lifetime (watchdog). */
void ls_ticks_refine(void);

#endif
