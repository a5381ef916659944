/* privdrop-loop.c -- a service that drops its privileges without daemonizing: started as root,
 * it becomes USER (default nobody) for good, then runs an epoll loop on a 10 ms timer in which
 * one tick stalls in slow_tick() for STALL_MS (default 120).
 *
 * usage: privdrop-loop [USER [STALL_MS]]; prints who it runs as and how many ticks it ran. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define TICKS      20
#define STALL_TICK 8 /* well after the loop first went idle: a stall while serving */

void slow_tick(int ms);

/* The known stall: a sleep on the loop thread. Exported so that any symbol table names it. */
__attribute__((noinline)) void slow_tick(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* Becomes user for good (groups, gid, then uid), the way daemons do after binding their ports. */
static int drop_to(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "privdrop-loop: no user %s\n", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "privdrop-loop: cannot become %s: %s (run it as root)\n", user,
                strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        fprintf(stderr, "privdrop-loop: could get root back after dropping it\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *user = argc > 1 ? argv[1] : "nobody";
    int stall_ms = argc > 2 ? atoi(argv[2]) : 120;
    if (drop_to(user) != 0) return 1;
    printf("running as uid %d\n", (int)getuid());
    fflush(stdout);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 10000000}, {0, 10000000}};
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = tfd};
    if (ep < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) != 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0) {
        fprintf(stderr, "privdrop-loop: cannot set up the loop: %s\n", strerror(errno));
        return 1;
    }
    int ticks = 0;
    while (ticks < TICKS) {
        struct epoll_event out;
        if (epoll_wait(ep, &out, 1, -1) != 1) continue;
        uint64_t n;
        if (read(tfd, &n, sizeof n) != sizeof n) return 1;
        if (++ticks == STALL_TICK) slow_tick(stall_ms);
    }
    printf("ran %d ticks\n", ticks);
    return 0;
}
