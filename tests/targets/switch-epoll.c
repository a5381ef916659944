/* switch-epoll.c -- a thread that runs its loop on one epoll fd, then moves to a new one for
 * good without closing the first (a library re-creating its loop, an app restarting a
 * reactor). The first loop has no stall; the second has one 40 ms stall.
 *
 * Prints "first fd A, second fd B". An agent that keeps A as the loop sees one iteration that
 * never ends instead of B's iterations.
 */
#include <stdio.h>

#include "host-loop.h"

int main(void)
{
    struct host_loop a, b;
    if (host_loop_open(&a, 3) != 0) return 1;
    for (int tick = 0; tick < 20; tick++)
        if (host_loop_tick(&a) != 0) return 1;
    if (host_loop_open(&b, 3) != 0) return 1;
    for (int tick = 0; tick < 60; tick++) {
        if (host_loop_tick(&b) != 0) return 1;
        if (tick == 40) host_block(40);
    }
    printf("first fd %d, second fd %d\n", a.ep, b.ep);
    return 0;
}
