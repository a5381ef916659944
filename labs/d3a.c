/* d3a.c -- lab D3A: blocking HTTP in the loop (bad), offloaded to a bounded pool (good), and
 * the async-native client (native), against the lab server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_uv.h"
#include "lab.h"
#include "server.h"

enum variant { BAD, GOOD, NATIVE };

struct client {
    struct lab *lab;
    CURL *easy;     /* one per client: a client has at most one request in flight */
    uv_idle_t kick; /* bad: runs the request from a loop callback, next iteration */
    uv_work_t work; /* good: runs the request on the pool */
    CURLcode rc;
    uint64_t t0;
};

struct lab {
    enum variant v;
    struct client *clients; /* all of them, nclients long */
    unsigned nclients;
    uv_loop_t *loop;
    unsigned requests, issued, done, errors;
    struct lab_stats lat;
    struct lab_curl_uv multi;
    uint64_t end_ns;
};

static void next_request(struct client *c);

static void finish(struct client *c, CURLcode rc)
{
    struct lab *l = c->lab;
    long code = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || code != 200) l->errors++;
    lab_stats_add(&l->lat, lab_now_ns() - c->t0);
    if (++l->done == l->requests) {
        l->end_ns = lab_now_ns();
        uv_stop(l->loop);
        return;
    }
    next_request(c);
}

/* The anti-pattern: a loop callback that makes a blocking HTTP call. Every other client, timer
 * and socket of this loop waits until curl_easy_perform returns. */
static void bad_request(uv_idle_t *t)
{
    struct client *c = t->data;
    uv_idle_stop(t);
    finish(c, curl_easy_perform(c->easy));
}

static void pool_request(uv_work_t *w)
{
    struct client *c = w->data;
    c->rc = curl_easy_perform(c->easy);
}

static void pool_done(uv_work_t *w, int status)
{
    struct client *c = w->data;
    finish(c, status < 0 ? CURLE_ABORTED_BY_CALLBACK : c->rc);
}

static void native_done(CURL *easy, CURLcode rc, void *arg)
{
    (void)arg;
    struct client *c;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
    finish(c, rc);
}

static void next_request(struct client *c)
{
    struct lab *l = c->lab;
    if (l->issued == l->requests) return;
    l->issued++;
    c->t0 = lab_now_ns();
    switch (l->v) {
    /* An idle callback, like asyncio's call_soon: a zero timer started from a timer callback
     * would run in the same pass and never let the loop turn. */
    case BAD:
        uv_idle_start(&c->kick, bad_request);
        break;
    case GOOD:
        uv_queue_work(l->loop, &c->work, pool_request, pool_done);
        break;
    case NATIVE:
        if (lab_curl_uv_add(&l->multi, c->easy) < 0) finish(c, CURLE_FAILED_INIT);
        break;
    }
}

