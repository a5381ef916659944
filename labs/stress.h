/* stress.h -- the stress lab's parts: what a sweep is configured with, what one load point of one
 * mode measured, how it is run (stress_run.c) and written out (stress_output.c). */
#ifndef LAB_STRESS_H
#define LAB_STRESS_H

#include <stdint.h>
#include <stdio.h>

#include "downstream.h"
#include "lab.h"

/* How requests are offloaded. */
enum stress_mode {
    STRESS_UNBOUNDED, /* a new thread per request, however many already wait */
    STRESS_QUEUED,    /* a pool of K threads and an unbounded queue: threads capped, backlog not */
    STRESS_BOUNDED,   /* a pool of K threads and a queue of Q that sheds what does not fit */
    STRESS_NMODES
};
extern const char *const stress_mode_name[STRESS_NMODES];

struct stress_cfg {
    enum lab_downstream_kind downstream;
    unsigned slots;       /* SLEEP: the downstream's slots; both: the pools' threads */
    unsigned queue;       /* the bounded mode's queue */
    unsigned max_threads; /* safety limit of the unbounded mode; past it a request is refused */
    unsigned request_kb;  /* state each accepted request holds until it is served */
    double service_ms;    /* time a request needs: asleep holding a slot, or on a CPU */
    double timeout_ms;    /* the client's patience: a shed, refused or later request failed */
    uint64_t cpu_iters;   /* CPU: lab_cpu_job's size for service_ms */
    double seconds;       /* arrivals per load point */
    double loads[16];     /* offered load, in multiples of capacity */
    size_t nloads;
};

/* Requests per second the downstream can serve: slots x (1000 / service_ms). */
double stress_capacity(const struct stress_cfg *c);

/* One load point of one mode. */
struct stress_row {
    enum stress_mode mode;
    double load, rate;
    size_t sent, done, shed, refused, late; /* late: served after the timeout */
    struct lab_summary lat;                 /* served requests, from their intended send time */
    double p99_failed_ms;  /* p99 over every request sent, a failure counted as the timeout */
    double throughput;     /* served per second, from the first arrival to the last answer */
    uint64_t vcsw, ivcsw;  /* the process's voluntary and involuntary context switches */
    double runq_ms;        /* time runnable without a CPU, summed over every thread of the run */
    double loop_runq_ms;   /* the part of it that the loop sending the requests waited */
    unsigned peak_threads; /* threads alive at once, the loop's included */
    double peak_rss_mb;
};

/* Runs one load point of one mode; returns 0 or a negative errno. */
int stress_run(const struct stress_cfg *c, enum stress_mode m, double load, struct stress_row *out);

/* The table on stdout, and the files. The writers return 0 or a negative errno. */
void stress_print_header(FILE *f);
void stress_print_row(FILE *f, const struct stress_row *w);
int stress_write_csv(const char *path, const struct stress_row *rows, size_t n);
int stress_write_json(const char *path, const struct stress_cfg *c, const struct stress_row *rows,
                      size_t n);
int stress_write_svg(const char *path, const struct stress_cfg *c, const struct stress_row *rows,
                     size_t n);

#endif
