/* nonblock-reads.c -- a loop that reads an empty non-blocking socket 200 times, one read per
 * iteration (EAGAIN each time), the way Redis and nginx read their clients. The agent should
 * learn the descriptor's kind once and pass the other reads straight through. Prints
 * "fd N" (the socket's number) so that the test can find its fcntl calls in strace's log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) abort();
    int ep = epoll_create1(0);
    if (ep < 0) abort();
    printf("fd %d\n", sv[0]);
    fflush(stdout);
    for (int i = 0; i < 200; i++) {
        struct epoll_event ev;
        epoll_wait(ep, &ev, 1, 0);
        char c;
        if (read(sv[0], &c, 1) != -1 || errno != EAGAIN) abort();
    }
    return 0;
}
