/* procpool.c -- forked CPU workers behind socket pairs watched by the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpu_job.h"
#include "procpool.h"

/* A job on its way to a worker; len bytes of body follow it on the socket. */
struct job_msg {
    uint64_t tag;   /* the worker's index, echoed back: one job per worker, so only a check */
    uint64_t iters; /* the CPU job's size */
    uint64_t len;   /* bytes of body that follow */
};

struct reply_msg {
    uint64_t tag;
    uint64_t value; /* the job's checksum */
};

struct pending {
    void *ctx;
    const void *body;
    size_t len;
    struct pending *next;
};

struct worker {
    uv_pipe_t pipe;
    struct procpool *pool;
    pid_t pid;
    int fd;    /* the parent's end */
    void *ctx; /* the job in progress, NULL when idle */
    struct reply_msg in;
    size_t in_len;
};

/* One job's write, alive until libuv calls back: the worker's reply can arrive, and the next
 * job be sent, before libuv has run the previous write's callback, so a request per worker
 * would be reused while libuv still queues it. */
struct send {
    uv_write_t req;
    struct job_msg hdr;
};

struct procpool {
    uv_loop_t *loop;
    unsigned n;
    uint64_t iters;
    lab_procpool_done_fn done;
    struct pending *head, *tail; /* jobs waiting for an idle worker */
    struct worker w[];
};

/* Reads exactly len bytes; 0, or -1 at EOF or on an error. */
static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* The worker's whole life: blocking reads and writes on its end, no loop at all. The body is
 * copied in, as a ProcessPoolExecutor pickles a job's arguments across. */
static void worker_main(int fd)
{
    unsigned char *body = NULL;
    size_t cap = 0;
    struct job_msg m;
    while (read_full(fd, &m, sizeof(m)) == 0) {
        if (m.len > cap) {
            unsigned char *b = realloc(body, m.len);
            if (!b) _exit(1);
            body = b;
            cap = m.len;
        }
        if (m.len && read_full(fd, body, m.len) < 0) break;
        struct reply_msg r = {m.tag, lab_cpu_stage(m.iters, body, m.len)};
        if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) _exit(1);
    }
    _exit(0);
}

static void on_sent(uv_write_t *req, int status)
{
    (void)status; /* a failed send shows as the worker's EOF on the read side */
    free(req->data);
}

static int send_job(struct worker *w, void *ctx, const void *body, size_t len)
{
    struct send *s = malloc(sizeof(*s));
    if (!s) return -ENOMEM;
    s->req.data = s;
    s->hdr =
        (struct job_msg){.tag = (uint64_t)(w - w->pool->w), .iters = w->pool->iters, .len = len};
    uv_buf_t b[2] = {uv_buf_init((char *)&s->hdr, sizeof(s->hdr)),
                     uv_buf_init((char *)body, (unsigned)len)};
    int rc = uv_write(&s->req, (uv_stream_t *)&w->pipe, b, len ? 2 : 1, on_sent);
    if (rc < 0) {
        free(s);
        return rc;
    }
    w->ctx = ctx;
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    struct worker *w = h->data;
    *b = uv_buf_init((char *)&w->in + w->in_len, (unsigned)(sizeof(w->in) - w->in_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    struct worker *w = s->data;
    struct procpool *p = w->pool;
    if (n < 0) {
        uv_read_stop(s);
        if (w->ctx) {
            /* A worker died with a job: its client would wait forever. A lab has no recovery
             * story to tell here, so it says what happened and ends. */
            fprintf(stderr, "procpool: worker %d died: %s\n", (int)w->pid, uv_strerror((int)n));
            exit(1);
        }
        return;
    }
    w->in_len += (size_t)n;
    if (w->in_len < sizeof(w->in)) return;
    w->in_len = 0;
    void *ctx = w->ctx;
    w->ctx = NULL;
    struct pending *next = p->head;
    if (next) {
        p->head = next->next;
        if (!p->head) p->tail = NULL;
        int rc = send_job(w, next->ctx, next->body, next->len);
        if (rc < 0) {
            fprintf(stderr, "procpool: cannot send a job to worker %d: %s\n", (int)w->pid,
                    uv_strerror(rc));
            exit(1);
        }
        free(next);
    }
    p->done(ctx, w->in.value);
}

int lab_procpool_start(struct procpool **out, uv_loop_t *loop, unsigned n, uint64_t iters,
                       lab_procpool_done_fn done)
{
    struct procpool *p = calloc(1, sizeof(*p) + n * sizeof(p->w[0]));
    int fds[2];
    if (!p) return -ENOMEM;
    p->loop = loop;
    p->n = n;
    p->iters = iters;
    p->done = done;
    for (unsigned i = 0; i < n; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return -errno;
        pid_t pid = fork();
        if (pid < 0) return -errno;
        if (pid == 0) {
            /* Drop the parent's ends, ours and the earlier workers', so EOF reaches everyone. */
            close(fds[0]);
            for (unsigned j = 0; j < i; j++)
                close(p->w[j].fd);
            worker_main(fds[1]);
        }
        close(fds[1]);
        struct worker *w = &p->w[i];
        w->pool = p;
        w->pid = pid;
        w->fd = fds[0];
        uv_pipe_init(loop, &w->pipe, 0);
        uv_pipe_open(&w->pipe, fds[0]);
        w->pipe.data = w;
        uv_read_start((uv_stream_t *)&w->pipe, on_alloc, on_read);
    }
    *out = p;
    return 0;
}

int lab_procpool_submit(struct procpool *p, void *ctx, const void *body, size_t len)
{
    for (unsigned i = 0; i < p->n; i++) {
        if (!p->w[i].ctx) return send_job(&p->w[i], ctx, body, len);
    }
    struct pending *q = malloc(sizeof(*q));
    if (!q) return -ENOMEM;
    *q = (struct pending){.ctx = ctx, .body = body, .len = len};
    if (p->tail)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    return 0;
}

void lab_procpool_stop(struct procpool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        uv_close((uv_handle_t *)&p->w[i].pipe, NULL);
}

void lab_procpool_free(struct procpool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        waitpid(p->w[i].pid, NULL, 0);
    while (p->head) {
        struct pending *q = p->head;
        p->head = q->next;
        free(q);
    }
    free(p);
}
