/* blocked-ppoll.c -- a loop thread that blocks every signal and unblocks them only inside its
 * waits (ppoll, pselect and epoll_pwait with an empty mask), as programs that handle signals
 * synchronously do, with CPU stalls in its iterations.
 *
 *   blocked-ppoll before|after   blocks the signals before its first loop wait, or after it
 *
 * A sampler that signals a thread blocking its signal leaves it pending: the next wait that
 * unblocks it fails with EINTR (and sigpending shows it). Prints "pending N eintr M" and exits
 * 0 when both are 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include "host-loop.h"

static int any_pending(void)
{
    sigset_t p;
    sigemptyset(&p);
    sigpending(&p);
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&p, s) == 1) return s;
    return 0;
}

int main(int argc, char **argv)
{
    int after = argc > 1 && !strcmp(argv[1], "after");
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (!after) sigprocmask(SIG_BLOCK, &all, NULL);
    struct host_loop l;
    int p[2];
    if (host_loop_open(&l, 5) != 0 || pipe(p) != 0) return 1;
    int other = epoll_create1(0);
    long pending = 0, eintr = 0, first_pending = 0;
    for (int tick = 0; tick < 60; tick++) {
        struct epoll_event ev;
        if (epoll_pwait(l.ep, &ev, 1, -1, &none) < 0) {
            eintr += errno == EINTR;
            continue;
        }
        uint64_t n;
        if (read(l.tfd, &n, sizeof n) < 0 && errno != EAGAIN) return 1;
        if (after && tick == 0) pthread_sigmask(SIG_BLOCK, &all, NULL);
        if (tick % 2) host_burn(45); /* a CPU stall a sampler would want to sample */
        int s = any_pending();
        if (s) {
            pending++;
            if (!first_pending) first_pending = s;
        }
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        struct timespec ms = {0, 1000000};
        if (ppoll(&pf, 1, &ms, &none) < 0 && errno == EINTR) eintr++;
        if (pselect(0, NULL, NULL, NULL, &ms, &none) < 0 && errno == EINTR) eintr++;
        if (epoll_pwait(other, &ev, 1, 1, &none) < 0 && errno == EINTR) eintr++;
    }
    printf("pending %ld eintr %ld", pending, eintr);
    if (first_pending) printf(" (signal %ld)", first_pending);
    printf("\n");
    return pending || eintr ? 1 : 0;
}
