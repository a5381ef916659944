/* nonblock-reads.c -- a loop that reads an empty non-blocking socket 200 times, one read per
 * iteration (EAGAIN each time), the way Redis and nginx read their clients. The agent should
 * learn the descriptor's kind once and pass the other reads straight through. Prints
 * "fd N" (the socket's number) so that the test can find its fcntl calls in strace's log.
 *
 * With "sendfile", one more iteration then sends a regular file to that socket 20 times, the
 * way nginx serves a static file, and burns 60 ms of CPU: a stall whose 20 sendfiles are timed
 * calls (each could have waited for the disk, whatever the socket), not passed through. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void burn_ms(long ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L < ms);
}

static void send_a_file(int ep, int sock, int peer)
{
    char path[] = "/tmp/nonblock-reads-XXXXXX";
    int file = mkstemp(path);
    if (file < 0) abort();
    unlink(path);
    char block[100];
    memset(block, 'x', sizeof block);
    if (write(file, block, sizeof block) != (ssize_t)sizeof block) abort();
    struct epoll_event ev;
    epoll_wait(ep, &ev, 1, 0);
    for (int i = 0; i < 20; i++) {
        off_t off = 0;
        if (sendfile(sock, file, &off, sizeof block) != (ssize_t)sizeof block) abort();
        char back[sizeof block];
        if (read(peer, back, sizeof back) != (ssize_t)sizeof back) abort();
    }
    burn_ms(60);
    epoll_wait(ep, &ev, 1, 0);
    close(file);
}

int main(int argc, char **argv)
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
    if (argc > 1 && strcmp(argv[1], "sendfile") == 0) send_a_file(ep, sv[0], sv[1]);
    return 0;
}
