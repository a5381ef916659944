/* mixed.c -- lab MIXED: async I/O stage (curl multi on libuv), CPU stage on a process pool (or,
 * to compare, a thread pool), and a queue between them that is bounded (the fetchers wait when it
 * is full) or not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_job.h"
#include "curl_uv.h"
#include "lab.h"
#include "procpool.h"
#include "server.h"

struct item {
    char *buf; /* the fetched body, held until the CPU stage is done with it */
    size_t len, cap;
    uint64_t t0; /* when its fetch started */
    uint64_t sum;
    struct item *next;
    uv_work_t work;
    struct lab *lab;
};

struct fetcher {
    CURL *easy;
    struct item *cur; /* the item being fetched */
    struct fetcher *next_parked;
};

/* Where the CPU stage runs: forked workers fed over socket pairs (the chapter's rule), or
 * libuv's thread pool. */
enum stage { PROCESSES, THREADS };

struct lab {
    int bounded;
    enum stage stage;
    struct procpool *pool; /* PROCESSES */
    uv_loop_t *loop;
    struct lab_curl_uv multi;
    unsigned items, fetched_issued, done, errors, queue_cap, workers, in_flight;
    unsigned fetching; /* fetches in flight */
    uint64_t iters;
    struct item *qhead, *qtail;
    unsigned qlen, peak_qlen;
    size_t held_bytes, peak_held; /* bodies fetched and not yet processed */
    struct fetcher *fetchers;     /* all of them, nfetchers long */
    unsigned nfetchers;
    struct fetcher *parked; /* fetchers waiting for room in the queue */
    struct lab_stats lat;
    size_t peak_rss;
    uv_timer_t rss_timer;
    uint64_t end_ns;
    double cpu0, idle0; /* process and children CPU seconds, machine idle seconds, at the start */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct item *it = arg;
    size_t add = size * n;
    if (it->len + add > it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 16384;
        while (cap < it->len + add)
            cap *= 2;
        char *b = realloc(it->buf, cap);
        if (!b) return 0;
        it->buf = b;
        it->cap = cap;
    }
    memcpy(it->buf + it->len, p, add);
    it->len += add;
    return add;
}

/* Starts f's next fetch, or parks f when the bound says no: a fetch in flight holds a place
 * in the queue from its start, so the bound holds however many fetchers there are. */
static void start_fetch(struct lab *l, struct fetcher *f)
{
    if (l->fetched_issued == l->items) return;
    if (l->bounded && l->qlen + l->fetching >= l->queue_cap) {
        f->next_parked = l->parked;
        l->parked = f;
        return;
    }
    l->fetching++;
    l->fetched_issued++;
    struct item *it = calloc(1, sizeof(*it));
    it->lab = l;
    it->t0 = lab_now_ns();
    f->cur = it;
    curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, it);
    lab_curl_uv_add(&l->multi, f->easy);
}

static void cpu_job(uv_work_t *w)
{
    struct item *it = w->data;
    it->sum = lab_cpu_stage(it->lab->iters, (const unsigned char *)it->buf, it->len);
}

static void dispatch(struct lab *l);

/* The CPU stage is done with it, on whichever pool: on the loop thread. */
static void stage_done(struct item *it)
{
    struct lab *l = it->lab;
    lab_stats_add(&l->lat, lab_now_ns() - it->t0);
    l->held_bytes -= it->len;
    free(it->buf);
    free(it);
    l->in_flight--;
    if (++l->done == l->items) {
        l->end_ns = lab_now_ns();
        uv_stop(l->loop);
        return;
    }
    dispatch(l);
}

static void cpu_done(uv_work_t *w, int status)
{
    (void)status;
    stage_done(w->data);
}

static void proc_done(void *ctx, uint64_t sum)
{
    struct item *it = ctx;
    it->sum = sum;
    stage_done(it);
}

/* Moves items from the queue to the pool while it has a free worker; room in the queue lets
 * one parked fetcher go again. The queue is ours, not the pool's, so its size is visible. */
static void dispatch(struct lab *l)
{
    while (l->in_flight < l->workers && l->qhead) {
        struct item *it = l->qhead;
        l->qhead = it->next;
        if (!l->qhead) l->qtail = NULL;
        l->qlen--;
        l->in_flight++;
        if (l->stage == PROCESSES) {
            /* The body travels to the worker, as a ProcessPoolExecutor pickles its arguments. */
            lab_procpool_submit(l->pool, it, it->buf, it->len);
        } else {
            it->work.data = it;
            uv_queue_work(l->loop, &it->work, cpu_job, cpu_done);
        }
    }
    while (l->parked && l->fetched_issued < l->items && l->qlen + l->fetching < l->queue_cap) {
        struct fetcher *f = l->parked;
        l->parked = f->next_parked;
        start_fetch(l, f);
    }
}

