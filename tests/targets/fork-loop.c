/* fork-loop.c -- an epoll loop process that forks; parent and child each stall once, differently.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int make_loop(int *tfd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    *tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 5000000}, {0, 5000000}};
    timerfd_settime(*tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = *tfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, *tfd, &ev);
    return ep;
}

/* Runs ticks iterations; on tick stall_at, sleeps stall_us. Returns early when child exits. */
static void run_loop(int ep, int tfd, int ticks, int stall_at, useconds_t stall_us, pid_t child)
{
    for (int tick = 0; tick < ticks; tick++) {
        struct epoll_event out;
        if (epoll_wait(ep, &out, 1, -1) != 1) continue;
        uint64_t n;
        if (read(tfd, &n, sizeof n) != sizeof n) exit(1);
        if (tick == stall_at) usleep(stall_us);
        if (child > 0 && waitpid(child, NULL, WNOHANG) == child) return;
    }
}

int main(void)
{
    int tfd, ep = make_loop(&tfd);
    run_loop(ep, tfd, 5, -1, 0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(ep);
        close(tfd);
        ep = make_loop(&tfd);
        run_loop(ep, tfd, 20, 5, 70000, 0); /* the child's stall: 70 ms */
        exit(0);
    }
    run_loop(ep, tfd, 1000, 3, 40000, pid); /* the parent's stall: 40 ms */
    printf("child done\n");
    return 0;
}
