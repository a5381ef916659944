/* ctor-epoll-lib.c -- a host library that runs a little event loop in its own constructor
 * (before the agent's constructor has run) and leaves its epoll fd open.
 *
 * An agent that adopts this loop before it is set up, or keeps it as the thread's loop forever,
 * reports a phantom stall spanning the whole run and never sees the host's real loop.
 */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

static int ctor_ep = -1;

__attribute__((constructor)) static void ctor_epoll_init(void)
{
    ctor_ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 2000000}, {0, 2000000}};
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = tfd};
    epoll_ctl(ctor_ep, EPOLL_CTL_ADD, tfd, &ev);
    for (int i = 0; i < 5; i++) {
        struct epoll_event out;
        uint64_t n;
        if (epoll_wait(ctor_ep, &out, 1, 100) == 1 && read(tfd, &n, sizeof n) < 0) break;
    }
}

/* The constructor's epoll fd, still open. */
int ctor_epoll_fd(void);
int ctor_epoll_fd(void)
{
    return ctor_ep;
}
