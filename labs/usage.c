/* usage.c -- what the process and the machine used: CPUs, CPU time, idle time, RSS, context
 * switches, run-queue wait. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lab.h"

unsigned lab_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

size_t lab_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long size, resident;
    size_t rss = 0;
    if (!f) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) == 2)
        rss = (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
    fclose(f);
    return rss;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double lab_cpu_seconds(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) + tv_s(kids.ru_stime);
}

double lab_idle_cpu_seconds(void)
{
    /* The first line of /proc/stat sums all CPUs, in clock ticks: user nice system idle iowait. */
    FILE *f = fopen("/proc/stat", "re");
    unsigned long long user, nice, sys, idle, iowait;
    double s = 0;
    if (!f) return 0;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait) == 5)
        s = (double)(idle + iowait) / (double)sysconf(_SC_CLK_TCK);
    fclose(f);
    return s;
}

void lab_context_switches(uint64_t *voluntary, uint64_t *involuntary)
{
    /* RUSAGE_SELF sums every thread of the process, the ones that have exited included. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *voluntary = (uint64_t)ru.ru_nvcsw;
    *involuntary = (uint64_t)ru.ru_nivcsw;
}

uint64_t lab_thread_runqueue_wait_ns(void)
{
    /* /proc/thread-self/schedstat: time on the CPU, time runnable but waiting for one, slices.
     * open/read rather than stdio: request threads call this once each, on their way out. */
    char buf[96];
    int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    uint64_t run, wait;
    return sscanf(buf, "%" SCNu64 " %" SCNu64, &run, &wait) == 2 ? wait : 0;
}
