/* d3b.c -- lab D3B: a CPU job in the loop (bad), on a thread pool (threads), on the same pool
 * under a model of Python's GIL that the loop must hold too (gil), and on a pool of processes
 * with async IPC (procpool). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_job.h"
#include "gil.h"
#include "lab.h"
#include "procpool.h"

enum variant { BAD, THREADS, GIL, PROCPOOL };

struct client {
    struct lab *lab;
    uv_idle_t kick; /* bad: runs the job from a loop callback, next iteration */
    uv_work_t work; /* threads, gil: runs the job on the pool */
    uint64_t t0;
};

struct lab {
    enum variant v;
    struct client *clients; /* all of them, nclients long */
    unsigned nclients;
    uv_loop_t *loop;
    unsigned jobs, issued, done;
    uint64_t iters, checksum;
    struct lab_stats lat;
    struct procpool *pool;
    uint64_t end_ns;
    double cpu0, idle0;     /* CPU seconds of the process and its reaped children, and idle CPU
                               seconds of the machine, at the start */
    struct lab_gil gil;     /* gil: the lock every "Python" thread must hold, the loop's too */
    struct lab_gil_loop gl; /* gil: the loop run under it */
    unsigned chunks;        /* gil: the job runs in this many pieces, checking for a drop
                               request after each, as the eval loop checks between bytecodes */
};

static void next_job(struct client *c);

static void finish(struct client *c, uint64_t sum)
{
    struct lab *l = c->lab;
    l->checksum ^= sum;
    lab_stats_add(&l->lat, lab_now_ns() - c->t0);
    if (++l->done == l->jobs) {
        l->end_ns = lab_now_ns();
        uv_stop(l->loop);
        return;
    }
    next_job(c);
}

/* The anti-pattern: CPU work in a loop callback. Nothing else on this loop runs meanwhile. */
static void bad_job(uv_idle_t *h)
{
    struct client *c = h->data;
    uv_idle_stop(h);
    finish(c, lab_cpu_job(c->lab->iters));
}

/* A Python thread running the job: it holds the lock throughout and lets a waiter have it
 * when asked, which a waiter does after a switch interval without a switch. */
static uint64_t gil_job(struct lab *l)
{
    uint64_t sum = 0, piece = l->iters / l->chunks;
    lab_gil_take(&l->gil);
    for (unsigned k = 0; k < l->chunks; k++) {
        sum ^= lab_cpu_job(k + 1 < l->chunks ? piece : l->iters - piece * k);
        lab_gil_switch_point(&l->gil);
    }
    lab_gil_drop(&l->gil);
    return sum;
}

static void pool_job(uv_work_t *w)
{
    struct client *c = w->data;
    uint64_t sum = c->lab->v == GIL ? gil_job(c->lab) : lab_cpu_job(c->lab->iters);
    /* Folded in here rather than in pool_done: the checksum only keeps the job honest. */
    __atomic_xor_fetch(&c->lab->checksum, sum, __ATOMIC_RELAXED);
}

static int all_done(void *arg)
{
    struct lab *l = arg;
    return l->done == l->jobs;
}

static void pool_done(uv_work_t *w, int status)
{
    (void)status;
    finish(w->data, 0);
}

static void proc_done(void *ctx, uint64_t sum)
{
    finish(ctx, sum);
}

static void next_job(struct client *c)
{
    struct lab *l = c->lab;
    if (l->issued == l->jobs) return;
    l->issued++;
    c->t0 = lab_now_ns();
    switch (l->v) {
    case BAD:
        uv_idle_start(&c->kick, bad_job);
        break;
    case THREADS:
    case GIL:
        uv_queue_work(l->loop, &c->work, pool_job, pool_done);
        break;
    case PROCPOOL:
        lab_procpool_submit(l->pool, c, NULL, 0);
        break;
    }
}

