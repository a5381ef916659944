/* asan-loop.c -- a loop host built with AddressSanitizer (the ASan runtime must come first in
 * the initial library list, or the host refuses to start), with one blocking and one CPU stall.
 * Prints "asan ok".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-loop.h"

int main(void)
{
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    char *buf = malloc(64); /* something for the sanitizer to watch */
    for (int tick = 0; tick < 20; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        memset(buf, tick, 64);
        if (tick == 5) host_block(50);
        if (tick == 12) host_burn(60);
    }
    free(buf);
    printf("asan ok\n");
    return 0;
}