static void start_all(void *arg)
{
    struct lab *l = arg;
    for (unsigned i = 0; i < l->nclients; i++)
        next_request(&l->clients[i]);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: lab-d3a bad|good|native [--requests N] [--concurrency C] [--tcap T]\n"
               "               [--delay-ms D] [--server-cap K] [--quick] [--json FILE]\n"
               "  bad: curl_easy_perform in a loop callback; good: the same on a pool of T\n"
               "  threads; native: curl multi on libuv. Defaults: 500 requests, C=32, T=32,\n"
               "  server delay 25 ms, no server cap. --quick: 64 requests.\n");
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"bad", "good", "native"}; /* enum variant's order */
    int status, vi = lab_variant(argc, argv, "lab-d3a", names, 3, usage, &status);
    if (vi < 0) return status;
    struct lab l = {.v = (enum variant)vi};
    const char *variant = argv[1];
    unsigned requests = 500, conc = 32, tcap = 32;
    int quick = 0, req_set = 0;
    struct lab_server_opts so = {.delay_ms = 25, .body_bytes = 2};
    const char *json = NULL;
    const struct lab_opt opts[] = {{"requests", LAB_UINT, &requests, 1, 1000000, &req_set},
                                   {"concurrency", LAB_UINT, &conc, 1, 4096, NULL},
                                   {"tcap", LAB_UINT, &tcap, 1, 1024, NULL},
                                   {"delay-ms", LAB_UINT, &so.delay_ms, 0, 10000, NULL},
                                   {"server-cap", LAB_UINT, &so.cap, 0, 1000000, NULL},
                                   {"quick", LAB_FLAG, &quick, 0, 0, NULL},
                                   {"json", LAB_STRING, &json, 0, 0, NULL},
                                   {NULL, 0, NULL, 0, 0, NULL}};
    if (lab_options(argc, argv, 2, opts, usage, &status) < 0) return status;
    if (quick && !req_set) requests = 64;
    l.requests = requests;

    lab_pool_size(tcap); /* the pool is the bound */
    curl_global_init(CURL_GLOBAL_DEFAULT);

    struct lab_server *srv;
    unsigned port;
    int rc = lab_server_start(&so, &srv, &port);
    if (rc < 0) {
        fprintf(stderr, "lab-d3a: lab server: %s\n", uv_strerror(rc));
        return 1;
    }
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);

    uv_loop_t loop;
    uv_loop_init(&loop);
    l.loop = &loop;
    if (l.v == NATIVE) lab_curl_uv_init(&l.multi, &loop, native_done, &l);
    struct client *cl = calloc(conc, sizeof(*cl));
    if (!cl) return 1;
    for (unsigned i = 0; i < conc; i++) {
        cl[i].lab = &l;
        cl[i].easy = lab_curl_easy(url);
        curl_easy_setopt(cl[i].easy, CURLOPT_PRIVATE, &cl[i]);
        uv_idle_init(&loop, &cl[i].kick);
        cl[i].kick.data = cl[i].work.data = &cl[i];
    }
    struct lab_lag lag = {0};
    lab_lag_start(&loop, &lag, 10);

    uint64_t t0;
    l.clients = cl;
    l.nclients = conc;
    lab_run_loop(&loop, start_all, &l, &t0);

    struct lab_result r = {.lab = "d3a", .variant = variant, .unit = "req"};
    if (l.v == BAD)
        snprintf(r.title, sizeof(r.title), "D3A-bad sync HTTP in loop c=%u", conc);
    else if (l.v == GOOD)
        snprintf(r.title, sizeof(r.title), "D3A-good pool sync HTTP c=%u tcap=%u", conc, tcap);
    else
        snprintf(r.title, sizeof(r.title), "D3A-native curl multi on libuv c=%u", conc);
    r.wall_s = (double)(l.end_ns - t0) / 1e9;
    r.count = l.done;
    r.errors = l.errors;
    lab_stats_summary(&l.lat, &r.latency);
    lab_stats_summary(&lag.lag, &r.lag);
    lab_result_param(&r, "concurrency", conc);
    lab_result_param(&r, "tcap", l.v == GOOD ? tcap : 0);
    lab_result_param(&r, "server_delay_ms", so.delay_ms);
    lab_result_param(&r, "server_cap", so.cap);
    lab_result_print(&r, stdout);
    /* A result asked for and not written is a failed run: whoever asked reads the file. */
    int failed = json && (rc = lab_result_write_json(&r, json)) < 0;
    if (failed) fprintf(stderr, "lab-d3a: %s: %s\n", json, strerror(-rc));

    /* Orderly teardown, so that sanitizer builds see no leak and the server thread ends. */
    if (l.v == NATIVE) {
        for (unsigned i = 0; i < conc; i++)
            curl_multi_remove_handle(l.multi.multi, cl[i].easy);
        lab_curl_uv_close(&l.multi);
    }
    lab_lag_stop(&lag);
    lab_loop_close(&loop);
    for (unsigned i = 0; i < conc; i++)
        curl_easy_cleanup(cl[i].easy);
    free(cl);
    lab_stats_free(&l.lat);
    lab_stats_free(&lag.lag);
    lab_server_stop(srv);
    curl_global_cleanup();
    return l.errors || failed ? 1 : 0;
}