static void start_all(void *arg)
{
    struct lab *l = arg;
    l->cpu0 = lab_cpu_seconds();
    l->idle0 = lab_idle_cpu_seconds();
    for (unsigned i = 0; i < l->nclients; i++)
        next_job(&l->clients[i]);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: lab-d3b bad|threads|gil|procpool [--jobs N] [--concurrency C]\n"
               "               [--workers W] [--job-ms MS] [--switch-interval-ms MS] [--quick]\n"
               "               [--json FILE]\n"
               "  bad: the CPU job in a loop callback; threads: on a pool of W threads; gil: the\n"
               "  same pool under a model of Python's GIL, which the loop needs for every\n"
               "  callback and holders hand over when a waiter has waited the switch interval;\n"
               "  procpool: W forked processes fed over pipes. Defaults: 400 jobs, C=32,\n"
               "  W=min(32, cores+4) threads or W=cores processes (Python's executors), job\n"
               "  10 ms, switch interval 5 ms (sys.getswitchinterval()). --quick: 150 jobs.\n");
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"bad", "threads", "gil", "procpool"}; /* enum variant */
    int status, vi = lab_variant(argc, argv, "lab-d3b", names, 4, usage, &status);
    if (vi < 0) return status;
    struct lab l = {.v = (enum variant)vi};
    const char *variant = argv[1];
    unsigned jobs = 400, conc = 32, workers = 0;
    int quick = 0, jobs_set = 0;
    double job_ms = 10, switch_ms = 5;
    const char *json = NULL;
    const struct lab_opt opts[] = {
        {"jobs", LAB_UINT, &jobs, 1, 1000000, &jobs_set},
        {"concurrency", LAB_UINT, &conc, 1, 4096, NULL},
        {"workers", LAB_UINT, &workers, 1, 256, NULL},
        {"job-ms", LAB_DOUBLE, &job_ms, 0.01, 1000, NULL},
        {"switch-interval-ms", LAB_DOUBLE, &switch_ms, 0.001, 1000, NULL},
        {"quick", LAB_FLAG, &quick, 0, 0, NULL},
        {"json", LAB_STRING, &json, 0, 0, NULL},
        {NULL, 0, NULL, 0, 0, NULL}};
    if (lab_options(argc, argv, 2, opts, usage, &status) < 0) return status;
    if (quick && !jobs_set) jobs = 150;
    /* Python's defaults: a ThreadPoolExecutor (asyncio.to_thread's) has min(32, cores + 4)
     * threads, a ProcessPoolExecutor one process per core. */
    if (!workers)
        workers = l.v == PROCPOOL ? lab_ncpus() : lab_ncpus() + 4 < 32 ? lab_ncpus() + 4 : 32;
    l.jobs = jobs;
    lab_pool_size(workers);

    double cost_ms;
    l.iters = lab_cpu_calibrate(job_ms, &cost_ms);
    fprintf(stderr, "lab-d3b: lab_cpu_job(%llu) takes %.2f ms here\n", (unsigned long long)l.iters,
            cost_ms);

    /* About one check for a drop request every 50 us of the job: CPython checks far more often,
     * so a holder answers a request at once, as here. */
    l.chunks = job_ms / 0.05 > 1 ? (unsigned)(job_ms / 0.05) : 1;
    if (l.v == GIL) {
        lab_gil_init(&l.gil, switch_ms);
        l.gl = (struct lab_gil_loop){.gil = &l.gil, .finished = all_done, .arg = &l};
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    l.loop = &loop;
    if (l.v == PROCPOOL) {
        int rc = lab_procpool_start(&l.pool, &loop, workers, l.iters, proc_done);
        if (rc < 0) {
            fprintf(stderr, "lab-d3b: process pool: %s\n", strerror(-rc));
            return 1;
        }
    }
    struct client *cl = calloc(conc, sizeof(*cl));
    if (!cl) return 1;
    for (unsigned i = 0; i < conc; i++) {
        cl[i].lab = &l;
        uv_idle_init(&loop, &cl[i].kick);
        cl[i].kick.data = cl[i].work.data = &cl[i];
    }
    struct lab_lag lag = {0};
    lab_lag_start(&loop, &lag, 10);

    uint64_t t0;
    l.clients = cl;
    l.nclients = conc;
    lab_run_loop_with(&loop, start_all, &l, &t0, l.v == GIL ? lab_gil_run_loop : NULL, &l.gl);
    double idle = lab_idle_cpu_seconds() - l.idle0;

    /* Tear down first: the workers' CPU time counts once they are reaped. */
    if (l.pool) lab_procpool_stop(l.pool);
    lab_lag_stop(&lag);
    lab_loop_close(&loop);
    if (l.pool) lab_procpool_free(l.pool);
    double wall = (double)(l.end_ns - t0) / 1e9;
    double cores = (lab_cpu_seconds() - l.cpu0) / wall, idle_cores = idle / wall;

    struct lab_result r = {.lab = "d3b", .variant = variant, .unit = "jobs"};
    switch (l.v) {
    case BAD:
        snprintf(r.title, sizeof(r.title), "D3B-bad CPU in loop c=%u", conc);
        break;
    case THREADS:
        snprintf(r.title, sizeof(r.title), "D3B-threads thread pool c=%u threads=%u", conc,
                 workers);
        break;
    case GIL:
        snprintf(r.title, sizeof(r.title), "D3B-gil thread pool under a GIL c=%u threads=%u", conc,
                 workers);
        break;
    case PROCPOOL:
        snprintf(r.title, sizeof(r.title), "D3B-good processpool c=%u procs=%u", conc, workers);
        break;
    }
    r.wall_s = wall;
    r.count = l.done;
    lab_stats_summary(&l.lat, &r.latency);
    lab_stats_summary(&lag.lag, &r.lag);
    lab_result_param(&r, "concurrency", conc);
    lab_result_param(&r, "workers", l.v == BAD ? 0 : workers);
    lab_result_param(&r, "job_ms", cost_ms);
    lab_result_param(&r, "job_iters", (double)l.iters);
    /* How many cores the jobs really got: what a speedup needs, and what the GIL denies; and how
     * many nobody used, so that a reader can tell a busy machine from a lab that cannot scale. */
    lab_result_param(&r, "cpu_cores_used", cores);
    lab_result_param(&r, "cpu_cores_idle", idle_cores);
    struct lab_summary waits = {0};
    if (l.v == GIL) {
        lab_stats_summary(&l.gl.waits, &waits);
        lab_result_param(&r, "switch_interval_ms", switch_ms);
        lab_result_param(&r, "loop_gil_wait_share", (double)l.gl.wait_ns / 1e9 / wall);
        lab_result_param(&r, "loop_gil_wait_p99_ms", waits.p99);
        lab_result_param(&r, "gil_drop_requests", (double)atomic_load(&l.gil.drop_requests));
    }
    lab_result_print(&r, stdout);
    printf("CPU %.2f cores on average (process and workers), %.2f idle on the machine\n", cores,
           idle_cores);
    if (l.v == GIL)
        printf("loop waited for the GIL %.0f%% of the run: %zu waits, p99 %.1fms, max %.1fms; "
               "%lu drop requests (switch interval %gms)\n",
               100.0 * (double)l.gl.wait_ns / 1e9 / wall, waits.n, waits.p99, waits.max,
               (unsigned long)atomic_load(&l.gil.drop_requests), switch_ms);
    int rc;
    /* A result asked for and not written is a failed run: whoever asked reads the file. */
    int failed = json && (rc = lab_result_write_json(&r, json)) < 0;
    if (failed) fprintf(stderr, "lab-d3b: %s: %s\n", json, strerror(-rc));

    free(cl);
    if (l.v == GIL) {
        lab_stats_free(&l.gl.waits);
        lab_gil_destroy(&l.gil);
    }
    lab_stats_free(&l.lat);
    lab_stats_free(&lag.lag);
    return failed;
}
