/* lagprobe.c -- loop lag (how late a periodic timer fires, the loop's own view of a stall), and
 * how a lab starts its work on a running loop and closes the loop at the end. */
#include "lab.h"

static void on_tick(uv_timer_t *t)
{
    struct lab_lag *p = t->data;
    uint64_t now = lab_now_ns();
    uint64_t due = p->last_ns + p->period_ns;
    /* A blocked loop fires the timer once, late, and libuv restarts the period from then:
     * the lateness of that one firing is the length of the block. */
    lab_stats_add(&p->lag, now > due ? now - due : 0);
    p->last_ns = now;
}

int lab_lag_start(uv_loop_t *loop, struct lab_lag *p, unsigned period_ms)
{
    int rc = uv_timer_init(loop, &p->timer);
    if (rc < 0) return rc;
    p->timer.data = p;
    p->period_ns = (uint64_t)period_ms * LAB_MS;
    p->last_ns = lab_now_ns();
    rc = uv_timer_start(&p->timer, on_tick, period_ms, period_ms);
    if (rc < 0) return rc;
    uv_unref((uv_handle_t *)&p->timer);
    return 0;
}

void lab_lag_stop(struct lab_lag *p)
{
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, NULL);
}

struct starter {
    uv_timer_t timer;
    void (*start)(void *);
    void *arg;
    uint64_t *t0;
};

static void on_start(uv_timer_t *t)
{
    struct starter *s = t->data;
    *s->t0 = lab_now_ns();
    s->start(s->arg);
    uv_close((uv_handle_t *)t, NULL);
}

void lab_run_loop(uv_loop_t *loop, void (*start)(void *), void *arg, uint64_t *t0)
{
    struct starter s = {.start = start, .arg = arg, .t0 = t0};
    uv_timer_init(loop, &s.timer);
    s.timer.data = &s;
    uv_timer_start(&s.timer, on_start, 1, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    if (!uv_is_closing((uv_handle_t *)&s.timer)) uv_close((uv_handle_t *)&s.timer, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* finishes the close: s lives on this stack */
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

void lab_loop_close(uv_loop_t *loop)
{
    uv_walk(loop, close_any, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
}
