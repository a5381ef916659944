/* altstack-loop.c -- a loop thread with an 8 KiB alternate signal stack (SIGSTKSZ without
 * _GNU_SOURCE; libsigsegv-style handlers use such stacks), with CPU stalls to sample and a
 * handler of its own that runs on that stack and calls wrapped functions inside an iteration.
 *
 * The alternate stack sits just above a PROT_NONE page: any handler that needs more than 8 KiB
 * on it faults there, and the host dies with SIGSEGV. Prints "altstack ok" and exits 0 otherwise.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host-loop.h"

#define ALT_SIZE 8192

static int pipe_fds[2];
static volatile sig_atomic_t handled;

/* The host's own handler, on the alternate stack: async-signal-safe calls the agent wraps. */
static void on_usr1(int sig)
{
    (void)sig;
    struct timespec ts = {0, 2000000}; /* long enough for the agent to keep the call */
    nanosleep(&ts, NULL);
    char c = 'u';
    if (write(pipe_fds[1], &c, 1) == 1 && read(pipe_fds[0], &c, 1) == 1) handled++;
}

static void on_segv(int sig)
{
    static const char msg[] = "SIGSEGV on the alternate stack\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
    signal(sig, SIG_DFL);
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *mem = mmap(NULL, (size_t)page + ALT_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED || mprotect(mem, (size_t)page, PROT_NONE) != 0) return 1;
    stack_t ss = {.ss_sp = mem + page, .ss_size = ALT_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0 || pipe(pipe_fds) != 0) return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_ONSTACK;
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 40; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick % 4 == 1) host_burn(50); /* sampled while it runs */
        if (tick % 4 == 3) raise(SIGUSR1);
    }
    printf("handled %d\naltstack ok\n", (int)handled);
    return handled == 10 ? 0 : 1;
}
