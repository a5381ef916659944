/* gil.c -- the global interpreter lock as CPython builds it (take_gil, drop_gil and the eval
 * loop's drop request in Python/ceval_gil.c), and a libuv loop that must hold it to run. */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>

#include "gil.h"

/* A thread's identity for last_holder: the address of a thread-local byte, as CPython uses the
 * address of the thread's PyThreadState. */
static _Thread_local char self_token;

int lab_gil_init(struct lab_gil *g, double interval_ms)
{
    pthread_condattr_t attr;
    int rc = pthread_mutex_init(&g->mutex, NULL);
    if (rc) return -rc;
    pthread_mutex_init(&g->switch_mutex, NULL);
    /* CPython's condition variables wait on the monotonic clock where it exists, as here. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&g->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc) return -rc;
    pthread_cond_init(&g->switch_cond, NULL);
    g->locked = 0;
    g->switch_number = 0;
    g->last_holder = NULL;
    atomic_init(&g->drop_request, 0);
    atomic_init(&g->drop_requests, 0);
    g->interval_ns = (uint64_t)(interval_ms * 1e6);
    if (g->interval_ns < 1000) g->interval_ns = 1000; /* CPython's floor: one microsecond */
    return 0;
}

void lab_gil_destroy(struct lab_gil *g)
{
    pthread_cond_destroy(&g->switch_cond);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->switch_mutex);
    pthread_mutex_destroy(&g->mutex);
}

static struct timespec deadline(uint64_t after_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + after_ns;
    ts.tv_sec += (time_t)(ns / 1000000000ULL);
    ts.tv_nsec = (long)(ns % 1000000000ULL);
    return ts;
}

uint64_t lab_gil_take(struct lab_gil *g)
{
    uint64_t t0 = lab_now_ns();
    pthread_mutex_lock(&g->mutex);
    while (g->locked) {
        unsigned long saved_switchnum = g->switch_number;
        struct timespec until = deadline(g->interval_ns);
        int rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
        /* A whole interval without a switch: ask the holder to let go at its next check. */
        if (rc == ETIMEDOUT && g->locked && g->switch_number == saved_switchnum) {
            atomic_store(&g->drop_request, 1);
            atomic_fetch_add_explicit(&g->drop_requests, 1, memory_order_relaxed);
        }
    }
    /* last_holder changes under switch_mutex: drop_gil reads it there to know whether the
     * hand-over happened. */
    pthread_mutex_lock(&g->switch_mutex);
    g->locked = 1;
    if (g->last_holder != &self_token) {
        g->last_holder = &self_token;
        g->switch_number++;
    }
    pthread_cond_signal(&g->switch_cond);
    pthread_mutex_unlock(&g->switch_mutex);
    atomic_store(&g->drop_request, 0);
    pthread_mutex_unlock(&g->mutex);
    return lab_now_ns() - t0;
}

void lab_gil_drop(struct lab_gil *g)
{
    pthread_mutex_lock(&g->mutex);
    g->locked = 0;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->mutex);
    /* FORCE_SWITCHING: when the drop was asked for, wait until the waiter has really taken the
     * lock; otherwise this thread, already running, would usually win it straight back. */
    if (atomic_load(&g->drop_request)) {
        pthread_mutex_lock(&g->switch_mutex);
        if (g->last_holder == &self_token) {
            atomic_store(&g->drop_request, 0);
            pthread_cond_wait(&g->switch_cond, &g->switch_mutex);
        }
        pthread_mutex_unlock(&g->switch_mutex);
    }
}

uint64_t lab_gil_switch_point(struct lab_gil *g)
{
    if (!atomic_load_explicit(&g->drop_request, memory_order_relaxed)) return 0;
    lab_gil_drop(g);
    return lab_gil_take(g);
}

static void loop_take(struct lab_gil_loop *gl)
{
    uint64_t waited = lab_gil_take(gl->gil);
    lab_stats_add(&gl->waits, waited);
    gl->wait_ns += waited;
}

void lab_gil_run_loop(uv_loop_t *loop, void *arg)
{
    struct lab_gil_loop *gl = arg;
    struct epoll_event ev;
    loop_take(gl);
    while (uv_run(loop, UV_RUN_NOWAIT) && !(gl->finished && gl->finished(gl->arg))) {
        int timeout = uv_backend_timeout(loop);
        lab_gil_drop(gl->gil);
        /* select.epoll.poll() with the lock released (Py_BEGIN_ALLOW_THREADS): the only time the
         * loop thread runs without it. The events stay pending (libuv's registrations are
         * level-triggered) for the uv_run that follows, which collects them without waiting. */
        epoll_wait(uv_backend_fd(loop), &ev, 1, timeout);
        loop_take(gl);
    }
    lab_gil_drop(gl->gil);
}
