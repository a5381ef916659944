/* ticks.c -- choose and calibrate the agent's clock. */
#include "ticks.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

LS_HIDDEN int ls_use_tsc;
LS_HIDDEN double ls_ns_per_tick = 1.0;

static uint64_t base_ticks, base_ns;

/* The TSC is a clock only when the kernel says it is constant and never stops. */
static int tsc_is_invariant(void)
{
#if defined(__x86_64__)
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    static char buf[8192]; /* the first CPU's flags are within the first few KiB */
    ssize_t n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    return strstr(buf, " constant_tsc") && strstr(buf, " nonstop_tsc");
#else
    return 0;
#endif
}

/* One (ticks, ns) pair read close together: the pair whose two TSC reads
 * bracket the clock read most tightly, so a preemption cannot skew it. */
static void tight_pair(uint64_t *ticks, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t t1 = ls_ticks(), m = ls_mono_ns(), t2 = ls_ticks();
        if (t2 - t1 < best) {
            best = t2 - t1;
            *ticks = t1 + (t2 - t1) / 2;
            *ns = m;
        }
    }
}

void ls_ticks_init(void)
{
    ls_use_tsc = tsc_is_invariant();
    if (!ls_use_tsc) {
        ls_ns_per_tick = 1.0;
        return;
    }
    tight_pair(&base_ticks, &base_ns);
    uint64_t ns, t;
    do
        tight_pair(&t, &ns);
    while (ns - base_ns < 200000);
    ls_ns_per_tick = (double)(ns - base_ns) / (double)(t - base_ticks);
}

void ls_ticks_refine(void)
{
    if (!ls_use_tsc) return;
    uint64_t ns, t;
    tight_pair(&t, &ns);
    if (t > base_ticks && ns - base_ns > 100000000ULL)
        ls_ns_per_tick = (double)(ns - base_ns) / (double)(t - base_ticks);
}
