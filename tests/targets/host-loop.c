/* host-loop.c -- the battery hosts' epoll loop and known stalls (see host-loop.h). */
#include "host-loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int host_loop_open(struct host_loop *l, int period_ms)
{
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (l->ep < 0 || l->tfd < 0) return -1;
    long ns = (long)period_ms * 1000000L;
    struct itimerspec its = {{ns / 1000000000L, ns % 1000000000L},
                             {ns / 1000000000L, ns % 1000000000L}};
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->tfd};
    if (timerfd_settime(l->tfd, 0, &its, NULL) != 0) return -1;
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &ev);
}

int host_loop_tick(struct host_loop *l)
{
    for (;;) {
        struct epoll_event out;
        int n = epoll_wait(l->ep, &out, 1, -1);
        if (n < 0) return -1;
        uint64_t expirations;
        if (n == 1 && read(l->tfd, &expirations, sizeof expirations) == sizeof expirations)
            return 0;
        if (n == 1 && errno != EAGAIN) return -1;
    }
}

void host_loop_close(struct host_loop *l)
{
    close(l->tfd);
    close(l->ep);
}

uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) void host_burn(int ms)
{
    uint64_t end = host_now_ns() + (uint64_t)ms * 1000000ULL;
    volatile uint64_t x = 1;
    while (host_now_ns() < end)
        for (int i = 0; i < 1000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

__attribute__((noinline)) void host_block(int ms)
{
    struct timespec req = {ms / 1000, (long)(ms % 1000) * 1000000L}, rem;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
}
