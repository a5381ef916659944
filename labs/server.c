/* server.c -- the lab HTTP server: keep-alive GET, a delay timer per request, a FIFO cap. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the request's time in service */
    uv_write_t wr;
    struct lab_server *srv;
    struct conn *next_wait; /* FIFO of requests waiting for a slot */
    char buf[4096];         /* request bytes not yet consumed */
    size_t len;
    char head[160];  /* response head being written */
    size_t body;     /* body size of the request in service */
    int state;       /* IDLE, WAITING for a slot, IN_SERVICE (timer), WRITING */
    int close_after; /* the client asked for Connection: close */
    int closing, open_handles;
};

enum { IDLE, WAITING, IN_SERVICE, WRITING };

struct lab_server {
    uv_loop_t *loop;
    uv_loop_t own_loop; /* used when the server runs on its own thread */
    uv_tcp_t listener;
    uv_async_t stop;
    pthread_t thread;
    struct lab_server_opts o;
    unsigned in_service;
    struct conn *wait_head, *wait_tail;
    char *body; /* LAB_SERVER_MAX_BODY bytes of 'x' shared by every response */
    atomic_size_t served;
    unsigned port;
};

static void try_parse(struct conn *c);

static void on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->open_handles == 0) free(c);
}

static void admit_next(struct lab_server *s);

static void conn_close(struct conn *c)
{
    if (c->closing) return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
    if (c->state == IN_SERVICE) {
        /* Its timer will not fire any more: give the slot to the next in line now. */
        c->state = IDLE;
        c->srv->in_service--;
        admit_next(c->srv);
    }
}

static void on_written(uv_write_t *w, int status)
{
    struct conn *c = w->data;
    struct lab_server *s = c->srv;
    c->state = IDLE;
    s->in_service--;
    admit_next(s);
    if (status < 0 || c->close_after || c->closing) {
        conn_close(c);
        return;
    }
    try_parse(c); /* a pipelined request may already be buffered */
}

static void on_service_done(uv_timer_t *t)
{
    struct conn *c = t->data;
    c->state = WRITING;
    /* Counted before the write: the client may have its answer before the write callback. */
    atomic_fetch_add(&c->srv->served, 1);
    int n = snprintf(c->head, sizeof(c->head),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
                     c->body, c->close_after ? "Connection: close\r\n" : "");
    uv_buf_t bufs[2] = {uv_buf_init(c->head, (unsigned)n),
                        uv_buf_init(c->srv->body, (unsigned)c->body)};
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, bufs, c->body ? 2 : 1, on_written) < 0)
        on_written(&c->wr, -EPIPE);
}

static void start_service(struct conn *c)
{
    c->state = IN_SERVICE;
    c->srv->in_service++;
    uv_timer_start(&c->timer, on_service_done, c->srv->o.delay_ms, 0);
}

/* Called whenever a slot frees: the longest-waiting request that is still wanted goes next. */
static void admit_next(struct lab_server *s)
{
    while (s->wait_head && (!s->o.cap || s->in_service < s->o.cap)) {
        struct conn *c = s->wait_head;
        s->wait_head = c->next_wait;
        if (!s->wait_head) s->wait_tail = NULL;
        c->next_wait = NULL;
        c->state = IDLE;
        if (c->closing) {
            if (--c->open_handles == 0) /* the wait list held a reference */
                free(c);
            continue;
        }
        c->open_handles--;
        start_service(c);
    }
}

static void enqueue(struct conn *c)
{
    struct lab_server *s = c->srv;
    if (!s->o.cap || s->in_service < s->o.cap) {
        start_service(c);
        return;
    }
    c->state = WAITING;
    c->open_handles++; /* keeps c alive while it waits, even if the client leaves */
    if (s->wait_tail)
        s->wait_tail->next_wait = c;
    else
        s->wait_head = c;
    s->wait_tail = c;
}

