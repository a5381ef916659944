/* idle-then-burn.c -- an epoll loop idle for 1.6 s (one wait on a one-shot timerfd), then one
 * iteration that runs on the CPU for 150 ms, the way a service idles until its first request.
 * While it idles, a thread that is no loop counts the wake-ups of the watcher (direct use: the
 * thread named "loopstall" in this process; under run: the parent's threads, named "loopstall")
 * from 0.3 s to 1.3 s and prints
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

/* The voluntary context switches of process pid's threads named name, summed, or -1 when it
 * has none ("self": this process). */
static long switches_of(const char *pid, const char *name)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%s/task", pid);
    DIR *d = opendir(dir);
    if (!d) return -1;
    long total = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[400], comm[64] = "";
        snprintf(path, sizeof path, "%s/%s/comm", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(comm, sizeof comm, f)) comm[0] = '\0';
        fclose(f);
        comm[strcspn(comm, "\n")] = '\0';
        if (strcmp(comm, name) != 0) continue;
        snprintf(path, sizeof path, "%s/%s/status", dir, e->d_name);
        if (!(f = fopen(path, "r"))) continue;
        char line[256];
        long n;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1) {
                total = (total < 0 ? 0 : total) + n;
                break;
            }
        fclose(f);
    }
    closedir(d);
    return total;
}

/* The watcher: the agent's thread in this process (direct use), else `loopstall run`, the
 * parent, every thread of it (its collector and the thread it dozes with). */
static long watcher_switches(void)
{
    long n = switches_of("self", "loopstall");
    if (n >= 0) return n;
    char ppid[24];
    snprintf(ppid, sizeof ppid, "%d", (int)getppid());
    return switches_of(ppid, "loopstall");
}

static long wakeups = -1;

/* Not a loop (it never waits in epoll): counts the watcher's wake-ups from 0.3 s to 1.3 s. */
static void *count_watcher(void *arg)
{
    (void)arg;
    usleep(300000);
    long before = watcher_switches();
    usleep(1000000);
    long after = watcher_switches();
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
