/* clock.h -- the record's clock: ticks (TSC cycles, or nanoseconds without an invariant TSC) to
 * nanoseconds.
 *
 * The agent times calls in ticks because a TSC read costs a third of a vDSO
 * clock_gettime; ticks become nanoseconds only when something is recorded.
 * The rate is measured by whoever calibrates first (the agent at its first
 * loop, roughly) and refined by the watcher against CLOCK_MONOTONIC over the
 * process's life; it is kept as a double's bits so that both sides can read
 * and write it atomically.
 */
#ifndef LS_CLOCK_H
#define LS_CLOCK_H

#include <stdint.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "record.h"

static inline uint64_t ls_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The current time in the record's ticks. */
static inline uint64_t ls_rec_ticks(const struct ls_record *r)
{
#if defined(__x86_64__)
    if (__builtin_expect(r->use_tsc, 1)) return __rdtsc();
#endif
    (void)r;
    return ls_mono_ns();
}

static inline double ls_rec_ns_per_tick(const struct ls_record *r)
{
    uint64_t bits = atomic_load_explicit(&r->ns_per_tick_bits, memory_order_relaxed);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d > 0 ? d : 1.0;
}

static inline uint64_t ls_rec_to_ns(const struct ls_record *r, uint64_t ticks)
{
    return (uint64_t)((double)ticks * ls_rec_ns_per_tick(r));
}

static inline uint64_t ls_rec_from_ns(const struct ls_record *r, uint64_t ns)
{
    return (uint64_t)((double)ns / ls_rec_ns_per_tick(r));
}

/* Decides whether the record's clock is the TSC, and takes the base pair, reading
 * CLOCK_MONOTONIC with mono_ns (NULL: ls_mono_ns). */
void ls_clock_init(struct ls_record *r, uint64_t (*mono_ns)(void));
/* The shortest span a rate is measured over: +-25 ns of pair jitter is 0.1% of it. */
#define LS_CLOCK_MIN_SPAN_NS 20000
/* Measures the rate over at least min_ns since the base pair (busy-waiting
 * only for what is missing) and stores it; used for the first estimate. */
void ls_clock_calibrate(struct ls_record *r, uint64_t min_ns);
/* Refines the rate from the base pair to now when that span is longer than the
 * current estimate's (and at least LS_CLOCK_MIN_SPAN_NS); cheap, for the
 * watcher's ticks and for the last look at an image that ended. */
void ls_clock_refine(struct ls_record *r);

#endif
