/* stress.c -- stress lab: requests at a fixed rate against a downstream of limited capacity,
 * offloaded to a thread per request (unbounded) or to a fixed pool with a bounded queue that
 * sheds the excess (bounded), swept from half to twice the downstream's capacity. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downstream.h"
#include "lab.h"
#include "svgplot.h"

enum mode { UNBOUNDED, BOUNDED };
static const char *const mode_name[] = {"unbounded", "bounded"};

struct cfg {
    unsigned slots, queue, max_threads;
    unsigned request_kb; /* state each accepted request holds until it is served */
    double service_ms, seconds;
    double loads[16];
    size_t nloads;
};

struct row {
    enum mode mode;
    double load, rate;
    size_t sent, done, shed, refused;
    struct lab_summary lat;
    unsigned peak_threads;
    double peak_rss_mb;
};

struct run {
    const struct cfg *cfg;
    enum mode mode;
    uv_loop_t *loop;
    uv_timer_t tick;
    struct lab_downstream down;
    uint64_t t0, period_ns;
    size_t n, next;    /* requests in this run, next to send */
    uint64_t *done_ns; /* completion time per request, 0 when shed or refused */
    char **state;      /* per-request state, held from acceptance until served */
    size_t shed, refused;
    atomic_size_t finished; /* requests that left the downstream */
    atomic_uint live;       /* request threads alive (unbounded) */
    unsigned peak_live;
    size_t peak_rss;
    unsigned ticks;
    /* bounded: a ring of request indices, workers take from it */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t *ring, rhead, rlen;
    int stopping;
    pthread_t *workers;
};

struct job {
    struct run *r;
    size_t i;
};

static void serve(struct run *r, size_t i)
{
    lab_downstream_call(&r->down);
    r->done_ns[i] = lab_now_ns();
    free(r->state[i]);
    r->state[i] = NULL;
    atomic_fetch_add(&r->finished, 1);
}

static void *request_thread(void *arg)
{
    struct job j = *(struct job *)arg;
    free(arg);
    serve(j.r, j.i);
    atomic_fetch_sub(&j.r->live, 1);
    return NULL;
}

static void *pool_worker(void *arg)
{
    struct run *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->rlen && !r->stopping)
            pthread_cond_wait(&r->cv, &r->mu);
        if (!r->rlen) break;
        size_t i = r->ring[r->rhead];
        r->rhead = (r->rhead + 1) % r->cfg->queue;
        r->rlen--;
        pthread_mutex_unlock(&r->mu);
        serve(r, i);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The anti-pattern: a new thread for every request, however many are already waiting. Only a
 * safety limit keeps the lab from taking the machine down; hitting it counts as refused. */
static void send_unbounded(struct run *r, size_t i)
{
    struct job *j = NULL;
    if (atomic_load(&r->live) >= r->cfg->max_threads || !(j = malloc(sizeof(*j)))) {
        r->refused++;
        free(r->state[i]);
        r->state[i] = NULL;
        return;
    }
    pthread_attr_t a;
    pthread_t th;
    *j = (struct job){r, i};
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    unsigned live = atomic_fetch_add(&r->live, 1) + 1;
    if (pthread_create(&th, &a, request_thread, j) != 0) {
        atomic_fetch_sub(&r->live, 1);
        free(j);
        free(r->state[i]);
        r->state[i] = NULL;
        r->refused++;
    } else if (live > r->peak_live) {
        r->peak_live = live;
    }
    pthread_attr_destroy(&a);
}

