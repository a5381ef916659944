/* fork-child-loop.c -- a loop thread that forks from inside an iteration; the child keeps the
 * parent's epoll fd open but never waits on it, and runs a loop of its own on a new one.
 *
 * The child prints "child loop fd N" (its own epoll fd) and stalls 50 ms; the parent stalls
 * 30 ms and waits for it. Each must report its own loop and its own stall.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-loop.h"

int main(void)
{
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    pid_t pid = -1;
    for (int tick = 0; tick < 20; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick == 3) {
            host_block(10); /* the iteration the child is forked in has been running a while */
            fflush(stdout);
            pid = fork();
            if (pid == 0) {
                struct host_loop own;
                if (host_loop_open(&own, 5) != 0) _exit(1);
                printf("child loop fd %d\n", own.ep);
                fflush(stdout);
                for (int t = 0; t < 12; t++) {
                    if (host_loop_tick(&own) != 0) _exit(1);
                    if (t == 6) host_block(50);
                }
                exit(0);
            }
        }
        if (tick == 12) host_block(30);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("parent loop fd %d, child exited %d\n", l.ep, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
