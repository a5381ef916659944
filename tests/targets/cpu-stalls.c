/* cpu-stalls.c -- an epoll loop whose iterations each run on the CPU for a few milliseconds:
 * `cpu-stalls COUNT MS` makes COUNT stalls of MS ms (host_burn), one per tick of a 10 ms timer,
 * then prints "burned COUNT" and exits. Stalls this short are where a CPU figure that lags by a
 * scheduler tick (schedstat's, for a thread on a CPU) would show: as a stall only partly on the
 * CPU, "mixed" or even "blocking". */
#include <stdio.h>
#include <stdlib.h>

#include "host-loop.h"

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 20, ms = argc > 2 ? atoi(argv[2]) : 3;
    struct host_loop l;
    if (count <= 0 || ms <= 0 || host_loop_open(&l, 10) != 0) return 2;
    for (int i = 0; i < count; i++) {
        if (host_loop_tick(&l) != 0) return 1;
        host_burn(ms);
    }
    if (host_loop_tick(&l) != 0) return 1; /* the last stall's iteration ends */
    host_loop_close(&l);
    printf("burned %d\n", count);
    return 0;
}