/* The fix: a full queue answers "no" at once, which the caller can retry or degrade on. */
static void send_bounded(struct run *r, size_t i)
{
    pthread_mutex_lock(&r->mu);
    if (r->rlen == r->cfg->queue) {
        r->shed++;
        free(r->state[i]);
        r->state[i] = NULL;
    } else {
        r->ring[(r->rhead + r->rlen) % r->cfg->queue] = i;
        r->rlen++;
        pthread_cond_signal(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_tick(uv_timer_t *t)
{
    struct run *r = t->data;
    uint64_t now = lab_now_ns();
    while (r->next < r->n && r->t0 + r->next * r->period_ns <= now) {
        /* What a real request carries (buffers, parsed headers): the memory a backlog costs. */
        size_t bytes = (size_t)r->cfg->request_kb * 1024;
        r->state[r->next] = malloc(bytes ? bytes : 1);
        if (r->state[r->next]) memset(r->state[r->next], 1, bytes);
        if (r->mode == UNBOUNDED)
            send_unbounded(r, r->next);
        else
            send_bounded(r, r->next);
        r->next++;
    }
    if (++r->ticks % 5 == 0) {
        size_t rss = lab_rss_bytes();
        if (rss > r->peak_rss) r->peak_rss = rss;
    }
    if (r->next == r->n && atomic_load(&r->finished) + r->shed + r->refused == r->n)
        uv_timer_stop(t);
}

static int run_one(const struct cfg *c, enum mode m, double load, struct row *out)
{
    struct run r = {.cfg = c, .mode = m};
    double capacity = c->slots * 1000.0 / c->service_ms;
    double rate = load * capacity;
    r.n = (size_t)(rate * c->seconds + 0.5);
    r.period_ns = (uint64_t)(1e9 / rate);
    r.done_ns = calloc(r.n, sizeof(*r.done_ns));
    r.state = calloc(r.n, sizeof(*r.state));
    if (!r.done_ns || !r.state) return -ENOMEM;
    lab_downstream_init(&r.down, c->slots, (uint64_t)(c->service_ms * 1e6));
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    if (m == BOUNDED) {
        r.ring = calloc(c->queue, sizeof(*r.ring));
        r.workers = calloc(c->slots, sizeof(*r.workers));
        if (!r.ring || !r.workers) return -ENOMEM;
        /* The pool is as large as the downstream's capacity: more threads only wait. */
        for (unsigned i = 0; i < c->slots; i++)
            pthread_create(&r.workers[i], NULL, pool_worker, &r);
        r.peak_live = c->slots;
    }
    fprintf(stderr, "stress: %-9s %.2fx capacity, %.0f req/s for %.1fs ...\n", mode_name[m], load,
            rate, c->seconds);
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_init(&loop, &r.tick);
    r.tick.data = &r;
    r.t0 = lab_now_ns();
    uv_timer_start(&r.tick, on_tick, 0, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&r.tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);

    if (m == BOUNDED) {
        pthread_mutex_lock(&r.mu);
        r.stopping = 1;
        pthread_cond_broadcast(&r.cv);
        pthread_mutex_unlock(&r.mu);
        for (unsigned i = 0; i < c->slots; i++)
            pthread_join(r.workers[i], NULL);
    }
    while (atomic_load(&r.live) > 0) /* detached threads are past serve(); let them exit */
        sched_yield();

    struct lab_stats lat = {0};
    for (size_t i = 0; i < r.n; i++)
        if (r.done_ns[i]) lab_stats_add(&lat, r.done_ns[i] - (r.t0 + i * r.period_ns));
    *out = (struct row){.mode = m,
                        .load = load,
                        .rate = rate,
                        .sent = r.n,
                        .done = lat.n,
                        .shed = r.shed,
                        .refused = r.refused,
                        .peak_threads = r.peak_live + 1,
                        .peak_rss_mb = (double)r.peak_rss / (1024.0 * 1024.0)};
    lab_stats_summary(&lat, &out->lat);
    lab_stats_free(&lat);
    malloc_trim(0);
    free(r.done_ns);
    free(r.state);
    free(r.ring);
    free(r.workers);
    return 0;
}

static void print_row(FILE *f, const struct row *w)
{
    fprintf(f, "%-9s %5.2fx %6.0f %6zu %6zu %6zu %7.1f %7.1f %7.1f %7.1f %7u %7.1f\n",
            mode_name[w->mode], w->load, w->rate, w->sent, w->done, w->shed + w->refused,
            w->lat.p50, w->lat.p99, w->lat.p999, w->lat.max, w->peak_threads, w->peak_rss_mb);
}

static int write_csv(const char *path, const struct row *rows, size_t n)
{
    FILE *f = fopen(path, "we");
    if (!f) return -errno;
    fprintf(f, "mode,load,rate_per_s,sent,done,shed,refused,p50_ms,p99_ms,p999_ms,max_ms,"
               "peak_threads,peak_rss_mb\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        fprintf(f, "%s,%.2f,%.1f,%zu,%zu,%zu,%zu,%.3f,%.3f,%.3f,%.3f,%u,%.1f\n", mode_name[w->mode],
                w->load, w->rate, w->sent, w->done, w->shed, w->refused, w->lat.p50, w->lat.p99,
                w->lat.p999, w->lat.max, w->peak_threads, w->peak_rss_mb);
    }
    return fclose(f) ? -errno : 0;
}

static int write_json(const char *path, const struct cfg *c, const struct row *rows, size_t n)
{
    FILE *f = fopen(path, "we");
    if (!f) return -errno;
    fprintf(f,
            "{\n  \"lab\": \"stress\",\n  \"slots\": %u,\n  \"service_ms\": %g,\n"
            "  \"capacity_per_s\": %g,\n  \"queue\": %u,\n  \"seconds_per_rate\": %g,\n"
            "  \"max_threads\": %u,\n  \"request_kb\": %u,\n  \"rows\": [\n",
            c->slots, c->service_ms, c->slots * 1000.0 / c->service_ms, c->queue, c->seconds,
            c->max_threads, c->request_kb);
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        fprintf(f,
                "    {\"mode\": \"%s\", \"load\": %.2f, \"rate_per_s\": %.1f, \"sent\": %zu, "
                "\"done\": %zu, \"shed\": %zu, \"refused\": %zu, \"latency_ms\": {\"p50\": %.3f, "
                "\"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f, \"mean\": %.3f}, "
                "\"peak_threads\": %u, \"peak_rss_mb\": %.1f}%s\n",
                mode_name[w->mode], w->load, w->rate, w->sent, w->done, w->shed, w->refused,
                w->lat.p50, w->lat.p99, w->lat.p999, w->lat.max, w->lat.mean, w->peak_threads,
                w->peak_rss_mb, i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f) ? -errno : 0;
}

static int write_svg(const char *path, const struct cfg *c, const struct row *rows, size_t n)
{
    static const char *const colors[] = {"#d62728", "#1f77b4"};
    double x[2][16], y[2][16];
    struct lab_series s[2];
    size_t ns = 0;
    for (int m = UNBOUNDED; m <= BOUNDED; m++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].mode == (enum mode)m && k < 16) {
                x[m][k] = rows[i].load;
                y[m][k++] = rows[i].lat.p99;
            }
        }
        if (k) s[ns++] = (struct lab_series){mode_name[m], colors[m], x[m], y[m], k};
    }
    char label[64];
    snprintf(label, sizeof(label), "service time %g ms", c->service_ms);
    return lab_svg_plot(path, "p99 latency vs offered load (thread per request vs bounded pool)",
                        "offered load (x downstream capacity)", "p99 latency, ms (log)", s, ns,
                        c->service_ms, label);
}

