/* startup-probe.c -- a host that tells what the agent did to it at start: the signals it
 * catches, how it ends before or after its first loop iterations, and what happens when the
 * agent cannot map its record.
 *
 *   startup-probe noloop        prints "sigcgt HEX" (its SigCgt) and exits 0, never a loop
 *   startup-probe loop          3 loop iterations (no stall), then the same
 *   startup-probe loop-segv     3 loop iterations (no stall), then SIGSEGV
 *   startup-probe noloop-segv   a 2 ms nanosleep (what an injection rule can hit), then SIGSEGV
 *   startup-probe sleep MS      sleeps MS, never a loop, exits 0
 *   startup-probe limited MODE  re-executes itself with MODE under an 8 MiB address-space limit
 *                               (room for the program and the agent's code, not its record)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "host-loop.h"

static void print_sigcgt(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "SigCgt:", 7)) printf("sigcgt %s", line + 7 + strspn(line + 7, " \t"));
    if (f) fclose(f);
    fflush(stdout);
}

static int run_loop(void)
{
    struct host_loop l;
    if (host_loop_open(&l, 2) != 0) return -1;
    for (int i = 0; i < 3; i++)
        if (host_loop_tick(&l) != 0) return -1;
    return 0;
}

static void segv(void)
{
    *(volatile int *)(uintptr_t)8 = 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "noloop")) {
        print_sigcgt();
        return 0;
    }
    if (!strcmp(mode, "loop") || !strcmp(mode, "loop-segv")) {
        if (run_loop() != 0) return 1;
        print_sigcgt();
        if (!strcmp(mode, "loop-segv")) segv();
        return 0;
    }
    if (!strcmp(mode, "noloop-segv")) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        segv();
        return 0;
    }
    if (!strcmp(mode, "sleep") && argc > 2) {
        usleep((useconds_t)atoi(argv[2]) * 1000);
        return 0;
    }
    if (!strcmp(mode, "limited") && argc > 2) {
        struct rlimit as = {8u << 20, 8u << 20};
        if (setrlimit(RLIMIT_AS, &as) != 0) return 1;
        execv("/proc/self/exe", (char *[]){argv[0], argv[2], NULL});
        return 127;
    }
    fprintf(stderr,
            "usage: startup-probe noloop|loop|loop-segv|noloop-segv|sleep MS|limited MODE\n");
    return 2;
}
