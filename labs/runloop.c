/* runloop.c -- how a lab starts its work on a running loop, runs the loop, and closes it. */
#include "lab.h"

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

static void run_default(uv_loop_t *loop, void *arg)
{
    (void)arg;
    uv_run(loop, UV_RUN_DEFAULT);
}

void lab_run_loop_with(uv_loop_t *loop, void (*start)(void *), void *arg, uint64_t *t0,
                       lab_loop_runner run, void *run_arg)
{
    struct starter s = {.start = start, .arg = arg, .t0 = t0};
    uv_timer_init(loop, &s.timer);
    s.timer.data = &s;
    /* The work starts from a timer, so that the loop has waited once (and is a loop) when it
     * begins: due 5 ms from now, not from the loop's cached time, which is as old as the loop.
     * A 1 ms timer on a stale clock was already due at uv_run's first look, and the first wave
     * of requests ran before the loop's first wait: outside any iteration, so not a stall. */
    uv_update_time(loop);
    uv_timer_start(&s.timer, on_start, 5, 0);
    (run ? run : run_default)(loop, run_arg);
    if (!uv_is_closing((uv_handle_t *)&s.timer)) uv_close((uv_handle_t *)&s.timer, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* finishes the close: s lives on this stack */
}

void lab_run_loop(uv_loop_t *loop, void (*start)(void *), void *arg, uint64_t *t0)
{
    lab_run_loop_with(loop, start, arg, t0, NULL, NULL);
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
