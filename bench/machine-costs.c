/* machine-costs.c -- what the operations the watcher and run are made of cost on this machine,
 * so that two machines' benchmark tables can be told apart from a change in loopstall.
 *
 *   machine-costs [--rounds N]
 *
 * Prints one line each, the median over N rounds (default 5) of:
 *   syscall        a system call that does nothing (getppid), ns
 *   thread clock   another thread's CPU clock read (clock_gettime of a pthread's clock: the
 *                  storm watcher's reading of a loop thread), ns
 *   monotonic      a vDSO CLOCK_MONOTONIC read, ns
 *   wake-up        a 0.5 ms clock_nanosleep (the watcher's sleep while a loop is busy at a 1 ms
 *                  threshold): its wall time over 0.5 ms, and the CPU time the sleeping process
 *                  is charged for it, us
 * Nothing here runs under the agent; it is the floor under every CPU-time row.
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
    double *sys = calloc((size_t)rounds, sizeof *sys), *tcl = calloc((size_t)rounds, sizeof *tcl);
    double *mono = calloc((size_t)rounds, sizeof *mono),
           *late = calloc((size_t)rounds, sizeof *late);
    double *cpu = calloc((size_t)rounds, sizeof *cpu);
    if (!sys || !tcl || !mono || !late || !cpu) return 1;
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
        sys[r] = (b - a) / n;
        tcl[r] = (c - b) / n;
        mono[r] = (d - c) / n;
        late[r] = ((e - d) / sleeps - 500000) / 1e3;
        cpu[r] = (cpu1 - cpu0) / sleeps / 1e3;
    }
    printf("syscall        %.1f ns\n", median(sys, rounds));
    printf("thread clock   %.1f ns\n", median(tcl, rounds));
    printf("monotonic      %.1f ns\n", median(mono, rounds));
    printf("wake-up        %.1f us late, %.1f us of CPU\n", median(late, rounds),
           median(cpu, rounds));
    free(sys);
    free(tcl);
    free(mono);
    free(late);
    free(cpu);
    return 0;
}