/* Consumes one complete request from the buffer, if there is one and none is in progress. */
static void try_parse(struct conn *c)
{
    if (c->state != IDLE || c->closing) return;
    c->buf[c->len < sizeof(c->buf) ? c->len : sizeof(c->buf) - 1] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end) {
        if (c->len >= sizeof(c->buf) - 1) conn_close(c); /* a head that large is not one of ours */
        return;
    }
    size_t used = (size_t)(end + 4 - c->buf);
    if (strncmp(c->buf, "GET ", 4) != 0) {
        conn_close(c);
        return;
    }
    c->body = c->srv->o.body_bytes;
    unsigned long want;
    if (sscanf(c->buf + 4, "/bytes/%lu", &want) == 1)
        c->body = want < LAB_SERVER_MAX_BODY ? want : LAB_SERVER_MAX_BODY;
    c->close_after = strcasestr(c->buf, "\r\nConnection: close") != NULL ||
                     strstr(c->buf, "HTTP/1.0\r\n") != NULL;
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    enqueue(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    struct conn *c = h->data;
    *b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - 1 - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    struct conn *c = st->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    try_parse(c);
}

static void on_connection(uv_stream_t *l, int status)
{
    struct lab_server *s = l->data;
    if (status < 0) return;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) return;
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int lab_server_listen(uv_loop_t *loop, const struct lab_server_opts *o, struct lab_server **out,
                      unsigned *port)
{
    struct lab_server *s = calloc(1, sizeof(*s));
    if (!s) return -ENOMEM;
    s->loop = loop;
    s->o = *o;
    if (!s->o.host) s->o.host = "127.0.0.1";
    if (s->o.body_bytes > LAB_SERVER_MAX_BODY) s->o.body_bytes = LAB_SERVER_MAX_BODY;
    s->body = malloc(LAB_SERVER_MAX_BODY);
    if (!s->body) {
        free(s);
        return -ENOMEM;
    }
    memset(s->body, 'x', LAB_SERVER_MAX_BODY);
    struct sockaddr_in addr;
    int rc = uv_ip4_addr(s->o.host, (int)s->o.port, &addr);
    if (!rc) rc = uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    if (!rc) rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (!rc) {
        struct sockaddr_in bound;
        int len = sizeof(bound);
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
        s->port = ntohs(bound.sin_port);
        *port = s->port;
    }
    if (rc) {
        free(s->body);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

size_t lab_server_served(const struct lab_server *s)
{
    return atomic_load(&s->served);
}

struct boot {
    struct lab_server_opts o;
    struct lab_server *s;
    unsigned port;
    int rc, done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) {
        /* Connections own their handles and free themselves once both are closed. */
        if (h->type == UV_TCP && h->data && h->data != arg)
            conn_close(h->data);
        else if (h->type != UV_TIMER)
            uv_close(h, NULL);
    }
}

static void on_stop(uv_async_t *a)
{
    struct lab_server *s = a->data;
    uv_walk(s->loop, close_any, s);
}

static void *server_main(void *arg)
{
    struct boot *b = arg;
    pthread_setname_np(pthread_self(), "lab-server");
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    struct lab_server *s = NULL;
    if (!rc) rc = lab_server_listen(&loop, &b->o, &s, &b->port);
    if (!rc) {
        uv_async_init(&loop, &s->stop, on_stop);
        s->stop.data = s;
    }
    pthread_mutex_lock(&b->mu);
    b->rc = rc;
    b->s = s;
    b->done = 1;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    if (rc) return NULL;
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(s->body);
    s->body = NULL;
    return NULL;
}

int lab_server_start(const struct lab_server_opts *o, struct lab_server **out, unsigned *port)
{
    struct boot b = {.o = *o, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    int rc = pthread_create(&th, NULL, server_main, &b);
    if (rc) return -rc;
    pthread_mutex_lock(&b.mu);
    while (!b.done)
        pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
    if (b.rc) {
        pthread_join(th, NULL);
        return b.rc;
    }
    b.s->thread = th;
    *out = b.s;
    *port = b.port;
    return 0;
}

void lab_server_stop(struct lab_server *s)
{
    if (!s) return;
    uv_async_send(&s->stop);
    pthread_join(s->thread, NULL);
    free(s);
}
