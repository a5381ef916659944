/* exit-paths.c -- a loop that ends its process from inside an iteration, right after a stall,
 * in one of the ways a process can end.
 *
 *   exit-paths HOW blocking|cpu
 *     HOW: exit return _exit _Exit quick_exit abort exit_group segv term
 *
 * The stall is 60 ms (a nanosleep, or a CPU burn); the process ends at once after it, before the
 * loop waits again: the report's last stall must be that stall, with its true length.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host-loop.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: exit-paths HOW blocking|cpu\n");
        return 2;
    }
    const char *how = argv[1];
    int cpu = !strcmp(argv[2], "cpu");
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 5; tick++)
        if (host_loop_tick(&l) != 0) return 1;
    if (cpu)
        host_burn(60);
    else
        host_block(60);
    if (!strcmp(how, "exit")) exit(4);
    if (!strcmp(how, "return")) return 4;
    if (!strcmp(how, "_exit")) _exit(4);
    if (!strcmp(how, "_Exit")) _Exit(4);
    if (!strcmp(how, "quick_exit")) quick_exit(4);
    if (!strcmp(how, "abort")) abort();
    if (!strcmp(how, "exit_group")) syscall(SYS_exit_group, 4);
    if (!strcmp(how, "segv")) *(volatile int *)(uintptr_t)8 = 1;
    if (!strcmp(how, "term")) kill(getpid(), SIGTERM);
    return 99;
}
