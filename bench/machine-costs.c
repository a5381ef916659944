/* machine-costs.c -- what the operations the watcher and run are made of cost on this machine,
 * so that two machines' benchmark tables can be told apart from a change in loopstall.
 *
 *   machine-costs [--rounds N]
 *
 * Prints one line per round (default 5), "round SYSCALL_NS THREAD_CLOCK_NS MONOTONIC_NS LATE_US
 * CPU_US": a system call that does nothing (getppid); another thread's CPU clock read
 * (clock_gettime of a pthread's clock: the storm watcher's reading of a loop thread); a vDSO
 * CLOCK_MONOTONIC read; and a 0.5 ms clock_nanosleep (the watcher's sleep while a loop is busy at
 * a 1 ms threshold), its wall time over 0.5 ms and the CPU time the sleeping process is charged
 * for it. benchmark-machine.sh takes the medians (lib.sh's bench_stats). Nothing here runs under
 * the agent; it is the floor under every CPU-time row.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    pause();
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = 5;
    if (argc == 3 && !strcmp(argv[1], "--rounds")) rounds = atoi(argv[2]);
    if ((argc != 1 && argc != 3) || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "usage: machine-costs [--rounds N] (N from 1 to 1000)\n");
        return 2;
    }
    pthread_t th;
    clockid_t tclock;
    if (pthread_create(&th, NULL, idle_thread, NULL) != 0 ||
        pthread_getcpuclockid(th, &tclock) != 0) {
        fprintf(stderr, "machine-costs: no second thread to read the clock of\n");
        return 1;
    }
    const int n = 200000, sleeps = 500;
    struct timespec ts, half_ms = {0, 500000};
    for (int r = 0; r < rounds; r++) {
        double a = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < n; i++)
            syscall(SYS_getppid);
        double b = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < n; i++)
            clock_gettime(tclock, &ts);
        double c = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < n; i++)
            clock_gettime(CLOCK_MONOTONIC, &ts);
        double d = now_ns(CLOCK_MONOTONIC), cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < sleeps; i++)
            clock_nanosleep(CLOCK_MONOTONIC, 0, &half_ms, NULL);
        double e = now_ns(CLOCK_MONOTONIC), cpu1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        printf("round %.1f %.1f %.1f %.1f %.1f\n", (b - a) / n, (c - b) / n, (d - c) / n,
               ((e - d) / sleeps - 500000) / 1e3, (cpu1 - cpu0) / sleeps / 1e3);
    }
    return 0;
}
