/* thread-count.c -- a single-threaded epoll loop that stalls once (60 ms blocking, then 60 ms on
 * the CPU, in two iterations, so that the watcher has seen a stall and sampled one) and then
 * prints how many threads its process has ("Threads:" of /proc/self/status), the way a
 * single-threaded server would find out whether anything made it multi-threaded:
 *   "threads: N"
 */
#include <stdio.h>
#include <string.h>

#include "host-loop.h"

static int threads(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f) return -1;
    char line[256];
    int n = -1;
    while (n < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) != 1) n = -1;
    fclose(f);
    return n;
}

int main(void)
{
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 12; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick == 3) host_block(60);
        if (tick == 6) host_burn(60);
    }
    printf("threads: %d\n", threads());
    host_loop_close(&l);
    return 0;
}
