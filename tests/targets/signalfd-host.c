/* signalfd-host.c -- a loop that blocks every signal and reads them all from a signalfd in its
 * epoll set, with CPU stalls; it sends itself SIGUSR1 now and then, the only signal it should
 * ever read.
 *
 * A sampler that signals this thread hands the host signals it never sent. Prints "read N
 * SIGUSR1, M others" and exits 0 when M is 0 and every SIGUSR1 arrived.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "host-loop.h"

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    int sfd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
    struct host_loop l;
    if (sfd < 0 || host_loop_open(&l, 5) != 0) return 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = sfd};
    epoll_ctl(l.ep, EPOLL_CTL_ADD, sfd, &ev);
    int sent = 0, usr1 = 0, others = 0, first_other = 0, tick = 0;
    for (int round = 0; round < 400 && (tick < 60 || usr1 < sent); round++) {
        struct epoll_event out;
        if (epoll_wait(l.ep, &out, 1, -1) != 1) continue;
        if (out.data.fd == sfd) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGUSR1) {
                    usr1++;
                } else {
                    others++;
                    if (!first_other) first_other = (int)si.ssi_signo;
                }
            }
            continue;
        }
        uint64_t n;
        if (read(l.tfd, &n, sizeof n) < 0 || tick++ >= 60) continue;
        if (tick % 2) host_burn(45); /* 30 CPU stalls a sampler would want to sample */
        if (tick % 10 == 0 && sent < 5) {
            kill(getpid(), SIGUSR1);
            sent++;
        }
    }
    printf("read %d SIGUSR1, %d others", usr1, others);
    if (first_other) printf(" (first: signal %d)", first_other);
    printf("\n");
    return others == 0 && usr1 == sent ? 0 : 1;
}
