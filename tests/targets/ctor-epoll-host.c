/* ctor-epoll-host.c -- a host linked with ctor-epoll-lib (whose constructor waited in epoll
 * before the agent was set up) that runs its real loop on another epoll fd, with one 40 ms
 * stall. Prints "constructor fd C, loop fd L".
 */
#include <stdio.h>

#include "host-loop.h"

int ctor_epoll_fd(void);

int main(void)
{
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 30; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick == 15) host_block(40);
    }
    printf("constructor fd %d, loop fd %d\n", ctor_epoll_fd(), l.ep);
    return 0;
}
