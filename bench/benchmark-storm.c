/* benchmark-storm.c -- a storm of stalls: one loop thread that stalls on every iteration, and
 * what the storm costs the loop and its watcher.
 *
 * The loop waits in epoll on an eventfd that stays readable, so every wait returns at once and
 * every iteration does one stall: --kind cpu spins a fixed amount of work (--spins, from
 * --calibrate: the same work in every way, so a loop slowed by the watcher, its signals or its
 * samples takes longer), --kind sleep sleeps --stall-us in nanosleep (a blocking stall). Before
 * the storm the loop waits idle for 5 ms (so the stalls are "serving", not start-up), after it
 * another 5 ms, which ends the last iteration. The loop thread reads the watcher's CPU (the
 * agent's "loopstall" thread, or the `loopstall run` that started this process) at the start and
 * the end of the storm.
 *
 * Prints
 *   result: stalls N storm_ns W watcher KIND watcher_ns C short K
 * where short counts iterations whose stall took less than --threshold-ms * 1.05 by this
 * program's own clock (they may not be stalls: the check of the report allows for them).
 *
 * Usage: benchmark-storm --calibrate [--stall-us US]
 *        benchmark-storm [--stalls N] [--kind cpu|sleep] [--spins K] [--stall-us US]
 *                        [--threshold-ms MS]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"

static volatile uint64_t sink;

/* A dependent chain of multiplications: work the compiler cannot drop or shorten. */
static void spin(uint64_t k)
{
    uint64_t x = sink | 1;
    for (uint64_t i = 0; i < k; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    sink = x;
}

/* The work that takes stall_us on this CPU at its quickest: the fastest of many tries, so that
 * the same work takes at least that long in every later run. */
static uint64_t calibrate(double stall_us)
{
    const uint64_t k = 200000;
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 200; i++) {
        uint64_t t = bench_now_ns();
        spin(k);
        t = bench_now_ns() - t;
        if (t < best) best = t;
    }
    return (uint64_t)(stall_us * 1e3 / (double)best * (double)k);
}

struct storm {
    long stalls;
    int sleep;
    uint64_t spins;
    double stall_us, threshold_ms;
    /* results */
    uint64_t storm_ns, watcher_ns;
    long short_ones;
    struct bench_watcher w;
};

static void *loop(void *arg)
{
    struct storm *s = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int ev = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK); /* readable until read: it never is */
    struct epoll_event e = {.events = EPOLLIN, .data.fd = ev};
    epoll_wait(ep, &e, 1, 5); /* idle: the loop is serving from now on */
    bench_watcher_find(&s->w);
    uint64_t c0 = bench_watcher_cpu_ns(&s->w);
    epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
    uint64_t t0 = bench_now_ns(), short_ns = (uint64_t)(s->threshold_ms * 1.05e6);
    struct timespec nap = {0, (long)(s->stall_us * 1e3)};
    for (long i = 0; i < s->stalls; i++) {
        epoll_wait(ep, &e, 1, -1);
        uint64_t a = bench_now_ns();
        if (s->sleep)
            nanosleep(&nap, NULL);
        else
            spin(s->spins);
        if (bench_now_ns() - a < short_ns) s->short_ones++;
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, ev, &e);
    s->storm_ns = bench_now_ns() - t0;
    epoll_wait(ep, &e, 1, 5); /* ends the last stall's iteration, then idles */
    s->watcher_ns = bench_watcher_cpu_ns(&s->w) - c0;
    return NULL;
}

int main(int argc, char **argv)
{
    struct storm s = {.stalls = 10000, .stall_us = 1200, .threshold_ms = 1};
    int cal = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--calibrate"))
            cal = 1;
        else if (!strcmp(argv[i], "--stalls") && i + 1 < argc)
            s.stalls = atol(argv[++i]);
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
            const char *k = argv[++i];
            if (strcmp(k, "cpu") && strcmp(k, "sleep")) {
                fprintf(stderr, "benchmark-storm: --kind wants cpu or sleep, got %s\n", k);
                return 2;
            }
            s.sleep = !strcmp(k, "sleep");
        } else if (!strcmp(argv[i], "--spins") && i + 1 < argc)
            s.spins = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--stall-us") && i + 1 < argc)
            s.stall_us = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threshold-ms") && i + 1 < argc)
            s.threshold_ms = atof(argv[++i]);
        else {
            fprintf(stderr,
                    "benchmark-storm: unknown option %s (accepted: --calibrate, --stalls N, "
                    "--kind cpu|sleep, --spins K, --stall-us US, --threshold-ms MS)\n",
                    argv[i]);
            return 2;
        }
    }
    if (s.stall_us <= 0 || s.threshold_ms <= 0) {
        fprintf(stderr, "benchmark-storm: --stall-us and --threshold-ms want positive numbers\n");
        return 2;
    }
    if (cal) {
        printf("spins %llu\n", (unsigned long long)calibrate(s.stall_us));
        return 0;
    }
    if (s.stalls < 1 || (!s.sleep && s.spins == 0)) {
        fprintf(stderr, "benchmark-storm: --stalls wants at least 1, and --kind cpu wants --spins "
                        "(from --calibrate)\n");
        return 2;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, loop, &s) != 0 || pthread_join(t, NULL) != 0) {
        fprintf(stderr, "benchmark-storm: cannot run the loop thread\n");
        return 1;
    }
    printf("result: stalls %ld storm_ns %llu watcher %s watcher_ns %llu short %ld\n", s.stalls,
           (unsigned long long)s.storm_ns, bench_watcher_name(&s.w),
           (unsigned long long)s.watcher_ns, s.short_ones);
    return 0;
}
