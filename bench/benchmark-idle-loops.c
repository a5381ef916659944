/* benchmark-idle-loops.c -- a program whose loop threads all sit idle, and what their watcher
 * costs meanwhile.
 *
 * Starts --loops threads, each with an epoll loop of its own waiting with a long timeout (the way
 * an idle libuv or asyncio loop waits), lets them settle, then measures for --seconds one-second
 * windows the CPU of whatever watches this process: the agent's own "loopstall" thread (direct
 * use) or the `loopstall run` that started it (its whole process, over the same windows, so
 * run's own start and end are left out). The loop threads' own CPU is measured too: an idle loop
 * should cost nothing, watched or not.
 *
 * Prints one line per window and a last line
 *   result: watcher KIND us_per_s MEDIAN P10 P90 MIN MAX mean MEAN loops_us_per_s L
 *           wakeups_per_s W us_per_wakeup U
 * where the wake-ups are the watcher's context switches (it sleeps between ticks), so U is what
 * one tick costs, the switch included.
 *
 * Usage: benchmark-idle-loops [--loops N] [--seconds S] [--settle-ms MS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"

#define MAX_LOOPS 1024

static pid_t tids[MAX_LOOPS];
static int nloops = 1;

static void *idle_loop(void *arg)
{
    int i = (int)(long)arg;
    tids[i] = (pid_t)syscall(SYS_gettid);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); /* never signalled: nothing to do, ever */
    struct epoll_event e = {.events = EPOLLIN, .data.fd = ev};
    epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
    for (;;)
        epoll_wait(ep, &e, 1, 3600 * 1000);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, int n, double p)
{
    double h = (n - 1) * p;
    int lo = (int)h;
    return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

int main(int argc, char **argv)
{
    int seconds = 10;
    long settle_ms = 1000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--loops") && i + 1 < argc)
            nloops = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--settle-ms") && i + 1 < argc)
            settle_ms = atol(argv[++i]);
        else {
            fprintf(stderr,
                    "benchmark-idle-loops: unknown option %s (accepted: --loops N, "
                    "--seconds S, --settle-ms MS)\n",
                    argv[i]);
            return 2;
        }
    }
    if (nloops < 1 || nloops > MAX_LOOPS || seconds < 1 || settle_ms < 0) {
        fprintf(stderr,
                "benchmark-idle-loops: --loops wants 1 to %d, --seconds at least 1, "
                "--settle-ms at least 0\n",
                MAX_LOOPS);
        return 2;
    }
    for (int i = 0; i < nloops; i++) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64 * 1024);
        if (pthread_create(&t, &a, idle_loop, (void *)(long)i) != 0) {
            fprintf(stderr, "benchmark-idle-loops: cannot start loop thread %d\n", i);
            return 1;
        }
        pthread_attr_destroy(&a);
    }
    sleep_ms(settle_ms);
    struct bench_watcher w;
    bench_watcher_find(&w);
    double *rate = calloc((size_t)seconds, sizeof *rate);
    uint64_t loops0 = 0, loops1 = 0;
    for (int i = 0; i < nloops; i++)
        loops0 += bench_cpu_ns(getpid(), tids[i]);
    uint64_t t0 = bench_now_ns(), c0 = bench_watcher_cpu_ns(&w), t = t0, c = c0;
    uint64_t sw0 = bench_watcher_switches(&w);
    for (int s = 0; s < seconds; s++) {
        sleep_ms(1000);
        uint64_t t2 = bench_now_ns(), c2 = bench_watcher_cpu_ns(&w);
        rate[s] = (double)(c2 - c) / 1e3 / ((double)(t2 - t) / 1e9);
        printf("  second %2d: watcher %8.1f us/s\n", s + 1, rate[s]);
        t = t2;
        c = c2;
    }
    uint64_t sw = bench_watcher_switches(&w) - sw0;
    for (int i = 0; i < nloops; i++)
        loops1 += bench_cpu_ns(getpid(), tids[i]);
    double span_s = (double)(t - t0) / 1e9;
    double mean = (double)(c - c0) / 1e3 / span_s;
    qsort(rate, (size_t)seconds, sizeof *rate, cmp);
    printf("result: watcher %s us_per_s %.1f %.1f %.1f %.1f %.1f mean %.1f loops_us_per_s %.1f "
           "wakeups_per_s %.1f us_per_wakeup %.2f\n",
           bench_watcher_name(&w), pct(rate, seconds, 0.5), pct(rate, seconds, 0.1),
           pct(rate, seconds, 0.9), rate[0], rate[seconds - 1], mean,
           (double)(loops1 - loops0) / 1e3 / span_s, (double)sw / span_s,
           sw ? (double)(c - c0) / 1e3 / (double)sw : 0.0);
    fflush(stdout);
    exit(0); /* the loop threads never return: exit ends them */
}
