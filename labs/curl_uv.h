/* curl_uv.h -- libcurl's multi socket interface driven by a libuv loop (uv_poll + uv_timer). */
#ifndef LAB_CURL_UV_H
#define LAB_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>

typedef void (*lab_curl_done_fn)(CURL *easy, CURLcode rc, void *arg);

struct lab_curl_uv {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* curl's next timeout */
    lab_curl_done_fn on_done;
    void *arg;
};

int lab_curl_uv_init(struct lab_curl_uv *m, uv_loop_t *loop, lab_curl_done_fn on_done, void *arg);
/* Starts a transfer; on_done runs from the loop when it ends, after it left the multi handle. */
int lab_curl_uv_add(struct lab_curl_uv *m, CURL *easy);
/* Cleans up the multi handle and closes the timer; run the loop afterwards to finish closing. */
void lab_curl_uv_close(struct lab_curl_uv *m);

/* An easy handle for GET url that discards the body, never raises signals, gives up after 10 s. */
CURL *lab_curl_easy(const char *url);

#endif
