/* procfs.c -- read /proc with raw system calls (see procfs.h). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

size_t ls_put_uint(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t put_str(char *out, size_t len, size_t at, const char *s)
{
    while (*s && at + 1 < len)
        out[at++] = *s++;
    return at;
}

void ls_proc_path(char *out, size_t len, pid_t pid, pid_t tid, const char *leaf)
{
    char num[24];
    size_t at = put_str(out, len, 0, "/proc/");
    if (pid > 0) {
        num[ls_put_uint(num, (uint64_t)pid)] = '\0';
        at = put_str(out, len, at, num);
    } else {
        at = put_str(out, len, at, "self");
    }
    if (tid > 0) {
        num[ls_put_uint(num, (uint64_t)tid)] = '\0';
        at = put_str(out, len, at, "/task/");
        at = put_str(out, len, at, num);
    }
    at = put_str(out, len, at, "/");
    at = put_str(out, len, at, leaf);
    out[at < len ? at : len - 1] = '\0';
}

/* Reads path into buf (NUL-terminated), with raw system calls and errno kept: up to len - 1
 * bytes, or only what one read returns when once is set. The byte count, -1 if it cannot open. */
static ssize_t read_file(const char *path, char *buf, size_t len, int once)
{
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    ssize_t total = 0, n;
    while ((size_t)total < len - 1 &&
           (n = syscall(SYS_read, fd, buf + total, len - 1 - (size_t)total)) > 0) {
        total += n;
        if (once) break;
    }
    syscall(SYS_close, fd);
    buf[total] = '\0';
    errno = saved;
    return total;
}

ssize_t ls_read_small(const char *path, char *buf, size_t len)
{
    return read_file(path, buf, len, 0);
}

/* A file of one short line made anew at each open (schedstat, syscall): one read has it all,
 * where ls_read_small would read again to see the end. */
static ssize_t read_line_once(const char *path, char *buf, size_t len)
{
    return read_file(path, buf, len, 1);
}

static int parse_sched(const char *buf, uint64_t *cpu_ns, uint64_t *runq_ns)
{
    uint64_t vals[2] = {0, 0};
    const char *s = buf;
    for (int i = 0; i < 2; i++) {
        while (*s == ' ')
            s++;
        if (*s < '0' || *s > '9') return -1;
        while (*s >= '0' && *s <= '9')
            vals[i] = vals[i] * 10 + (uint64_t)(*s++ - '0');
    }
    *cpu_ns = vals[0];
    *runq_ns = vals[1];
    return 0;
}

int ls_sched_times(pid_t pid, pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns)
{
    char path[64], buf[96];
    ls_proc_path(path, sizeof path, pid, tid, "schedstat");
    if (read_line_once(path, buf, sizeof buf) <= 0) return -1;
    return parse_sched(buf, cpu_ns, runq_ns);
}

/* "running" for a thread on a CPU, "-1 ..." for one preempted in user
 * space; a number is the system call it is in. */
static int parse_syscall(const char *buf, ssize_t len)
{
    if (len < 2) return -1;
    return (len >= 7 && memcmp(buf, "running", 7) == 0) || memcmp(buf, "-1 ", 3) == 0;
}

int ls_thread_in_user_space(pid_t pid, pid_t tid)
{
    char path[64], buf[32];
    ls_proc_path(path, sizeof path, pid, tid, "syscall");
    return parse_syscall(buf, read_line_once(path, buf, sizeof buf));
}

/* The kernel's clock id of a thread's CPU time (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in
 * linux/posix-timers.h, what pthread_getcpuclockid makes; only a tid is at hand here). */
static clockid_t thread_cpu_clock(pid_t tid)
{
    return (clockid_t)((~(unsigned)tid << 3) | 4u /* per thread */ | 2u /* sched */);
}

int ls_thread_cpu_ns_here(pid_t tid, uint64_t *ns)
{
    int saved = errno;
    struct timespec ts;
    long rc = syscall(SYS_clock_gettime, thread_cpu_clock(tid), &ts);
    errno = saved;
    if (rc != 0) return -1;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return 0;
}

int ls_thread_on_cpu_here(pid_t tid)
{
    uint64_t a, b;
    /* A thread on a CPU has its clock brought up to date at each read, to the nanosecond. */
    return ls_thread_cpu_ns_here(tid, &a) == 0 && ls_thread_cpu_ns_here(tid, &b) == 0 ? b > a : -1;
}

int ls_thread_sleeps_here(uint64_t *n)
{
    int saved = errno;
    struct rusage u;
    long rc = syscall(SYS_getrusage, RUSAGE_THREAD, &u);
    errno = saved;
    if (rc != 0) return -1;
    *n = (uint64_t)u.ru_nvcsw;
    return 0;
}

/* One pread at offset 0 of a /proc file kept open (its contents are made
 * anew at each read from the start). */
static ssize_t read_kept(int *fd, pid_t pid, pid_t tid, const char *leaf, char *buf, size_t len)
{
    if (!*fd) {
        char path[64];
        ls_proc_path(path, sizeof path, pid, tid, leaf);
        int f = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (f < 0) return -1;
        *fd = f + 1;
    }
    ssize_t n = syscall(SYS_pread64, *fd - 1, buf, len - 1, 0L);
    if (n < 0) {
        ls_proc_close(fd);
        return -1;
    }
    buf[n] = '\0';
    return n;
}

int ls_sched_times_kept(int *fd, pid_t pid, pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns)
{
    char buf[96];
    if (read_kept(fd, pid, tid, "schedstat", buf, sizeof buf) <= 0) return -1;
    return parse_sched(buf, cpu_ns, runq_ns);
}

int ls_thread_in_user_space_kept(int *fd, pid_t pid, pid_t tid)
{
    char buf[32];
    return parse_syscall(buf, read_kept(fd, pid, tid, "syscall", buf, sizeof buf));
}

void ls_proc_close(int *fd)
{
    if (*fd) syscall(SYS_close, *fd - 1);
    *fd = 0;
}

int ls_thread_alive(pid_t pid, pid_t tid)
{
    int saved = errno;
    long r = syscall(SYS_tgkill, pid, tid, 0);
    int alive = r == 0 || errno == EPERM;
    errno = saved;
    return alive;
}
