/* eintr-storm.c -- a loop thread that never sees a signal of its own, alternating CPU bursts
 * (which the agent samples) with short sleeps, polls, waits and raw system calls, counting every
 * EINTR it is given.
 *
 *   eintr-storm SECONDS    prints "eintr N of M calls" and exits 0 when N is 0
 *
 * Without the agent no call here is ever interrupted: the host has no signal handler and sends
 * no signal. Each iteration is longer than a threshold of a few milliseconds (a stall), so the
 * agent's watcher asks for stack samples while the thread goes in and out of those calls.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "host-loop.h"

static long calls, eintr;
static const char *first_eintr;

/* Counts one call: failed (-1 or an error number) with EINTR or not. */
static void count(const char *what, int interrupted)
{
    calls++;
    if (interrupted) {
        eintr++;
        if (!first_eintr) first_eintr = what;
    }
}

/* A few tens of microseconds in user space between two calls: the moment a sampler that
 * checks "is it running?" and then signals can catch the thread entering its next call. */
static void gap(void)
{
    uint64_t end = host_now_ns() + 40000;
    while (host_now_ns() < end)
        ;
}

#define MINUS1(what, call) (count(what, (call) == -1 && errno == EINTR), gap())
#define RETERR(what, call) (count(what, (call) == EINTR), gap())

static struct timespec abs_in(long ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_nsec += ns;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

static struct timespec abs_realtime_in(long ns)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += ns;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 20;
    struct host_loop l;
    if (host_loop_open(&l, 2) != 0) return 1;
    int other = epoll_create1(EPOLL_CLOEXEC);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval rcvtimeo = {0, 1000};
    if (bind(udp, (struct sockaddr *)&a, sizeof a) != 0 ||
        setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &rcvtimeo, sizeof rcvtimeo) != 0)
        return 1;
    sem_t sem;
    sem_init(&sem, 0, 0);
    const struct timespec ms = {0, 1000000};
    uint64_t end = host_now_ns() + (uint64_t)seconds * 1000000000ULL;
    while (host_now_ns() < end) {
        if (host_loop_tick(&l) != 0) {
            count("epoll_wait (the loop's)", errno == EINTR);
            continue;
        }
        host_burn(6); /* past the (low) threshold: the watcher samples from here on */
        struct timespec t = ms, left;
        char byte;
        MINUS1("nanosleep", nanosleep(&t, &left));
        MINUS1("usleep", usleep(1000));
        RETERR("clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL));
        t = abs_in(1000000);
        RETERR("clock_nanosleep abs", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL));
        MINUS1("poll", poll(NULL, 0, 1));
        MINUS1("ppoll", ppoll(NULL, 0, &ms, NULL));
        MINUS1("select", select(0, NULL, NULL, NULL, &(struct timeval){0, 1000}));
        MINUS1("pselect", pselect(0, NULL, NULL, NULL, &ms, NULL));
        struct epoll_event ev;
        MINUS1("epoll_wait (nested)", epoll_wait(other, &ev, 1, 1));
        MINUS1("epoll_pwait (nested)", epoll_pwait(other, &ev, 1, 1, NULL));
        MINUS1("syscall(nanosleep)", syscall(SYS_nanosleep, &ms, NULL));
        MINUS1("syscall(clock_nanosleep)",
               syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ms, NULL));
        MINUS1("syscall(poll)", syscall(SYS_poll, NULL, 0, 1));
        t = ms;
        MINUS1("syscall(ppoll)", syscall(SYS_ppoll, NULL, 0, &t, NULL, 8));
        MINUS1("syscall(epoll_wait)", syscall(SYS_epoll_wait, other, &ev, 1, 1));
        MINUS1("recv with SO_RCVTIMEO", recv(udp, &byte, 1, 0));
        t = abs_realtime_in(1000000);
        MINUS1("sem_timedwait", sem_timedwait(&sem, &t));
    }
    printf("eintr %ld of %ld calls%s%s\n", eintr, calls, first_eintr ? ", first in " : "",
           first_eintr ? first_eintr : "");
    return eintr ? 1 : 0;
}
