/* clock.c -- choose and calibrate the record's clock. */
#include "clock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
#include <sys/platform/x86.h>
#endif
#endif

/* The TSC is a clock only when it is invariant: constant rate, never
 * stopping (CPUID 0x80000007, EDX bit 8; the kernel's constant_tsc and
 * nonstop_tsc come from it). Not a read of /proc/cpuinfo: every process pays
 * for this at load. And not CPUID itself where glibc has kept its answer: in a
 * virtual machine each CPUID traps to the hypervisor (3.7 us apiece on the
 * machine of bench/README.md, two of them a sixth of the agent's start-up). */
static int tsc_is_invariant(void)
{
#if defined(__x86_64__) && defined(CPU_FEATURE_PRESENT)
    return CPU_FEATURE_PRESENT(INVARIANT_TSC) != 0;
#elif defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d)) return 0;
    return (d >> 8) & 1;
#else
    return 0;
#endif
}

/* One (ticks, ns) pair read close together: the pair whose two TSC reads
 * bracket the clock read most tightly, so a preemption cannot skew it. */
static void tight_pair(const struct ls_record *r, uint64_t (*now_ns)(void), uint64_t *ticks,
                       uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t t1 = ls_rec_ticks(r), m = now_ns(), t2 = ls_rec_ticks(r);
        if (t2 - t1 < best) {
            best = t2 - t1;
            *ticks = t1 + (t2 - t1) / 2;
            *ns = m;
        }
    }
}

static uint64_t mono_ns_vdso(void)
{
    return ls_mono_ns();
}

static void store_rate(struct ls_record *r, double ns_per_tick, uint64_t span_ns)
{
    uint64_t bits;
    memcpy(&bits, &ns_per_tick, sizeof bits);
    atomic_store_explicit(&r->ns_per_tick_bits, bits, memory_order_relaxed);
    atomic_store_explicit(&r->rate_span_ns, span_ns, memory_order_relaxed);
}

/* Once per process: cold, so the agent's linker puts it with its other load-time code. */
__attribute__((cold)) void ls_clock_init(struct ls_record *r, uint64_t (*mono_ns)(void))
{
    r->use_tsc = (uint32_t)tsc_is_invariant();
    store_rate(r, 1.0, 0);
    if (r->use_tsc) tight_pair(r, mono_ns ? mono_ns : mono_ns_vdso, &r->base_ticks, &r->base_ns);
}

void ls_clock_calibrate(struct ls_record *r, uint64_t min_ns)
{
    if (!r->use_tsc) return;
    uint64_t ns = 0, t = 0;
    do
        tight_pair(r, mono_ns_vdso, &t, &ns);
    while (ns - r->base_ns < min_ns);
    if (t > r->base_ticks)
        store_rate(r, (double)(ns - r->base_ns) / (double)(t - r->base_ticks), ns - r->base_ns);
}

void ls_clock_refine(struct ls_record *r)
{
    if (!r->use_tsc) return;
    uint64_t ns = 0, t = 0;
    tight_pair(r, mono_ns_vdso, &t, &ns);
    /* The pairs' jitter (tens of ns) is the same at any distance, so the rate's error shrinks
     * with the span: a longer one than the rate in use's is better, however short. A process
     * that lives 70 ms kept its first calibration's (a few hundred us from the base pair: 0.02%,
     * a 60 ms stall read as 59.99 ms) when only spans past 100 ms were taken. */
    uint64_t span = ns - r->base_ns;
    if (t > r->base_ticks && span >= LS_CLOCK_MIN_SPAN_NS &&
        span > atomic_load_explicit(&r->rate_span_ns, memory_order_relaxed))
        store_rate(r, (double)span / (double)(t - r->base_ticks), span);
}
