/* blocked-calls.c -- a loop whose iterations block in read, epoll_wait, poll, nanosleep and recv
 * (with SO_RCVTIMEO) for far longer than the threshold: the agent's watchdog and sampler must
 * never disturb them (no EINTR, no short sleep). Exits 0 when every call behaved. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    printf("%s disturbed: %s\n", what, strerror(errno));
    return 1;
}

int main(void)
{
    int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 0}, {0, 1000000}};
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    struct epoll_event out;
    if (epoll_wait(ep, &out, 1, -1) != 1) /* the loop's first wait: now a loop thread */
        return fail("loop wait");

    /* Inside one iteration: each call blocks 300 ms, far past a 20 ms threshold. */
    int p[2];
    if (pipe(p) != 0) return 1;
    struct itimerspec once = {{0, 0}, {0, 300000000}};
    int t2 = timerfd_create(CLOCK_MONOTONIC, 0);
    timerfd_settime(t2, 0, &once, NULL);
    uint64_t n;
    if (read(t2, &n, sizeof n) != sizeof n) /* read: blocks until the timer fires */
        return fail("read");

    int other = epoll_create1(0);
    struct epoll_event e2;
    double t0 = now();
    if (epoll_wait(other, &e2, 1, 300) != 0 || now() - t0 < 0.29) /* a nested wait */
        return fail("epoll_wait");

    struct timespec req = {0, 300000000}, rem = {0, 0};
    t0 = now();
    if (nanosleep(&req, &rem) != 0 || now() - t0 < 0.29) return fail("nanosleep");

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof a);
    struct timeval tv = {0, 300000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[8];
    t0 = now();
    if (recv(s, buf, sizeof buf, 0) != -1 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
        now() - t0 < 0.29)
        return fail("recv with SO_RCVTIMEO");

    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 1);
    struct pollfd pf = {.fd = l, .events = POLLIN};
    t0 = now();
    if (poll(&pf, 1, 300) != 0 || now() - t0 < 0.29) return fail("poll");
    printf("all calls undisturbed\n");
    return 0;
}
