/* cases-wait.c -- calling cases for poll, select, the epoll waits and the sleeps: one successful
 * call each (see probe.h). */
#include "probe.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

/* The fortified entry point a program built with _FORTIFY_SOURCE calls. */
int __poll_chk(struct pollfd *fds, nfds_t n, int tmo, size_t fdslen);

/* A wait for a pipe that is already readable, with a timeout it never needs. */
#define READY(call)                                                                                \
    int p[2];                                                                                      \
    probe_full_pipe(p);                                                                            \
    struct pollfd fds[1] = {{.fd = p[0], .events = POLLIN}};                                       \
    fd_set r;                                                                                      \
    FD_ZERO(&r);                                                                                   \
    FD_SET(p[0], &r);                                                                              \
    struct timeval tv = {1, 0};                                                                    \
    struct timespec ts = {1, 0};                                                                   \
    (void)fds;                                                                                     \
    (void)tv;                                                                                      \
    (void)ts;                                                                                      \
    PROBE_CALL(c, call);                                                                           \
    probe_close(p[0]);                                                                             \
    probe_close(p[1])

static void case_poll(struct probe_call *c)
{
    READY(poll(fds, 1, 1000));
}

static void case_poll_chk(struct probe_call *c)
{
    READY(__poll_chk(fds, 1, 1000, sizeof fds));
}

static void case_ppoll(struct probe_call *c)
{
    READY(ppoll(fds, 1, &ts, NULL));
}

static void case_select(struct probe_call *c)
{
    READY(select(p[0] + 1, &r, NULL, NULL, &tv));
}

static void case_pselect(struct probe_call *c)
{
    READY(pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));
}

/* The thread's own loop wait, with nothing to wait for; on a thread that is
 * not a loop yet, this very call makes it one. */
static void case_epoll_wait(struct probe_call *c)
{
    struct epoll_event ev;
    PROBE_CALL(c, epoll_wait(probe_loop_epoll(), &ev, 1, 0));
}

static void case_epoll_pwait(struct probe_call *c)
{
    struct epoll_event ev;
    PROBE_CALL(c, epoll_pwait(probe_loop_epoll(), &ev, 1, 0, NULL));
}

static void case_epoll_pwait2(struct probe_call *c)
{
    struct epoll_event ev;
    struct timespec zero = {0, 0};
    PROBE_CALL(c, epoll_pwait2(probe_loop_epoll(), &ev, 1, &zero, NULL));
}

static void case_sleep(struct probe_call *c)
{
    PROBE_CALL(c, sleep(0));
}

static void case_usleep(struct probe_call *c)
{
    PROBE_CALL(c, usleep(1));
}

static void case_nanosleep(struct probe_call *c)
{
    struct timespec us = {0, 1000};
    PROBE_CALL(c, nanosleep(&us, NULL));
}

static void case_clock_nanosleep(struct probe_call *c)
{
    struct timespec us = {0, 1000};
    PROBE_CALL(c, clock_nanosleep(CLOCK_MONOTONIC, 0, &us, NULL));
}

const struct probe_case probe_cases_wait[] = {
    {"poll", case_poll, 0, 0},
    {"__poll_chk", case_poll_chk, 0, 0},
    {"ppoll", case_ppoll, 0, 0},
    {"select", case_select, 0, 0},
    {"pselect", case_pselect, 0, 0},
    {"epoll_wait", case_epoll_wait, 0, 1},
    {"epoll_pwait", case_epoll_pwait, 0, 1},
    {"epoll_pwait2", case_epoll_pwait2, 0, 1},
    {"sleep", case_sleep, 0, 0},
    {"usleep", case_usleep, 0, 0},
    {"nanosleep", case_nanosleep, 0, 0},
    {"clock_nanosleep", case_clock_nanosleep, 0, 0},
    {NULL, NULL, 0, 0},
};
