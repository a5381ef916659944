/* stress_run.c -- one load point of the stress lab: requests sent from a libuv timer at a fixed
 * rate, offloaded to a thread each, to a pool with an unbounded queue, or to a pool with a
 * bounded queue that sheds, and what that cost in latency, threads, memory and the scheduler. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

struct run {
    const struct stress_cfg *cfg;
    enum stress_mode mode;
    uv_timer_t tick;
    struct lab_downstream down;
    uint64_t t0, period_ns;
    size_t n, next;    /* requests in this run, next to send */
    uint64_t *done_ns; /* completion time per request, 0 when shed or refused */
    char **state;      /* per-request state, held from acceptance until served */
    size_t shed, refused;
    atomic_size_t finished;    /* requests that left the downstream */
    atomic_uint live;          /* request threads alive (unbounded) */
    atomic_uint_fast64_t runq; /* run-queue wait of the serving threads, added as each ends */
    unsigned peak_live;
    size_t peak_rss;
    unsigned ticks;
    /* The pools: a ring of request indices that the workers take from. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t *ring, rhead, rlen, rcap;
    int stopping;
    pthread_t *workers;
    unsigned nworkers; /* started */
};

struct job {
    struct run *r;
    size_t i;
};

double stress_capacity(const struct stress_cfg *c)
{
    return c->slots * 1000.0 / c->service_ms;
}

static void serve(struct run *r, size_t i)
{
    lab_downstream_call(&r->down);
    r->done_ns[i] = lab_now_ns();
    free(r->state[i]);
    r->state[i] = NULL;
    atomic_fetch_add(&r->finished, 1);
}

/* What a serving thread waited for a CPU over its life, read as it ends: a request thread's
 * schedstat disappears with it. */
static void add_runq(struct run *r)
{
    atomic_fetch_add(&r->runq, lab_thread_runqueue_wait_ns());
}

static void *request_thread(void *arg)
{
    struct job j = *(struct job *)arg;
    free(arg);
    serve(j.r, j.i);
    add_runq(j.r);
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
        r->rhead = (r->rhead + 1) % r->rcap;
        r->rlen--;
        pthread_mutex_unlock(&r->mu);
        serve(r, i);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    add_runq(r);
    return NULL;
}

static void drop_request(struct run *r, size_t i, size_t *counter)
{
    free(r->state[i]);
    r->state[i] = NULL;
    (*counter)++;
}

/* The anti-pattern: a new thread for every request, however many are already waiting. Only a
 * safety limit keeps the lab from taking the machine down; hitting it counts as refused. */
static void send_unbounded(struct run *r, size_t i)
{
    struct job *j = NULL;
    if (atomic_load(&r->live) >= r->cfg->max_threads || !(j = malloc(sizeof(*j)))) {
        drop_request(r, i, &r->refused);
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
        drop_request(r, i, &r->refused);
    } else if (live > r->peak_live) {
        r->peak_live = live;
    }
    pthread_attr_destroy(&a);
}

/* The pools. Queued: the ring holds every request of the run, so nothing is ever turned away
 * and the backlog grows without a bound, as a plain executor's queue does. Bounded: a full
 * queue answers "no" at once, which the caller can retry or degrade on. */
static void send_pooled(struct run *r, size_t i)
{
    pthread_mutex_lock(&r->mu);
    if (r->rlen == r->rcap) {
        drop_request(r, i, &r->shed);
    } else {
        r->ring[(r->rhead + r->rlen) % r->rcap] = i;
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
        if (r->mode == STRESS_UNBOUNDED)
            send_unbounded(r, r->next);
        else
            send_pooled(r, r->next);
        r->next++;
    }
    if (++r->ticks % 5 == 0) {
        size_t rss = lab_rss_bytes();
        if (rss > r->peak_rss) r->peak_rss = rss;
    }
    if (r->next == r->n && atomic_load(&r->finished) + r->shed + r->refused == r->n)
        uv_timer_stop(t);
}

