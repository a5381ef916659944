/* benchmark-rss.c -- a program whose loop threads each stall once, and the memory it then holds.
 *
 * Starts --loops threads; each runs an epoll loop that waits idle (2 ms at a time) until its turn,
 * stalls once for --stall-ms (--kind cpu: a busy loop on the clock; sleep: nanosleep), ends that
 * iteration with a short wait, and then waits idle for ever. The loops stall one after the
 * other. Once every loop has
 * stalled, the program waits --hold-ms (the watcher takes the stalls and, used directly, writes
 * its report: that memory counts too), then prints its own memory from /proc/self/status and
 * /proc/self/smaps_rollup, the agent's record (its size, and the pages of its mapping that are
 * resident, when the mapping can be told apart: always under run, where it is the memfd
 * "loopstall-record"), and, under `loopstall run`, run's own VmRSS.
 *
 * Prints
 *   result: loops N watcher KIND vmrss_kib R rss_anon_kib A rss_shmem_kib S pss_kib P
 *           private_dirty_kib D record_bytes B record_rss_kib K run_vmrss_kib V
 * (one line; -1 where a figure is not there).
 *
 * Usage: benchmark-rss [--loops N] [--kind cpu|sleep] [--stall-ms MS] [--hold-ms MS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"
#include "record.h"

static int kind_sleep;
static long stall_ms = 30;
static atomic_int stalled;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *loop(void *arg)
{
    int me = (int)(long)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e;
    /* Idle until its turn: one loop stalls at a time, so that no stall is stretched by the
     * others competing for two CPUs. */
    do
        epoll_wait(ep, &e, 1, 2);
    while (atomic_load(&stalled) != me);
    if (kind_sleep) {
        sleep_ms(stall_ms);
    } else {
        uint64_t end = bench_now_ns() + (uint64_t)stall_ms * 1000000u;
        while (bench_now_ns() < end)
            ;
    }
    epoll_wait(ep, &e, 1, 5);
    atomic_fetch_add(&stalled, 1);
    for (;;)
        epoll_wait(ep, &e, 1, 3600 * 1000);
    return NULL;
}

int main(int argc, char **argv)
{
    int loops = 1;
    long hold_ms = 1500;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--loops") && i + 1 < argc)
            loops = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
            const char *k = argv[++i];
            if (strcmp(k, "cpu") && strcmp(k, "sleep")) {
                fprintf(stderr, "benchmark-rss: --kind wants cpu or sleep, got %s\n", k);
                return 2;
            }
            kind_sleep = !strcmp(k, "sleep");
        } else if (!strcmp(argv[i], "--stall-ms") && i + 1 < argc)
            stall_ms = atol(argv[++i]);
        else if (!strcmp(argv[i], "--hold-ms") && i + 1 < argc)
            hold_ms = atol(argv[++i]);
        else {
            fprintf(stderr,
                    "benchmark-rss: unknown option %s (accepted: --loops N, --kind "
                    "cpu|sleep, --stall-ms MS, --hold-ms MS)\n",
                    argv[i]);
            return 2;
        }
    }
    if (loops < 0 || loops > 1000 || stall_ms < 1 || hold_ms < 0) {
        fprintf(stderr, "benchmark-rss: --loops wants 0 to 1000, --stall-ms at least 1, --hold-ms "
                        "at least 0\n");
        return 2;
    }
    for (int i = 0; i < loops; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, loop, (void *)(long)i) != 0) {
            fprintf(stderr, "benchmark-rss: cannot start loop thread %d\n", i);
            return 1;
        }
    }
    /* Two CPUs and a busy machine: every loop stalls in its own time. */
    for (int waited = 0; atomic_load(&stalled) < loops; waited += 10) {
        if (waited > 120000) {
            fprintf(stderr, "benchmark-rss: only %d of %d loops stalled in 120 s\n",
                    atomic_load(&stalled), loops);
            return 1;
        }
        sleep_ms(10);
    }
    sleep_ms(hold_ms);
    struct bench_watcher w;
    bench_watcher_find(&w);
    long rec_kib = (long)((sizeof(struct ls_record) + 4095) / 4096 * 4);
    long rec_rss = w.kind == BENCH_WATCHER_RUN ? bench_mapping_rss_kib(rec_kib, "loopstall-record")
                                               : bench_mapping_rss_kib(rec_kib, "");
    printf(
        "result: loops %d watcher %s vmrss_kib %ld rss_anon_kib %ld rss_shmem_kib %ld pss_kib %ld "
        "private_dirty_kib %ld record_bytes %zu record_rss_kib %ld run_vmrss_kib %ld\n",
        loops, bench_watcher_name(&w), bench_kib(0, "status", "VmRSS"),
        bench_kib(0, "status", "RssAnon"), bench_kib(0, "status", "RssShmem"),
        bench_kib(0, "smaps_rollup", "Pss"), bench_kib(0, "smaps_rollup", "Private_Dirty"),
        sizeof(struct ls_record), w.kind == BENCH_WATCHER_NONE ? -1 : rec_rss,
        w.kind == BENCH_WATCHER_RUN ? bench_kib(w.pid, "status", "VmRSS") : -1);
    fflush(stdout);
    exit(0);
}
