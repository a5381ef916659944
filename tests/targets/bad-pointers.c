/* bad-pointers.c -- every wrapped call that takes a pointer, called with a pointer into a
 * PROT_NONE page: the host must see exactly what it sees without the agent (EFAULT from the
 * kernel, or libc's own crash), never a crash of the agent's making.
 *
 *   bad-pointers off   each call made by a thread that is not a loop
 *   bad-pointers on    each call made inside a loop iteration (the wrappers' timed path)
 *
 * Each case runs in a forked child, so that a crash ends only that case. One line per case on
 * stdout: "NAME/ARG rc=R errno=E" or "NAME/ARG signal=N"; the test compares the lines with and
 * without the agent, and checks that every wrapped function with a pointer parameter in
 * common/calls.def has a case here. Return values that are pointers print as 0 or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host-loop.h"

/* The fortified entry points programs built with _FORTIFY_SOURCE call. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *alen);
int __poll_chk(struct pollfd *fds, nfds_t n, int tmo, size_t fdslen);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

extern char **environ;

static void *bad; /* a PROT_NONE page: every access faults */

/* What each case may use, made fresh in its child before the call. */
static struct {
    int rd, wr;   /* a pipe holding data */
    int file;     /* a memfd of 4 KiB */
    int dgram[2]; /* a datagram pair, one datagram queued on [0] */
    int tcp;      /* an unconnected TCP socket */
    int listener; /* a listener with a connection waiting */
    int ready_ep; /* an epoll fd with a ready descriptor */
    pid_t zombie; /* an exited child not yet reaped */
    pthread_mutex_t m;
    pthread_cond_t c;
    sem_t sem;
} fx;

static void *thread_fn(void *arg)
{
    return arg;
}

static void make_fixtures(void)
{
    int p[2];
    if (pipe(p) != 0 || write(p[1], "data", 4) != 4) _exit(90);
    fx.rd = p[0];
    fx.wr = p[1];
    fx.file = (int)syscall(SYS_memfd_create, "bad-pointers", 0);
    if (fx.file < 0 || ftruncate(fx.file, 4096) != 0) _exit(91);
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fx.dgram) != 0) _exit(92);
    if (send(fx.dgram[1], "d", 1, 0) != 1) _exit(92);
    fx.tcp = socket(AF_INET, SOCK_STREAM, 0);
    fx.listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(fx.listener, (struct sockaddr *)&a, sizeof a) != 0 || listen(fx.listener, 4) != 0 ||
        getsockname(fx.listener, (struct sockaddr *)&a, &al) != 0)
        _exit(93);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&a, sizeof a) != 0) _exit(93);
    fx.ready_ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(fx.ready_ep, EPOLL_CTL_ADD, fx.rd, &ev);
    fx.zombie = fork();
    if (fx.zombie == 0) _exit(0);
    siginfo_t si;
    waitid(P_PID, (id_t)fx.zombie, &si, WEXITED | WNOWAIT);
    pthread_mutex_init(&fx.m, NULL);
    pthread_cond_init(&fx.c, NULL);
    sem_init(&fx.sem, 0, 0);
}

static char *const true_argv[] = {"true", NULL};
static struct timespec ms1 = {0, 1000000};

#define P(expr) ((long)((expr) != NULL))

/* One case: a name (function/argument) and the call. */
struct bad_case {
    const char *name;
    long (*call)(void);
};

#define CASE(fn, arg, expr)                                                                        \
    static long case_##fn##_##arg(void)                                                            \
    {                                                                                              \
        return (long)(expr);                                                                       \
    }
#include "bad-pointers.def"
#undef CASE
#define CASE(fn, arg, expr) {#fn "/" #arg, case_##fn##_##arg},
static const struct bad_case cases[] = {
#include "bad-pointers.def"
};
#undef CASE

/* Runs one case in a child; prints its outcome. */
static void run_case(const struct bad_case *c, int on_loop)
{
    int out[2];
    if (pipe(out) != 0) exit(1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(out[0]);
        make_fixtures();
        struct host_loop l;
        if (on_loop && (host_loop_open(&l, 1) != 0 || host_loop_tick(&l) != 0)) _exit(94);
        errno = 0;
        long rc = c->call();
        int e = errno;
        char line[96];
        int n = snprintf(line, sizeof line, "rc=%ld errno=%d", rc, e);
        if (write(out[1], line, (size_t)n) != n) _exit(95);
        _exit(0);
    }
    close(out[1]);
    char line[96] = "";
    ssize_t n = read(out[0], line, sizeof line - 1);
    line[n > 0 ? n : 0] = '\0';
    close(out[0]);
    int st;
    waitpid(pid, &st, 0);
    const char *name = c->name; /* "function/argument": the function as calls.def names it */
    if (WIFSIGNALED(st))
        printf("%s signal=%d\n", name, WTERMSIG(st));
    else if (WEXITSTATUS(st) != 0)
        printf("%s exit=%d\n", name, WEXITSTATUS(st));
    else
        printf("%s %s\n", name, line);
}

int main(int argc, char **argv)
{
    int on_loop = argc > 1 && !strcmp(argv[1], "on");
    if (argc < 2 || (!on_loop && strcmp(argv[1], "off"))) {
        fprintf(stderr, "usage: bad-pointers off|on\n");
        return 2;
    }
    bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bad == MAP_FAILED) return 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], on_loop);
    return 0;
}
