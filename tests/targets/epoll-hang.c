/* epoll-hang.c -- a plain epoll loop that, after a few ticks, hangs forever: in read() on a pipe,
 * or with "spin", in a CPU loop inside spin_forever(). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

void spin_forever(void);

/* Never returns: the hung-on-CPU case. Exported so that any symbol table names it. */
__attribute__((noinline)) void spin_forever(void)
{
    volatile unsigned long x = 0;
    for (;;)
        x = x * 6364136223846793005UL + 1;
}

int main(int argc, char **argv)
{
    int spin = argc > 1 && !strcmp(argv[1], "spin");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 5000000}, {0, 5000000}};
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = tfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    int never[2];
    if (pipe(never) != 0) return 1;
    for (int tick = 0;; tick++) {
        struct epoll_event out;
        if (epoll_wait(ep, &out, 1, -1) != 1) continue;
        uint64_t n;
        if (read(tfd, &n, sizeof n) != sizeof n) return 1;
        if (tick == 3) {
            printf("hanging\n");
            fflush(stdout);
            if (spin) spin_forever();
            char c;
            if (read(never[0], &c, 1) != 1) /* nobody ever writes: hangs here */
                return 2;
        }
    }
}
