/* fd-reuse.c -- descriptors that change under the agent: a non-blocking socket is learned as
 * "never blocks", then its number comes back blocking (close and reuse, dup2 over it, fcntl
 * F_SETFL, closed with syscall(SYS_close) as libuv does, or with close_range over it and its
 * neighbours). Each time, a read on it blocks 60 ms inside a loop iteration and must be named. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int late_fd;

/* Writes one byte to late_fd 60 ms from now. */
static void *late_writer(void *arg)
{
    (void)arg;
    usleep(60000);
    if (write(late_fd, "x", 1) != 1) abort();
    return NULL;
}

/* One loop iteration that reads fd while a thread writes its peer late. */
static void iteration_blocking_on(int ep, int fd, int peer)
{
    struct epoll_event ev;
    epoll_wait(ep, &ev, 1, 0);
    late_fd = peer;
    pthread_t th;
    pthread_create(&th, NULL, late_writer, NULL);
    char c;
    if (read(fd, &c, 1) != 1) abort();
    pthread_join(th, NULL);
}

/* A non-blocking socketpair whose first end is read (EAGAIN) on the loop: learned. */
static void learn_nonblocking(int ep, int sv[2])
{
    struct epoll_event ev;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) abort();
    epoll_wait(ep, &ev, 1, 0);
    char c;
    for (int i = 0; i < 3; i++)
        if (read(sv[0], &c, 1) != -1) abort();
}

int main(void)
{
    int ep = epoll_create1(0), sv[2], p[2];

    learn_nonblocking(ep, sv); /* 1: closed, and the number comes back as a blocking pipe */
    int num = sv[0];
    close(sv[0]);
    close(sv[1]);
    if (pipe(p) != 0 || (p[0] != num && dup2(p[0], num) < 0)) abort();
    iteration_blocking_on(ep, num, p[1]);

    learn_nonblocking(ep, sv); /* 2: a blocking pipe dup2'ed over it */
    int q[2];
    if (pipe(q) != 0 || dup2(q[0], sv[0]) < 0) abort();
    iteration_blocking_on(ep, sv[0], q[1]);

    learn_nonblocking(ep, sv); /* 3: made blocking with fcntl */
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) & ~O_NONBLOCK);
    iteration_blocking_on(ep, sv[0], sv[1]);

    learn_nonblocking(ep, sv); /* 4: closed with the raw system call, the number reused */
    num = sv[0];
    syscall(SYS_close, sv[0]);
    close(sv[1]);
    if (pipe(p) != 0 || (p[0] != num && dup2(p[0], num) < 0)) abort();
    iteration_blocking_on(ep, num, p[1]);

    learn_nonblocking(ep, sv); /* 5: closed by close_range with the descriptors around it */
    num = sv[0];
    unsigned last = (unsigned)num;
    if (sv[1] == num + 1)
        last++; /* its peer, next to it */
    else
        close(sv[1]);
    if (syscall(SYS_close_range, (unsigned)num, last, 0) != 0) abort();
    if (pipe(p) != 0 || (p[0] != num && dup2(p[0], num) < 0)) abort();
    iteration_blocking_on(ep, num, p[1]);

    struct epoll_event ev;
    epoll_wait(ep, &ev, 1, 0);
    puts("done");
    return 0;
}