static int start_pool(struct run *r)
{
    const struct stress_cfg *c = r->cfg;
    r->rcap = r->mode == STRESS_BOUNDED ? c->queue : r->n;
    r->ring = calloc(r->rcap, sizeof(*r->ring));
    r->workers = calloc(c->slots, sizeof(*r->workers));
    if (!r->ring || !r->workers) return -ENOMEM;
    /* The pool is as large as the downstream's capacity: more threads only wait. */
    for (; r->nworkers < c->slots; r->nworkers++) {
        int rc = pthread_create(&r->workers[r->nworkers], NULL, pool_worker, r);
        if (rc) return -rc;
    }
    r->peak_live = c->slots;
    return 0;
}

static void stop_pool(struct run *r)
{
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (unsigned i = 0; i < r->nworkers; i++)
        pthread_join(r->workers[i], NULL);
}

/* Latency of the served requests, and the p99 a client sees when a request that was shed,
 * refused or answered after its timeout counts as a failure at the timeout. */
static void summarise(struct run *r, struct stress_row *out)
{
    uint64_t timeout = (uint64_t)(r->cfg->timeout_ms * 1e6), last = r->t0;
    struct lab_stats lat = {0}, all = {0};
    for (size_t i = 0; i < r->n; i++) {
        uint64_t d = r->done_ns[i];
        if (!d) {
            lab_stats_add(&all, timeout);
            continue;
        }
        uint64_t l = d - (r->t0 + i * r->period_ns);
        lab_stats_add(&lat, l);
        lab_stats_add(&all, l < timeout ? l : timeout);
        out->late += l > timeout;
        if (d > last) last = d;
    }
    struct lab_summary s;
    lab_stats_summary(&all, &s);
    out->p99_failed_ms = s.p99;
    out->done = lat.n;
    out->throughput = last > r->t0 ? (double)lat.n / ((double)(last - r->t0) / 1e9) : 0;
    lab_stats_summary(&lat, &out->lat);
    lab_stats_free(&lat);
    lab_stats_free(&all);
}

int stress_run(const struct stress_cfg *c, enum stress_mode m, double load, struct stress_row *out)
{
    struct run r = {.cfg = c, .mode = m};
    double rate = load * stress_capacity(c);
    int rc = 0;
    r.n = (size_t)(rate * c->seconds + 0.5);
    r.period_ns = (uint64_t)(1e9 / rate);
    r.done_ns = calloc(r.n, sizeof(*r.done_ns));
    r.state = calloc(r.n, sizeof(*r.state));
    if (!r.done_ns || !r.state) return -ENOMEM;
    lab_downstream_init(&r.down, c->downstream, c->slots, (uint64_t)(c->service_ms * 1e6),
                        c->cpu_iters);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    uint64_t vcsw0, ivcsw0, vcsw1, ivcsw1, loop_runq0 = lab_thread_runqueue_wait_ns();
    lab_context_switches(&vcsw0, &ivcsw0);
    if (m != STRESS_UNBOUNDED && (rc = start_pool(&r)) < 0) {
        stop_pool(&r);
        goto out;
    }
    fprintf(stderr, "stress: %-9s %.2fx capacity, %.0f req/s for %.1fs ...\n", stress_mode_name[m],
            load, rate, c->seconds);
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_init(&loop, &r.tick);
    r.tick.data = &r;
    r.t0 = lab_now_ns();
    uv_timer_start(&r.tick, on_tick, 0, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    lab_loop_close(&loop);

    if (m != STRESS_UNBOUNDED) stop_pool(&r);
    while (atomic_load(&r.live) > 0) /* detached threads are past serve(); let them exit */
        sched_yield();
    lab_context_switches(&vcsw1, &ivcsw1);

    *out = (struct stress_row){.mode = m,
                               .load = load,
                               .rate = rate,
                               .sent = r.n,
                               .shed = r.shed,
                               .refused = r.refused,
                               .vcsw = vcsw1 - vcsw0,
                               .ivcsw = ivcsw1 - ivcsw0,
                               .peak_threads = r.peak_live + 1,
                               .peak_rss_mb = (double)r.peak_rss / (1024.0 * 1024.0)};
    out->loop_runq_ms = (double)(lab_thread_runqueue_wait_ns() - loop_runq0) / 1e6;
    out->runq_ms = (double)atomic_load(&r.runq) / 1e6 + out->loop_runq_ms;
    summarise(&r, out);
out:
    malloc_trim(0);
    free(r.done_ns);
    free(r.state);
    free(r.ring);
    free(r.workers);
    return rc;
}
