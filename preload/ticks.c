/* ticks.c -- the agent's thresholds in clock ticks, and the first calibration (see ticks.h).
 *
 * A process that never runs a loop never calibrates: the base pair is taken
 * at load (a few clock reads), and the rate is measured at the first loop's
 * first wait, from the base pair to then (usually long enough already, so no
 * busy-wait), and refined later by the watcher.
 */
#include "ticks.h"

#include "config.h"
#include "inject.h"

/* One tick is one nanosecond until the rate is known (and always, without the TSC). */
LS_HIDDEN _Atomic uint64_t ls_ns_per_tick_q32 = 1ULL << 32;

void ls_ticks_thresholds(void)
{
    atomic_store_explicit(&ls_ns_per_tick_q32,
                          (uint64_t)(ls_rec_ns_per_tick(ls_proc.rec) * 4294967296.0),
                          memory_order_relaxed);
    ls_proc.threshold_ticks = ls_rec_from_ns(ls_proc.rec, ls_cfg.threshold_ns);
    /* Calls a tenth of the threshold long (at least 200 us) are kept with their
     * stack and target: shorter ones cannot make up much of a stall. */
    uint64_t min_ns = ls_cfg.threshold_ns / 10;
    if (min_ns < 200000) min_ns = 200000;
    ls_proc.record_min_ticks = ls_rec_from_ns(ls_proc.rec, min_ns);
    /* One comparison on every call's way out decides whether it goes out of line: strict mode
     * notes every call, and a rule's delay counts even on a short call (call.c). */
    /* ls_cfg.inject_set first: without rules, inject.c's page is never touched at load. */
    int rules = ls_cfg.inject_set && ls_inject_on;
    ls_proc.end_min_ticks = ls_cfg.strict || rules ? 0 : ls_proc.record_min_ticks;
    ls_proc.fast_calls = ls_proc.use_tsc && !rules;
}

void ls_ticks_ensure_calibrated(void)
{
    static _Atomic int done;
    if (atomic_load_explicit(&done, memory_order_acquire)) return;
    ls_clock_calibrate(ls_proc.rec, LS_CLOCK_MIN_SPAN_NS);
    ls_ticks_thresholds();
    atomic_store_explicit(&done, 1, memory_order_release);
}
