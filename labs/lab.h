/* lab.h -- what every lab shares: clock, latency statistics, the loop-lag probe, result output. */
#ifndef LAB_H
#define LAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#define LAB_MS 1000000ULL /* nanoseconds in a millisecond */

/* Monotonic time in nanoseconds; safe from any thread. */
uint64_t lab_now_ns(void);

/* A growing set of samples in nanoseconds, summarised once at the end. */
struct lab_stats {
    uint64_t *v;   /* samples, sorted by lab_stats_summary */
    size_t n, cap; /* used and allocated */
};

struct lab_summary {
    size_t n;                         /* samples */
    double mean, p50, p99, p999, max; /* milliseconds */
};

int lab_stats_add(struct lab_stats *s, uint64_t ns);
void lab_stats_summary(struct lab_stats *s, struct lab_summary *out);
void lab_stats_free(struct lab_stats *s);

/* Loop-lag probe: a timer every period that records how late it fired. Unreferenced, so it
 * never keeps the loop alive on its own. */
struct lab_lag {
    uv_timer_t timer;
    uint64_t period_ns, last_ns;
    struct lab_stats lag;
};

int lab_lag_start(uv_loop_t *loop, struct lab_lag *p, unsigned period_ms);
void lab_lag_stop(struct lab_lag *p);

/* Runs start(arg) from a 1 ms timer, then the loop until something stops it; *t0 receives the
 * time the work started. The work begins after the loop has waited once, as a server's requests
 * arrive once its loop runs; it is also when loopstall learns that a thread is a loop. */
void lab_run_loop(uv_loop_t *loop, void (*start)(void *), void *arg, uint64_t *t0);
/* The same with the loop run by run(loop, run_arg) instead of uv_run(UV_RUN_DEFAULT): D3B's gil
 * variant runs its loop under the lock (lab_gil_run_loop). */
typedef void (*lab_loop_runner)(uv_loop_t *loop, void *arg);
void lab_run_loop_with(uv_loop_t *loop, void (*start)(void *), void *arg, uint64_t *t0,
                       lab_loop_runner run, void *run_arg);

/* Closes every handle still on the loop, lets the closes finish and closes the loop: the labs'
 * orderly teardown, so that sanitizer builds see no leak. */
void lab_loop_close(uv_loop_t *loop);

/* Reads argv[1], the lab's variant, and returns its index in names. With no variant or an
 * option in its place it prints usage (to stdout for --help, with *status 0; otherwise to stderr,
 * *status 2) and returns -1; an unknown variant is named on stderr with the known ones, *status 2,
 * -1. */
int lab_variant(int argc, char **argv, const char *prog, const char *const names[], unsigned n,
                void (*usage)(FILE *), int *status);

/* One named number that describes a run (concurrency, tcap, procs ...). */
struct lab_param {
    const char *name;
    double value;
};

/* What a lab prints and writes as JSON. The title is the chapter's first line. */
struct lab_result {
    const char *lab, *variant;
    char title[128];
    const char *unit; /* "req" or "jobs" */
    double wall_s;
    size_t count, errors;       /* completed, failed */
    struct lab_summary latency; /* per request or job, from submit to completion */
    struct lab_summary lag;     /* loop lag from the probe */
    struct lab_param params[16];
    size_t nparams;
};

void lab_result_param(struct lab_result *r, const char *name, double value);
/* Prints the chapter's two lines plus latency and loop lag to out. */
void lab_result_print(const struct lab_result *r, FILE *out);
/* Writes the result as one JSON object; returns 0 or a negative errno. */
int lab_result_write_json(const struct lab_result *r, const char *path);

/* One option of a lab, for lab_options. */
enum lab_opt_kind {
    LAB_UINT,   /* value is an unsigned *, checked against min and max */
    LAB_DOUBLE, /* value is a double *, checked against min and max */
    LAB_STRING, /* value is a const char **, checked by the lab */
    LAB_FLAG,   /* value is an int *, set to 1; takes no argument */
};
struct lab_opt {
    const char *name; /* the long option without its dashes; NULL ends the table */
    enum lab_opt_kind kind;
    void *value;
    double min, max;
    int *given; /* set to 1 when the option was given, or NULL */
};

/* Parses argv[first..] against opts, plus --help. Returns 0, or -1 with *status the exit status:
 * 0 after --help (usage on stdout), 2 after an unknown option or a stray argument (named on
 * stderr). A number out of range exits at once with a line naming the option and the range. */
int lab_options(int argc, char **argv, int first, const struct lab_opt *opts, void (*usage)(FILE *),
                int *status);

/* Parses a positive integer option value or exits with a message naming the option. */
unsigned lab_parse_uint(const char *opt, const char *arg, unsigned min, unsigned max);
double lab_parse_double(const char *opt, const char *arg, double min, double max);

/* Sizes libuv's thread pool, which libuv reads from UV_THREADPOOL_SIZE on first use: call it
 * before the first uv_queue_work. */
void lab_pool_size(unsigned threads);

/* Number of online CPUs, at least 1. */
unsigned lab_ncpus(void);

/* User and system CPU seconds of this process and of its children reaped so far. */
double lab_cpu_seconds(void);

/* Resident set size of this process in bytes (from /proc/self/statm), 0 when unknown. */
size_t lab_rss_bytes(void);

/* Idle CPU seconds of the whole machine so far (idle and iowait over all CPUs, /proc/stat): the
 * difference over a run, divided by its wall time, is how many cores nobody used meanwhile. */
double lab_idle_cpu_seconds(void);

/* Context switches of this process so far, every thread included (getrusage). */
void lab_context_switches(uint64_t *voluntary, uint64_t *involuntary);

/* How long the calling thread has been runnable without a CPU, in nanoseconds
 * (/proc/thread-self/schedstat); 0 when unknown. */
uint64_t lab_thread_runqueue_wait_ns(void);

#endif
