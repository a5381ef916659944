/* raw-calls-probe.c -- one call of each cancellable function the agent may make itself for a
 * host without threads (preload/raw_calls.c), between two sched_yield() calls that mark where
 * they begin and end in strace's log, with every argument in static storage (the same address
 * with the agent loaded or not, under setarch -R). `raw-calls-probe DIR NAME` works in DIR, listens
 * on the abstract socket NAME, and prints each call's result and errno after the second mark, so
 * that a test can compare both the system calls and what the host saw. Single-threaded, no loop: it
 * waits with a timeout of 0. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[256], path[300], buf[64], name[32] = "f";
static int p[2], sv[2], fd, dfd, lfd, cfd, afd, ep, results[64][2], n;
static struct iovec iov[2];
static struct msghdr msg;
static struct sockaddr_un addr;
static socklen_t alen;
static struct pollfd pfd;
static struct epoll_event ev, out[4];
static sigset_t mask;

static void note(long r)
{
    results[n][0] = (int)r;
    results[n][1] = r < 0 ? errno : 0;
    n++;
    errno = 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || strlen(argv[1]) >= sizeof dir || strlen(argv[2]) > 64) return 2;
    strcpy(dir, argv[1]);
    snprintf(path, sizeof path, "%s/probe.txt", dir);
    if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 2;
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "%s", argv[2]);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(addr.sun_path + 1));
    if (bind(lfd, (struct sockaddr *)&addr, alen) || listen(lfd, 4)) return 2;
    ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.u64 = 42;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    iov[0].iov_base = buf;
    iov[0].iov_len = 3;
    iov[1].iov_base = buf + 3;
    iov[1].iov_len = 3;
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    memcpy(buf, "abcdef", 6);
    pfd.fd = p[0];
    pfd.events = POLLIN;

    /* A loop: the agent's watcher thread starts, and with it the stand-ins. */
    for (int i = 0; i < 3; i++)
        epoll_wait(ep, out, 4, 0);
    sched_yield();
    note(write(p[1], buf, 6));
    note(read(p[0], buf, 6));
    note(writev(p[1], iov, 2));
    note(readv(p[0], iov, 2));
    note(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640));
    note(pwrite(fd, buf, 6, 2));
    note(pread(fd, buf, 4, 3));
    note(pwrite64(fd, buf, 2, 9));
    note(pread64(fd, buf, 2, 9));
    note(close(fd));
    note(open64(path, O_RDONLY));
    note(close(3 + 60));
    note(openat(dfd, name, O_RDONLY | O_NOFOLLOW));
    note(openat64(dfd, "probe.txt", O_WRONLY | O_APPEND));
    note(open("/nonexistent/x", O_RDONLY));
    note(send(sv[0], buf, 5, MSG_DONTWAIT));
    note(recv(sv[1], buf, 5, 0));
    note(sendto(sv[0], buf, 4, 0, NULL, 0));
    note(recvfrom(sv[1], buf, 4, MSG_DONTWAIT, NULL, NULL));
    note(sendmsg(sv[0], &msg, 0));
    note(recvmsg(sv[1], &msg, 0));
    note(recv(sv[1], buf, 1, MSG_DONTWAIT));
    note(cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    note(connect(cfd, (struct sockaddr *)&addr, alen));
    note(afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
    note(accept(lfd, NULL, NULL)); /* none waiting: EAGAIN */
    note(poll(&pfd, 1, 0));
    note(write(p[1], "z", 1));
    note(epoll_wait(ep, out, 4, 0));
    note(epoll_pwait(ep, out, 4, 0, &mask));
    note(read(-1, buf, 1));
    sched_yield();

    for (int i = 0; i < n; i++)
        printf("%d %d %d\n", i, results[i][0], results[i][1]);
    return 0;
}
