/* procfs.c -- read /proc with raw system calls (see procfs.h). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
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

ssize_t ls_read_small(const char *path, char *buf, size_t len)
{
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    ssize_t total = 0, n;
    while ((size_t)total < len - 1 &&
           (n = syscall(SYS_read, fd, buf + total, len - 1 - (size_t)total)) > 0)
        total += n;
    syscall(SYS_close, fd);
    buf[total] = '\0';
    errno = saved;
    return total;
}

int ls_sched_times(pid_t pid, pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns)
{
    char path[64], buf[96];
    ls_proc_path(path, sizeof path, pid, tid, "schedstat");
    if (ls_read_small(path, buf, sizeof buf) <= 0) return -1;
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

int ls_thread_in_user_space(pid_t pid, pid_t tid)
{
    char path[64], buf[32];
    ls_proc_path(path, sizeof path, pid, tid, "syscall");
    ssize_t len = ls_read_small(path, buf, sizeof buf);
    if (len < 2) return -1;
    /* "running" for a thread on a CPU, "-1 ..." for one preempted in user
     * space; a number is the system call it is in. */
    return (len >= 7 && memcmp(buf, "running", 7) == 0) || memcmp(buf, "-1 ", 3) == 0;
}

int ls_thread_alive(pid_t pid, pid_t tid)
{
    int saved = errno;
    long r = syscall(SYS_tgkill, pid, tid, 0);
    int alive = r == 0 || errno == EPERM;
    errno = saved;
    return alive;
}
