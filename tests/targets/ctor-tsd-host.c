/* ctor-tsd-host.c -- a loop host linked with ctor-tsd-lib, whose constructor made a key and a
 * thread before the agent's constructor ran. Runs a loop with a stall and more threads that use
 * the key; prints "tsd ok" and exits 0 when the library's key only ever held its own values.
 */
#include <stdio.h>

#include "host-loop.h"

int ctor_tsd_ready(void);
int ctor_tsd_thread(void);

int main(void)
{
    if (!ctor_tsd_ready()) {
        printf("the library's constructor did not run first\n");
        return 1;
    }
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 12; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (ctor_tsd_thread() != 0) return 1; /* a thread created from the loop */
        if (tick == 5) host_block(40);
    }
    printf("tsd ok\n");
    return 0;
}
