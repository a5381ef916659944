/* probe-util.c -- what the calling cases need around their one call, made without any function
 * the agent intercepts (see probe.h).
 *
 * A rule such as `write:errno=EIO,after=3,count=1` counts every write the
 * process makes: if preparing a case wrote into a pipe through libc, the rule
 * would fire on the preparation and the test would judge the wrong call. So
 * descriptors are filled, closed, connected and reaped here with syscall().
 */
#include "probe.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *probe_fn = "";

static __thread int loop_ep = -1;
static char scratch[64];
static int nfiles;

uint64_t probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void probe_die(const char *what)
{
    fprintf(stderr, "calls-probe: %s for %s: %s\n", what, probe_fn, strerror(errno));
    fflush(stderr);
    syscall(SYS_exit_group, 2);
}

void probe_close(int fd)
{
    if (fd >= 0) syscall(SYS_close, fd);
}

void probe_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        long w = syscall(SYS_write, fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) probe_die("write");
        p += w;
        n -= (size_t)w;
    }
}

void probe_reap(pid_t pid)
{
    int st;
    while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
        ;
}

static void fill(int fd)
{
    char buf[PROBE_ASK];
    memset(buf, 'x', sizeof buf);
    probe_write_all(fd, buf, sizeof buf);
}

void probe_empty_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0) probe_die("pipe2");
}

void probe_full_pipe(int p[2])
{
    probe_empty_pipe(p);
    fill(p[1]);
}

void probe_iov(struct iovec *v, char *buf)
{
    static const size_t len[4] = {0, 3, 10, PROBE_ASK - 13};
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        v[i].iov_base = buf + at;
        v[i].iov_len = len[i];
        at += len[i];
    }
}

void probe_socketpair(int sv[2], int full)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) probe_die("socketpair");
    if (full) fill(sv[1]);
}

/* /dev/shm when there is one: fsync and syncfs there cost nothing, even on a
 * disk other engineers keep busy. */
static void make_scratch(void)
{
    if (scratch[0]) return;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/calls-probe.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(scratch)) probe_die("mkdtemp");
}

const char *probe_file(void)
{
    static char path[96];
    make_scratch();
    snprintf(path, sizeof path, "%s/f%d", scratch, nfiles++);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) probe_die("creating a scratch file");
    fill(fd);
    probe_close(fd);
    return path;
}

int probe_open_file(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, probe_file(), O_RDWR | O_CLOEXEC);
    if (fd < 0) probe_die("opening a scratch file");
    return fd;
}

void probe_cleanup(void)
{
    if (!scratch[0]) return;
    char path[96];
    for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/f%d", scratch, i);
        syscall(SYS_unlinkat, AT_FDCWD, path, 0);
    }
    syscall(SYS_unlinkat, AT_FDCWD, scratch, AT_REMOVEDIR);
}

int probe_listener(struct sockaddr_in *addr)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *addr;
    if (s < 0 || bind(s, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)addr, &len) != 0)
        probe_die("listening on 127.0.0.1");
    return s;
}

int probe_connect(const struct sockaddr_in *addr)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || syscall(SYS_connect, s, addr, sizeof *addr) != 0) probe_die("connecting");
    return s;
}

void probe_become_loop(void)
{
    struct epoll_event ev;
    loop_ep = epoll_create1(EPOLL_CLOEXEC);
    if (loop_ep < 0) probe_die("epoll_create1");
    /* The agent adopts a loop at its first epoll wait: through libc, so the
     * wrapper sees it, but never the function under test. */
    int r = strcmp(probe_fn, "epoll_pwait") == 0 ? epoll_wait(loop_ep, &ev, 1, 0)
                                                 : epoll_pwait(loop_ep, &ev, 1, 0, NULL);
    if (r < 0) probe_die("the first epoll wait");
}

int probe_loop_epoll(void)
{
    if (loop_ep < 0) loop_ep = epoll_create1(EPOLL_CLOEXEC);
    if (loop_ep < 0) probe_die("epoll_create1");
    return loop_ep;
}

void probe_in_child(struct probe_call *c, void (*body)(struct probe_call *c))
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) probe_die("pipe2");
    uint64_t t0 = probe_now();
    pid_t pid = fork();
    if (pid < 0) probe_die("fork");
    if (pid == 0) {
        probe_close(p[0]);
        if (c->on_loop) probe_become_loop();
        body(c); /* returns only when the exec failed */
        probe_write_all(p[1], c, sizeof *c);
        _exit(99);
    }
    probe_close(p[1]);
    struct probe_call got;
    size_t have = 0;
    while (have < sizeof got) {
        long n = syscall(SYS_read, p[0], (char *)&got + have, sizeof got - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += (size_t)n;
    }
    probe_close(p[0]);
    int st = 0;
    while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
        ;
    c->ns = probe_now() - t0;
    if (have == sizeof got) {
        c->ret = got.ret;
        c->err = got.err;
        c->started = 0;
    } else {
        /* The pipe closed at the exec: what ran was the program started. */
        c->started = WIFEXITED(st) && WEXITSTATUS(st) == PROBE_EXIT_OK;
        c->ret = c->started ? 0 : -2;
        c->err = PROBE_SENTINEL;
    }
}