static void fetch_done(CURL *easy, CURLcode rc, void *arg)
{
    struct lab *l = arg;
    struct fetcher *f;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&f);
    struct item *it = f->cur;
    f->cur = NULL;
    l->fetching--;
    if (rc != CURLE_OK) l->errors++;
    if (l->qtail)
        l->qtail->next = it;
    else
        l->qhead = it;
    l->qtail = it;
    if (++l->qlen > l->peak_qlen) l->peak_qlen = l->qlen;
    l->held_bytes += it->len;
    if (l->held_bytes > l->peak_held) l->peak_held = l->held_bytes;
    dispatch(l);
    start_fetch(l, f); /* parks f when the queue has no room: that is the backpressure */
}

static void sample_rss(uv_timer_t *t)
{
    struct lab *l = t->data;
    size_t rss = lab_rss_bytes();
    if (rss > l->peak_rss) l->peak_rss = rss;
}

static void start_all(void *arg)
{
    struct lab *l = arg;
    l->cpu0 = lab_cpu_seconds();
    l->idle0 = lab_idle_cpu_seconds();
    for (unsigned i = 0; i < l->nfetchers; i++)
        start_fetch(l, &l->fetchers[i]);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lab-mixed bounded|unbounded|threads [--items N] [--io-concurrency C]\n"
            "       [--queue Q] [--workers W] [--job-ms MS] [--payload-kb KB] [--delay-ms D]\n"
            "       [--quick] [--json FILE]\n"
            "  C async fetches from the lab server feed a queue; a pool of W worker processes\n"
            "  runs a CPU job per item, the body sent to it over a socket pair the loop watches.\n"
            "  bounded: fetchers wait while Q items are queued; unbounded: they never wait;\n"
            "  threads: bounded, the CPU stage on W pool threads instead. Defaults: 2000 items,\n"
            "  C=64, Q=16, W=cores, job 4 ms, 32 KB, delay 2 ms. --quick: 300 items.\n");
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"bounded", "unbounded", "threads"};
    int status, vi = lab_variant(argc, argv, "lab-mixed", names, 3, usage, &status);
    if (vi < 0) return status;
    struct lab l = {.bounded = vi != 1, .stage = vi == 2 ? THREADS : PROCESSES};
    const char *variant = argv[1];
    unsigned items = 2000, conc = 64, payload_kb = 32;
    int quick = 0, items_set = 0;
    double job_ms = 4;
    struct lab_server_opts so = {.delay_ms = 2};
    const char *json = NULL;
    l.queue_cap = 16;
    l.workers = lab_ncpus();
    const struct lab_opt opts[] = {{"items", LAB_UINT, &items, 1, 1000000, &items_set},
                                   {"io-concurrency", LAB_UINT, &conc, 1, 4096, NULL},
                                   {"queue", LAB_UINT, &l.queue_cap, 1, 1000000, NULL},
                                   {"workers", LAB_UINT, &l.workers, 1, 256, NULL},
                                   {"job-ms", LAB_DOUBLE, &job_ms, 0.01, 1000, NULL},
                                   {"payload-kb", LAB_UINT, &payload_kb, 0, 1024, NULL},
                                   {"delay-ms", LAB_UINT, &so.delay_ms, 0, 10000, NULL},
                                   {"quick", LAB_FLAG, &quick, 0, 0, NULL},
                                   {"json", LAB_STRING, &json, 0, 0, NULL},
                                   {NULL, 0, NULL, 0, 0, NULL}};
    if (lab_options(argc, argv, 2, opts, usage, &status) < 0) return status;
    if (quick && !items_set) items = 300;
    l.items = items;
    lab_pool_size(l.workers);
    double cost_ms;
    l.iters = lab_cpu_calibrate(job_ms, &cost_ms);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    uv_loop_t loop;
    uv_loop_init(&loop);
    l.loop = &loop;
    /* The workers are forked first, while this process has a single thread. */
    int rc;
    if (l.stage == PROCESSES &&
        (rc = lab_procpool_start(&l.pool, &loop, l.workers, l.iters, proc_done)) < 0) {
        fprintf(stderr, "lab-mixed: process pool: %s\n", strerror(-rc));
        return 1;
    }
    struct lab_server *srv;
    unsigned port;
    rc = lab_server_start(&so, &srv, &port);
    if (rc < 0) {
        fprintf(stderr, "lab-mixed: lab server: %s\n", uv_strerror(rc));
        return 1;
    }
    char url[80];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/bytes/%u", port, payload_kb * 1024);

    lab_curl_uv_init(&l.multi, &loop, fetch_done, &l);
    struct fetcher *fs = calloc(conc, sizeof(*fs));
    if (!fs) return 1;
    for (unsigned i = 0; i < conc; i++) {
        fs[i].easy = lab_curl_easy(url);
        curl_easy_setopt(fs[i].easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(fs[i].easy, CURLOPT_PRIVATE, &fs[i]);
    }
    struct lab_lag lag = {0};
    lab_lag_start(&loop, &lag, 10);
    uv_timer_init(&loop, &l.rss_timer);
    l.rss_timer.data = &l;
    uv_timer_start(&l.rss_timer, sample_rss, 5, 5);
    uv_unref((uv_handle_t *)&l.rss_timer);

    uint64_t t0;
    l.fetchers = fs;
    l.nfetchers = conc;
    lab_run_loop(&loop, start_all, &l, &t0);
    double idle = lab_idle_cpu_seconds() - l.idle0;

    /* Tear down before counting CPU: the workers' time counts once they are reaped. */
    if (l.pool) lab_procpool_stop(l.pool);
    lab_curl_uv_close(&l.multi);
    lab_lag_stop(&lag);
    lab_loop_close(&loop);
    if (l.pool) lab_procpool_free(l.pool);
    double wall = (double)(l.end_ns - t0) / 1e9;
    double cores = (lab_cpu_seconds() - l.cpu0) / wall, idle_cores = idle / wall;

    struct lab_result r = {.lab = "mixed", .variant = variant, .unit = "req"};
    const char *where = l.stage == PROCESSES ? "process pool" : "thread pool";
    if (l.bounded)
        snprintf(r.title, sizeof(r.title), "MIXED-%s async fetch + %s CPU c=%u queue=%u W=%u",
                 variant, where, conc, l.queue_cap, l.workers);
    else
        snprintf(r.title, sizeof(r.title), "MIXED-%s async fetch + %s CPU c=%u W=%u", variant,
                 where, conc, l.workers);
    r.wall_s = wall;
    r.count = l.done;
    r.errors = l.errors;
    lab_stats_summary(&l.lat, &r.latency);
    lab_stats_summary(&lag.lag, &r.lag);
    lab_result_param(&r, "io_concurrency", conc);
    lab_result_param(&r, "queue", l.bounded ? l.queue_cap : 0);
    lab_result_param(&r, "workers", l.workers);
    lab_result_param(&r, "worker_processes", l.stage == PROCESSES);
    lab_result_param(&r, "job_ms", cost_ms);
    lab_result_param(&r, "payload_kb", payload_kb);
    lab_result_param(&r, "peak_queue", l.peak_qlen);
    lab_result_param(&r, "peak_held_mb", (double)l.peak_held / 1048576.0);
    lab_result_param(&r, "peak_rss_mb", (double)l.peak_rss / 1048576.0);
    lab_result_param(&r, "cpu_cores_used", cores);
    lab_result_param(&r, "cpu_cores_idle", idle_cores);
    lab_result_print(&r, stdout);
    printf("queue peak %u items, %.1f MB of bodies held; RSS peak %.1f MB\n", l.peak_qlen,
           (double)l.peak_held / 1048576.0, (double)l.peak_rss / 1048576.0);
    printf("CPU %.2f cores on average (process and workers), %.2f idle on the machine\n", cores,
           idle_cores);
    /* A result asked for and not written is a failed run: whoever asked reads the file. */
    int failed = json && (rc = lab_result_write_json(&r, json)) < 0;
    if (failed) fprintf(stderr, "lab-mixed: %s: %s\n", json, strerror(-rc));

    for (unsigned i = 0; i < conc; i++)
        curl_easy_cleanup(fs[i].easy);
    free(fs);
    lab_stats_free(&l.lat);
    lab_stats_free(&lag.lag);
    lab_server_stop(srv);
    curl_global_cleanup();
    return l.errors || failed ? 1 : 0;
}
