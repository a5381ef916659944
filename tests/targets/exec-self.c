/* exec-self.c -- a loop that replaces itself with exec (as servers do to upgrade in place): the
 * first image stalls 40 ms blocking, then execs itself; the second stalls 60 ms on the CPU and
 * exits. Both images have the same pid: each must leave its own report.
 *
 *   exec-self [second]    prints "image 1 pid P" and "image 2 pid P"
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host-loop.h"

int main(int argc, char **argv)
{
    int second = argc > 1 && !strcmp(argv[1], "second");
    printf("image %d pid %d\n", second ? 2 : 1, (int)getpid());
    fflush(stdout);
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 10; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick == 4) {
            if (second)
                host_burn(60);
            else
                host_block(40);
        }
    }
    if (second) return 0;
    execl("/proc/self/exe", argv[0], "second", (char *)NULL);
    perror("execl");
    return 1;
}