static void parse_loads(struct cfg *c, const char *arg)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", arg);
    c->nloads = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok && c->nloads < 16;
         tok = strtok_r(NULL, ",", &save))
        c->loads[c->nloads++] = lab_parse_double("--loads", tok, 0.05, 20);
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: lab-stress unbounded|bounded|both [--slots K] [--service-ms MS] [--queue Q]\n"
        "       [--seconds S] [--loads L1,L2,...] [--max-threads N] [--quick]\n"
        "       [--request-kb KB] [--json FILE] [--csv FILE] [--svg FILE]\n"
        "  Requests arrive at load x capacity (K / service time) for S seconds each; latency\n"
        "  counts from the intended send time; each accepted request holds KB of state.\n"
        "  Defaults: K=8, 10 ms, Q=K, S=1.5, 64 KB,\n"
        "  loads 0.5,0.75,1,1.5,2, safety limit 4000 threads. --quick: S=0.4, loads 0.5,1.5,2.\n");
}

int main(int argc, char **argv)
{
    /* The index plus one is the set of modes to run: bit 1 << UNBOUNDED, bit 1 << BOUNDED. */
    static const char *const names[] = {"unbounded", "bounded", "both"};
    int status, vi = lab_variant(argc, argv, "lab-stress", names, 3, usage, &status);
    if (vi < 0) return status;
    const char *variant = argv[1];
    int modes = vi + 1;
    struct cfg c = {
        .slots = 8, .max_threads = 4000, .request_kb = 64, .service_ms = 10, .seconds = 1.5};
    const char *json = NULL, *csv = NULL, *svg = NULL, *loads = NULL;
    int quick = 0, secs_set = 0;
    static const struct option opts[] = {{"slots", required_argument, NULL, 'k'},
                                         {"service-ms", required_argument, NULL, 's'},
                                         {"queue", required_argument, NULL, 'Q'},
                                         {"seconds", required_argument, NULL, 'S'},
                                         {"loads", required_argument, NULL, 'l'},
                                         {"max-threads", required_argument, NULL, 'm'},
                                         {"quick", no_argument, NULL, 'q'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"csv", required_argument, NULL, 'C'},
                                         {"svg", required_argument, NULL, 'G'},
                                         {"request-kb", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "k:s:Q:S:l:m:qj:C:G:r:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            c.slots = lab_parse_uint("--slots", optarg, 1, 256);
            break;
        case 's':
            c.service_ms = lab_parse_double("--service-ms", optarg, 0.1, 1000);
            break;
        case 'Q':
            c.queue = lab_parse_uint("--queue", optarg, 1, 100000);
            break;
        case 'S':
            c.seconds = lab_parse_double("--seconds", optarg, 0.05, 60), secs_set = 1;
            break;
        case 'l':
            loads = optarg;
            break;
        case 'm':
            c.max_threads = lab_parse_uint("--max-threads", optarg, 16, 4000);
            break;
        case 'q':
            quick = 1;
            break;
        case 'j':
            json = optarg;
            break;
        case 'C':
            csv = optarg;
            break;
        case 'G':
            svg = optarg;
            break;
        case 'r':
            c.request_kb = lab_parse_uint("--request-kb", optarg, 0, 256);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!c.queue) c.queue = c.slots;
    if (quick && !secs_set) c.seconds = 0.4;
    parse_loads(&c, loads ? loads : quick ? "0.5,1.5,2" : "0.5,0.75,1,1.5,2");

    printf("stress %s: downstream %u slots x %gms = %.0f req/s capacity, queue %u, %.1fs per "
           "load\n",
           variant, c.slots, c.service_ms, c.slots * 1000.0 / c.service_ms, c.queue, c.seconds);
    printf("%-9s %6s %6s %6s %6s %6s %7s %7s %7s %7s %7s %7s\n", "mode", "load", "rate", "sent",
           "done", "shed", "p50ms", "p99ms", "p999ms", "maxms", "threads", "rssMB");
    fflush(stdout);
    struct row rows[32];
    size_t n = 0;
    /* Bounded first: RSS is the process's, and what the unbounded runs leave behind (thread
     * stacks glibc keeps, heap it does not return) would otherwise be charged to the bound. */
    for (int m = BOUNDED; m >= UNBOUNDED; m--) {
        if (!(modes & (1 << m))) continue;
        for (size_t i = 0; i < c.nloads; i++) {
            int rc = run_one(&c, (enum mode)m, c.loads[i], &rows[n]);
            if (rc < 0) {
                fprintf(stderr, "lab-stress: %s\n", strerror(-rc));
                return 1;
            }
            print_row(stdout, &rows[n++]);
            fflush(stdout);
        }
    }
    int rc = 0;
    if (json && (rc = write_json(json, &c, rows, n)) < 0)
        fprintf(stderr, "lab-stress: %s: %s\n", json, strerror(-rc));
    if (csv && (rc = write_csv(csv, rows, n)) < 0)
        fprintf(stderr, "lab-stress: %s: %s\n", csv, strerror(-rc));
    if (svg && (rc = write_svg(svg, &c, rows, n)) < 0)
        fprintf(stderr, "lab-stress: %s: %s\n", svg, strerror(-rc));
    return rc < 0;
}
