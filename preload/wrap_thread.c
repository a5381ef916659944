/* wrap_thread.c -- pthread_create, hand-written: each thread the host creates is counted until it
 * ends; and pthread_cancel, a hook. Either makes the agent pass the host's cancellable calls to
 * glibc's own functions from then on (real.c, raw_calls.h).
 *
 * What differs: the start routine is wrapped, so that the thread's end is
 * seen however it ends (return, pthread_exit, cancellation: a cleanup
 * handler, no thread-specific key, which a host that creates threads before
 * our constructor would otherwise share). A loop thread that ends gives its
 * slot to the watcher to retire. Not a blocking call: never timed; the
 * shared tail still applies injection (a rule may fail thread creation).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "call.h"
#include "fanout.h"
#include "iteration.h"
#include "lifecycle.h"
#include "real.h"

struct trampoline {
    void *(*fn)(void *);
    void *arg;
};

static void on_thread_end(void *unused)
{
    (void)unused;
    struct ls_tls *t = &ls_tls;
    t->guard = 1;
    if (t->loop) ls_loop_thread_exit(t->loop);
    t->loop = NULL;
    ls_fanout_ended();
}

/* Runs first in every thread the host creates. */
static void *thread_start(void *p)
{
    struct trampoline t = *(struct trampoline *)p;
    free(p);
    void *ret;
    pthread_cleanup_push(on_thread_end, NULL);
    ret = t.fn(t.arg);
    pthread_cleanup_pop(1);
    return ret;
}

LS_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    /* The host's first thread: its calls may be cancelled from now on, as glibc's do. */
    ls_real_threads_begin();
    ls_real_pthread_create_t f = real(pthread_create);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    struct ls_call c;
    int err = 0;
    uint64_t sb = 0;
    if (ls_inject_on) {
        /* Injection only: thread creation is not timed, so the call ends at once. */
        if (ls_call_begin(&c, LS_FN_pthread_create, LS_T_NONE, 0, &err, &sb)) return err;
        ls_call_end(&c);
    }
    /* One small allocation per thread: pthread_create allocates a whole stack.
     * A thread created before the agent could be set up is not counted at all:
     * its end could not be matched. */
    int saved = errno;
    struct trampoline *t = ls_tls.guard || !ls_agent_ready() ? NULL : malloc(sizeof *t);
    errno = saved;
    if (!t) return f(th, attr, fn, arg);
    t->fn = fn;
    t->arg = arg;
    ls_fanout_created();
    errno = saved;
    int r = f(th, attr, thread_start, t);
    if (r != 0) {
        ls_fanout_ended();
        free(t);
        errno = saved;
    }
    return r;
}

/* A thread the agent was not told of (glibc's own, for a timer or aio) may cancel another. */
LS_EXPORT int pthread_cancel(pthread_t th)
{
    ls_real_threads_begin();
    ls_real_pthread_cancel_t f = real(pthread_cancel);
    return f ? f(th) : ESRCH;
}
