/* idle-then-burn.c -- an epoll loop idle for 1.6 s (one wait on a one-shot timerfd), then one
 * iteration that runs on the CPU for 150 ms, the way a service idles until its first request.
 * While it idles, a thread that is no loop counts the wake-ups of the agent's watcher thread
 * (direct use: the thread named "loopstall" in this process) from 0.3 s to 1.3 s and prints
 *   "watcher wake-ups in 1 s: N"
 * (its voluntary context switches), or "watcher wake-ups in 1 s: none" when it has no such
 * thread. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "host-loop.h"

/* The voluntary context switches of this process's thread named name, or -1. */
static long switches_of(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    long n = -1;
    struct dirent *e;
    while (n < 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(comm, sizeof comm, f)) comm[0] = '\0';
        fclose(f);
        comm[strcspn(comm, "\n")] = '\0';
        if (strcmp(comm, name) != 0) continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        if (!(f = fopen(path, "r"))) continue;
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1) break;
        fclose(f);
    }
    closedir(d);
    return n;
}

static long wakeups = -1;

/* Not a loop (it never waits in epoll): counts the watcher's wake-ups from 0.3 s to 1.3 s. */
static void *count_watcher(void *arg)
{
    (void)arg;
    usleep(300000);
    long before = switches_of("loopstall");
    usleep(1000000);
    long after = switches_of("loopstall");
    if (before >= 0 && after >= 0) wakeups = after - before;
    return NULL;
}

int main(void)
{
    int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {.it_value = {1, 600000000}};
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) != 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0)
        return 2;
    pthread_t th;
    if (pthread_create(&th, NULL, count_watcher, NULL) != 0) return 2;
    while (epoll_wait(ep, &ev, 1, -1) != 1) /* idle until the timer fires at 1.6 s */
        ;
    host_burn(150);
    epoll_wait(ep, &ev, 1, 0); /* ends the iteration */
    pthread_join(th, NULL);
    if (wakeups < 0)
        printf("watcher wake-ups in 1 s: none\n");
    else
        printf("watcher wake-ups in 1 s: %ld\n", wakeups);
    return 0;
}
