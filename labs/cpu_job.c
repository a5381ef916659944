/* cpu_job.c -- the CPU job the D3B and mixed labs run, and its calibration. */
#include <time.h>

#include "cpu_job.h"
#include "lab.h"

__attribute__((noinline)) uint64_t lab_cpu_job(uint64_t iters)
{
    /* xorshift64* with each round depending on the last: no vectorising, no shortcut. */
    uint64_t x = 0x9E3779B97F4A7C15ULL, acc = 0;
    for (uint64_t i = 0; i < iters; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        acc += x * 0x2545F4914F6CDD1DULL;
        __asm__ volatile("" : "+r"(acc)); /* keeps the loop real at any optimisation level */
    }
    return acc;
}

uint64_t lab_cpu_stage(uint64_t iters, const unsigned char *body, size_t len)
{
    uint64_t s = lab_cpu_job(iters);
    for (size_t i = 0; i < len; i += 64)
        s += body[i];
    return s;
}

/* The calling thread's CPU time: what the job costs, whoever else wants the CPU meanwhile. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double time_ms(uint64_t iters)
{
    double best = 1e30;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = thread_cpu_ns();
        lab_cpu_job(iters);
        double ms = (double)(thread_cpu_ns() - t0) / 1e6;
        if (ms < best) best = ms;
    }
    return best;
}

uint64_t lab_cpu_calibrate(double target_ms, double *cost_ms)
{
    uint64_t probe = 1000000;
    double ms = time_ms(probe);
    if (ms <= 0) ms = 0.001;
    uint64_t iters = (uint64_t)((double)probe * target_ms / ms);
    if (iters < 1000) iters = 1000;
    *cost_ms = time_ms(iters);
    return iters;
}
