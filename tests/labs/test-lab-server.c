/* test-lab-server.c -- the lab server answers after its delay, never sooner, and its cap makes
 * requests beyond it wait their turn. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>

#include "curl_uv.h"
#include "lab.h"
#include "server.h"

struct get {
    char url[96];
    long code;
    double size;
    uint64_t ns;
};

static void *do_get(void *arg)
{
    struct get *g = arg;
    CURL *e = lab_curl_easy(g->url);
    uint64_t t0 = lab_now_ns();
    if (curl_easy_perform(e) == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &g->code);
        curl_off_t n = 0;
        curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &n);
        g->size = (double)n;
    }
    g->ns = lab_now_ns() - t0;
    curl_easy_cleanup(e);
    return NULL;
}

/* Runs n GETs of path at once against a server with the given delay and cap; returns the wall
 * time of the slowest in milliseconds. */
static double burst(unsigned delay_ms, unsigned cap, const char *path, unsigned n, struct get *g)
{
    struct lab_server_opts o = {.delay_ms = delay_ms, .cap = cap, .body_bytes = 2};
    struct lab_server *s;
    unsigned port;
    cr_assert_eq(lab_server_start(&o, &s, &port), 0);
    pthread_t th[16];
    for (unsigned i = 0; i < n; i++) {
        snprintf(g[i].url, sizeof(g[i].url), "http://127.0.0.1:%u%s", port, path);
        pthread_create(&th[i], NULL, do_get, &g[i]);
    }
    double slowest = 0;
    for (unsigned i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if ((double)g[i].ns / 1e6 > slowest) slowest = (double)g[i].ns / 1e6;
    }
    cr_expect_eq(lab_server_served(s), n);
    lab_server_stop(s);
    return slowest;
}

Test(lab_server, answers_each_get_after_its_delay_and_concurrent_ones_together)
{
    struct get g[8] = {0};
    double slowest = burst(50, 0, "/", 8, g);
    /* libuv's timers count from the loop's cached millisecond clock: up to 1 ms early. */
    for (int i = 0; i < 8; i++) {
        cr_expect_eq(g[i].code, 200);
        cr_expect_geq(g[i].ns, 48 * LAB_MS, "answered after %.1f ms", (double)g[i].ns / 1e6);
    }
    /* Timers overlap: eight 50 ms requests at once take about 50 ms, not 400. */
    cr_expect_lt(slowest, 300, "slowest took %.1f ms", slowest);
}

Test(lab_server, with_a_cap_of_one_requests_are_served_one_after_another)
{
    struct get g[4] = {0};
    double slowest = burst(40, 1, "/", 4, g);
    cr_expect_geq(slowest, 4 * 40 - 5, "slowest took %.1f ms", slowest);
}

Test(lab_server, get_bytes_n_returns_a_body_of_n_bytes)
{
    struct get g[1] = {0};
    burst(0, 0, "/bytes/100000", 1, g);
    cr_expect_eq(g[0].code, 200);
    cr_expect_eq(g[0].size, 100000);
}
