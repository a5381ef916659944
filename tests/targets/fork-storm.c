/* fork-storm.c -- a multithreaded host that forks hundreds of times while its loop stalls (so
 * the agent's watcher keeps writing its report) and other threads allocate and print.
 *
 *   fork-storm ROUNDS
 *
 * Each child, forked from a worker thread, runs a short loop of its own with a stall (so that it
 * has a report to write) or not, then ends with exit or _exit. A child that does not end within
 * 10 s is a deadlock inherited from a lock some thread held at the fork: the host says so and
 * exits 1. Prints "forks ok N" otherwise.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-loop.h"

static atomic_int stop;

/* Allocates and formats all the time: malloc's and stdio's locks are often held at a fork. */
static void *churn(void *arg)
{
    (void)arg;
    char line[128];
    while (!atomic_load(&stop)) {
        void *p[16];
        for (int i = 0; i < 16; i++)
            p[i] = malloc((size_t)(16 << (i % 8)));
        snprintf(line, sizeof line, "%p %d", p[3], rand());
        for (int i = 0; i < 16; i++)
            free(p[i]);
    }
    return NULL;
}

/* The loop: a stall on every tick, so that there is always news to write. */
static void *loop_thread(void *arg)
{
    (void)arg;
    struct host_loop l;
    if (host_loop_open(&l, 2) != 0) return NULL;
    for (int tick = 0; !atomic_load(&stop); tick++) {
        if (host_loop_tick(&l) != 0) break;
        if (tick % 2)
            host_burn(8);
        else
            host_block(8);
    }
    host_loop_close(&l);
    return NULL;
}

static void child(int round)
{
    void *p = malloc(100);
    snprintf(p, 100, "child %d", round);
    if (round % 2) {
        struct host_loop l;
        if (host_loop_open(&l, 1) != 0) _exit(3);
        for (int tick = 0; tick < 3; tick++) {
            if (host_loop_tick(&l) != 0) _exit(3);
            if (tick == 1) host_block(6);
        }
    }
    free(p);
    if (round % 4 < 2) exit(0);
    _exit(0);
}

static char how[64]; /* how the failed round's child ended */

/* Waits for pid at most ms; 1 when it ended with status 0 (else says how in `how`). */
static int ended_well(pid_t pid, int ms)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int ready = pfd >= 0 && poll(&p, 1, ms) == 1;
    if (!ready) kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    if (pfd >= 0) close(pfd);
    if (!ready)
        snprintf(how, sizeof how, "hung %d ms and was killed", ms);
    else if (WIFSIGNALED(st))
        snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(st));
    return ready && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int rounds, failed_round = -1;

static void *forker(void *arg)
{
    (void)arg;
    for (int round = 0; round < rounds; round++) {
        pid_t pid = fork();
        if (pid == 0) child(round);
        if (pid < 0 || !ended_well(pid, 10000)) {
            failed_round = round;
            break;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atoi(argv[1]) : 300;
    pthread_t loop, churners[2], f;
    pthread_create(&loop, NULL, loop_thread, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&churners[i], NULL, churn, NULL);
    usleep(50000); /* the loop runs and the watcher writes before the first fork */
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    atomic_store(&stop, 1);
    pthread_join(loop, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(churners[i], NULL);
    if (failed_round >= 0) {
        printf("the child of round %d did not end well: %s\n", failed_round, how);
        return 1;
    }
    printf("forks ok %d\n", rounds);
    return 0;
}
