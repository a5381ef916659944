/* bench_proc.c -- what the benchmark programs read from /proc (see bench_proc.h). */
#include "bench_proc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t schedstat_ns(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long ns = 0;
    if (!f) return 0;
    if (fscanf(f, "%llu", &ns) != 1) ns = 0;
    fclose(f);
    return ns;
}

/* read(/proc/pid/task/tid/leaf) for one thread; tid 0: the sum over every thread of pid. */
static uint64_t per_thread(pid_t pid, pid_t tid, const char *leaf, uint64_t (*read)(const char *))
{
    char path[96];
    if (tid > 0) {
        snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, leaf);
        return read(path);
    }
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return 0;
    uint64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') sum += per_thread(pid, (pid_t)atoi(e->d_name), leaf, read);
    closedir(d);
    return sum;
}

/* The same for the watcher: its thread, or every thread of run or of the collector. */
static uint64_t of_watcher(const struct bench_watcher *w, const char *leaf,
                           uint64_t (*read)(const char *))
{
    if (w->kind == BENCH_WATCHER_NONE) return 0;
    return per_thread(w->pid, w->kind == BENCH_WATCHER_THREAD ? w->tid : 0, leaf, read);
}

uint64_t bench_cpu_ns(pid_t pid, pid_t tid)
{
    return per_thread(pid, tid, "schedstat", schedstat_ns);
}

static int comm_is(const char *path, const char *want)
{
    char buf[32] = "";
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, want) == 0;
}

void bench_watcher_find(struct bench_watcher *w)
{
    char path[300];
    memset(w, 0, sizeof *w);
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        if (comm_is(path, "loopstall")) {
            w->kind = BENCH_WATCHER_THREAD;
            w->pid = getpid();
            w->tid = (pid_t)atoi(e->d_name);
            break;
        }
    }
    if (d) closedir(d);
    if (w->kind != BENCH_WATCHER_NONE) return;
    /* A collector is nobody's parent here: the script that started it names it. */
    const char *collector = getenv("BENCH_COLLECTOR_PID");
    if (collector && atoi(collector) > 0) {
        w->kind = BENCH_WATCHER_COLLECT;
        w->pid = (pid_t)atoi(collector);
        return;
    }
    snprintf(path, sizeof path, "/proc/%d/comm", (int)getppid());
    if (comm_is(path, "loopstall")) {
        w->kind = BENCH_WATCHER_RUN;
        w->pid = getppid();
    }
}

uint64_t bench_watcher_cpu_ns(const struct bench_watcher *w)
{
    return of_watcher(w, "schedstat", schedstat_ns);
}

static uint64_t switches_of(const char *path)
{
    char line[128];
    uint64_t n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "voluntary_ctxt_switches:", 24))
            n += strtoull(line + 24, NULL, 10);
        else if (!strncmp(line, "nonvoluntary_ctxt_switches:", 27))
            n += strtoull(line + 27, NULL, 10);
    fclose(f);
    return n;
}

uint64_t bench_switches(pid_t pid, pid_t tid)
{
    return per_thread(pid, tid, "status", switches_of);
}

uint64_t bench_watcher_switches(const struct bench_watcher *w)
{
    return of_watcher(w, "status", switches_of);
}

const char *bench_watcher_name(const struct bench_watcher *w)
{
    switch (w->kind) {
    case BENCH_WATCHER_THREAD:
        return "thread";
    case BENCH_WATCHER_RUN:
        return "run";
    case BENCH_WATCHER_COLLECT:
        return "collect";
    default:
        return "none";
    }
}

long bench_kib(pid_t pid, const char *file, const char *field)
{
    char path[96], line[256];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    else
        snprintf(path, sizeof path, "/proc/self/%s", file);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = strlen(field);
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

long bench_mapping_rss_kib(long size_kib, const char *name)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int in = 0;
    long rss = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char path[256] = "";
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255[^\n]", &lo, &hi, path) >= 2) {
            /* A mapping's header line: this one is ours when the size and the name fit. */
            long kib = (long)((hi - lo) / 1024);
            in = kib == size_kib && (name[0] ? strstr(path, name) != NULL : path[0] == '\0');
        } else if (in && !strncmp(line, "Rss:", 4)) {
            rss = strtol(line + 4, NULL, 10);
            break;
        }
    }
    fclose(f);
    return rss;
}
