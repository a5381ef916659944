/* curl_uv.c -- curl multi socket interface on libuv: the async-native HTTP client of the labs. */
#include <errno.h>
#include <stdlib.h>

#include "curl_uv.h"

struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct lab_curl_uv *m;
};

static void drain_done(struct lab_curl_uv *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(m->multi, easy);
        m->on_done(easy, rc, m->arg);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock *s = p->data;
    int flags = 0, running;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    struct lab_curl_uv *m = s->m;
    curl_multi_socket_action(m->multi, s->fd, flags, &running);
    drain_done(m);
}

static void on_timer(uv_timer_t *t)
{
    struct lab_curl_uv *m = t->data;
    int running;
    curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain_done(m);
}

static void free_sock(uv_handle_t *h)
{
    free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct lab_curl_uv *m = userp;
    struct sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, free_sock);
            curl_multi_assign(m->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s || uv_poll_init_socket(m->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->m = m;
        s->poll.data = s;
        curl_multi_assign(m->multi, fd, s);
    }
    int events = 0;
    if (what != CURL_POLL_OUT) events |= UV_READABLE;
    if (what != CURL_POLL_IN) events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static int on_timeout(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    struct lab_curl_uv *m = userp;
    if (ms < 0)
        uv_timer_stop(&m->timer);
    else /* 0 means now; from the loop, not from inside curl, so curl is never re-entered */
        uv_timer_start(&m->timer, on_timer, (uint64_t)ms, 0);
    return 0;
}

int lab_curl_uv_init(struct lab_curl_uv *m, uv_loop_t *loop, lab_curl_done_fn on_done, void *arg)
{
    m->loop = loop;
    m->on_done = on_done;
    m->arg = arg;
    m->multi = curl_multi_init();
    if (!m->multi) return -ENOMEM;
    int rc = uv_timer_init(loop, &m->timer);
    if (rc < 0) return rc;
    m->timer.data = m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    return 0;
}

int lab_curl_uv_add(struct lab_curl_uv *m, CURL *easy)
{
    return curl_multi_add_handle(m->multi, easy) == CURLM_OK ? 0 : -EINVAL;
}

void lab_curl_uv_close(struct lab_curl_uv *m)
{
    curl_multi_cleanup(m->multi);
    m->multi = NULL;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, NULL);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

CURL *lab_curl_easy(const char *url)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    return e;
}
