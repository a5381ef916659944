/* benchmark-wrapper-cost.c -- what one wrapped libc call costs, off and on a loop thread.
 *
 * Times a cheap wrapped call (write of one byte to /dev/null, or read of zero
 * bytes from /dev/zero) in batches, interleaved batch by batch with the same
 * system call made through syscall(2), which the agent does not wrap. Run it
 * once plainly and once under LD_PRELOAD=libloopstall.so
 * (bench/benchmark-wrapper-cost.sh does both): the wrapper's cost is the
 * difference between the two runs, and, within one run, the difference
 * between the libc call and the raw system call.
 *
 * Three phases, each on its own thread:
 *   plain     a thread that never waits in epoll: the agent passes the call
 *             straight through (DESIGN.md: a few ns over the bare call);
 *   loop      a thread that waited in epoll_wait once, so the agent adopted it
 *             as a loop thread; the calls are made inside an iteration and
 *             timed by the agent (two clock reads and bookkeeping). A fresh
 *             iteration begins every batch (epoll_wait with timeout 0, outside
 *             the timed region), so no iteration nears the stall threshold;
 *   loopwait  the loop's own wait, epoll_wait(epfd, ev, 1, 0) on the loop
 *             thread: the end of one iteration and the start of the next.
 *
 * Prints one line per phase: "<phase> <call> <libc ns/call> raw <syscall ns/call>",
 * each the median over batches of the per-call time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000

static long calls = 5000000;
static int use_read; /* 0: write 1 byte to /dev/null; 1: read 0 bytes from /dev/zero */
static int fd = -1;
static char buf[1];

struct phase_result {
    double libc_ns;
    double raw_ns;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void check(ssize_t r)
{
    if (r < 0) {
        fprintf(stderr, "benchmark-wrapper-cost: call failed: %s\n", strerror(errno));
        exit(1);
    }
}

/* One batch of the libc call (which the agent wraps). */
static uint64_t batch_libc(void)
{
    uint64_t t0 = now_ns();
    if (use_read)
        for (int i = 0; i < BATCH; i++)
            check(read(fd, buf, 0));
    else
        for (int i = 0; i < BATCH; i++)
            check(write(fd, buf, 1));
    return now_ns() - t0;
}

/* One batch of the same system call, made without libc's wrapper (nor the agent's). */
static uint64_t batch_raw(void)
{
    uint64_t t0 = now_ns();
    if (use_read)
        for (int i = 0; i < BATCH; i++)
            check(syscall(SYS_read, fd, buf, 0));
    else
        for (int i = 0; i < BATCH; i++)
            check(syscall(SYS_write, fd, buf, 1));
    return now_ns() - t0;
}

/* Batches of the loop's own wait, epoll_wait with timeout 0, libc and raw. */
static uint64_t batch_wait_libc(int epfd)
{
    struct epoll_event ev;
    uint64_t t0 = now_ns();
    for (int i = 0; i < BATCH; i++)
        check(epoll_wait(epfd, &ev, 1, 0));
    return now_ns() - t0;
}

static uint64_t batch_wait_raw(int epfd)
{
    struct epoll_event ev;
    uint64_t t0 = now_ns();
    for (int i = 0; i < BATCH; i++)
        check(
            syscall(SYS_epoll_wait, epfd, &ev, 1, 0)); /* what glibc's epoll_wait makes on x86_64 */
    return now_ns() - t0;
}

enum phase { PHASE_PLAIN, PHASE_LOOP, PHASE_LOOPWAIT };

struct phase_arg {
    enum phase phase;
    struct phase_result res;
};

static void *run_phase(void *p)
{
    struct phase_arg *a = p;
    size_t nb = (size_t)(calls / BATCH);
    if (nb < 1) nb = 1;
    double *lv = malloc(nb * sizeof *lv), *rv = malloc(nb * sizeof *rv);
    if (!lv || !rv) {
        perror("malloc");
        exit(1);
    }
    int epfd = -1;
    struct epoll_event ev;
    if (a->phase != PHASE_PLAIN) {
        epfd = epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0) {
            perror("epoll_create1");
            exit(1);
        }
        /* The first wait makes this thread a loop thread; its return begins an iteration. */
        check(epoll_wait(epfd, &ev, 1, 0));
    }
    /* Warm-up: caches, branch predictors, the agent's lazily resolved table. */
    for (int i = 0; i < 20; i++) {
        batch_libc();
        batch_raw();
    }
    if (epfd >= 0) check(epoll_wait(epfd, &ev, 1, 0)); /* the warm-up's iteration ends here */
    for (size_t b = 0; b < nb; b++) {
        uint64_t tl, tr;
        if (a->phase == PHASE_LOOPWAIT) {
            tl = batch_wait_libc(epfd);
            tr = batch_wait_raw(epfd);
        } else {
            /* Alternate which goes first so neither always follows the other. */
            if (b & 1) {
                tl = batch_libc();
                tr = batch_raw();
            } else {
                tr = batch_raw();
                tl = batch_libc();
            }
            if (a->phase == PHASE_LOOP)
                check(epoll_wait(epfd, &ev, 1, 0)); /* next iteration, untimed */
        }
        lv[b] = (double)tl / BATCH;
        rv[b] = (double)tr / BATCH;
    }
    a->res.libc_ns = median(lv, nb);
    a->res.raw_ns = median(rv, nb);
    free(lv);
    free(rv);
    if (epfd >= 0) close(epfd);
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: benchmark-wrapper-cost [-n CALLS] [--read|--write] [--phase "
        "plain|loop|loopwait|all]\n"
        "  times CALLS wrapped calls per phase (default 5000000) against the raw system call;\n"
        "  run it plainly and under LD_PRELOAD=libloopstall.so (see benchmark-wrapper-cost.sh)\n");
}

int main(int argc, char **argv)
{
    const char *only = "all";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            char *end;
            double v = strtod(argv[++i], &end); /* accepts 5e6 */
            if (*end || v < 1 || v > 1e12) {
                fprintf(stderr, "benchmark-wrapper-cost: bad -n '%s'\n", argv[i]);
                return 2;
            }
            calls = (long)v;
        } else if (!strcmp(argv[i], "--read")) {
            use_read = 1;
        } else if (!strcmp(argv[i], "--write")) {
            use_read = 0;
        } else if (!strcmp(argv[i], "--phase") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    fd = open(use_read ? "/dev/zero" : "/dev/null", use_read ? O_RDONLY : O_WRONLY);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    static const char *const names[] = {"plain", "loop", "loopwait"};
    for (int p = PHASE_PLAIN; p <= PHASE_LOOPWAIT; p++) {
        if (strcmp(only, "all") && strcmp(only, names[p])) continue;
        /* A thread per phase: adoption as a loop thread is per thread and for life. */
        struct phase_arg a = {.phase = (enum phase)p};
        pthread_t th;
        int err = pthread_create(&th, NULL, run_phase, &a);
        if (err) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            return 1;
        }
        pthread_join(th, NULL);
        printf("%s %s %.2f raw %.2f\n", names[p],
               p == PHASE_LOOPWAIT ? "epoll_wait"
               : use_read          ? "read"
                                   : "write",
               a.res.libc_ns, a.res.raw_ns);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
