/* lagprobe.c -- loop lag: how late a periodic timer fires, the loop's own view of a stall. */
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
