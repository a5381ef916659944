/* switch-epoll.c -- a thread's epoll loops: one it moves to for good, or one nested inside an
 * iteration.
 *
 *   switch-epoll move     runs its loop on one epoll fd, then moves to a new one for good
 *                         without closing the first (a library re-creating its loop, an app
 *                         restarting a reactor); only the second loop has a stall (40 ms)
 *   switch-epoll nested   a callback of its loop runs a private epoll loop (a synchronous
 *                         client with a 16 KiB buffer on its stack) that waits 30 times, 1 ms
 *                         each, then returns: one stall of the loop, in the nested waits
 *
 * Prints "first fd A, second fd B". An agent that keeps A as the loop after a move sees one
 * iteration that never ends; one that takes a nested loop for a move loses the stall.
 */
#include <stdio.h>
#include <string.h>

#include "host-loop.h"

/* The synchronous client: its own loop, deeper in the stack than the caller's. */
__attribute__((noinline)) static int sync_fetch(struct host_loop *own)
{
    volatile char buf[16384];
    buf[0] = 1;
    for (int i = 0; i < 30; i++)
        if (host_loop_tick(own) != 0) return -1;
    buf[sizeof buf - 1] = buf[0];
    return 0;
}

int main(int argc, char **argv)
{
    int nested = argc > 1 && !strcmp(argv[1], "nested");
    struct host_loop a, b;
    if (host_loop_open(&a, 3) != 0) return 1;
    for (int tick = 0; tick < 20; tick++)
        if (host_loop_tick(&a) != 0) return 1;
    if (host_loop_open(&b, nested ? 1 : 3) != 0) return 1;
    if (nested) {
        if (sync_fetch(&b) != 0) return 1; /* inside the iteration that began at a's last wait */
        for (int tick = 0; tick < 20; tick++)
            if (host_loop_tick(&a) != 0) return 1;
    } else {
        for (int tick = 0; tick < 60; tick++) {
            if (host_loop_tick(&b) != 0) return 1;
            if (tick == 40) host_block(40);
        }
    }
    printf("first fd %d, second fd %d\n", a.ep, b.ep);
    return 0;
}
