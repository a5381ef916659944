/* bench_proc.h -- what the benchmark programs read from /proc: CPU time of threads, the watcher
 * that watches this process (the agent's own thread, or `loopstall run`), and memory figures.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

enum bench_watcher_kind {
    BENCH_WATCHER_NONE,    /* bare: nothing watches */
    BENCH_WATCHER_THREAD,  /* direct use: the agent's thread named "loopstall" in this process */
    BENCH_WATCHER_RUN,     /* under run: the parent process named "loopstall" */
    BENCH_WATCHER_COLLECT, /* with a collector: `loopstall collect`, pid BENCH_COLLECTOR_PID */
};

struct bench_watcher {
    enum bench_watcher_kind kind;
    pid_t pid; /* the process whose CPU is the watcher's */
    pid_t tid; /* the thread, for BENCH_WATCHER_THREAD */
};

uint64_t bench_now_ns(void);
/* CPU time of one thread (tid > 0) or of every live thread of pid (tid 0), in ns, from the
 * scheduler's sum in /proc/PID/task/TID/schedstat; 0 when it cannot be read. */
uint64_t bench_cpu_ns(pid_t pid, pid_t tid);
/* Finds the watcher: this process's "loopstall" thread, else a parent named loopstall. */
void bench_watcher_find(struct bench_watcher *w);
uint64_t bench_watcher_cpu_ns(const struct bench_watcher *w);
/* Context switches (voluntary + involuntary) of one thread, or of every live thread of pid (tid
 * 0): for a watcher that sleeps between ticks, its wake-ups. */
uint64_t bench_switches(pid_t pid, pid_t tid);
uint64_t bench_watcher_switches(const struct bench_watcher *w);
const char *bench_watcher_name(const struct bench_watcher *w);
/* A "Name:   123 kB" field of /proc/PID/status or /proc/PID/smaps_rollup (pid 0: self), in
 * KiB; -1 when absent. */
long bench_kib(pid_t pid, const char *file, const char *field);
/* The Rss and size (KiB) of this process's mapping of exactly size_kib KiB whose name contains
 * name ("" for an anonymous one); -1 when there is none. */
long bench_mapping_rss_kib(long size_kib, const char *name);

#endif
