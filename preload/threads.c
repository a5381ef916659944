/* threads.c -- count threads as they are created and exit, to catch unbounded offloading.
 *
 * "Always cap it": a thread per request melts the machine and destroys p99.
 * pthread_create is wrapped to count live threads; when more are alive than the
 * limit (LOOPSTALL_THREAD_LIMIT, default max(64, 8 x cores)), the stack that
 * created the one over the limit is kept as an unbounded-fanout finding, with
 * the peak number of live threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "call.h"
#include "inject.h"
#include "real.h"
#include "threads.h"
#include "ticks.h"

LS_HIDDEN struct ls_fanout ls_fanout;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

struct trampoline {
    void *(*fn)(void *);
    void *arg;
};

static void on_thread_exit(void *marker)
{
    (void)marker;
    atomic_fetch_sub(&ls_fanout.live, 1);
}

static void make_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

/* Runs first in every thread the host creates: arranges for the count to drop
 * when the thread ends, by return or pthread_exit. */
static void *thread_start(void *p)
{
    struct trampoline t = *(struct trampoline *)p;
    free(p);
    pthread_setspecific(exit_key, &ls_fanout);
    return t.fn(t.arg);
}

void ls_threads_init(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* Above what bounded pools use: a to_thread/tcap pool of 32 plus the
     * runtime's own threads must not look like a thread per request. */
    uint64_t limit = cores > 8 ? (uint64_t)cores * 8 : 64;
    const char *v = getenv("LOOPSTALL_THREAD_LIMIT");
    if (v && *v) {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (*end || n == 0) {
            static const char msg[] = "loopstall: LOOPSTALL_THREAD_LIMIT ignored: expected a "
                                      "positive number of threads\n";
            (void)!write(2, msg, sizeof msg - 1);
        } else {
            limit = n;
        }
    }
    ls_fanout.limit = limit;
    pthread_once(&key_once, make_key);
}

void ls_threads_after_fork_child(void)
{
    /* Only the forking thread lives on in the child. */
    atomic_store(&ls_fanout.live, 0);
    atomic_store(&ls_fanout.peak, 0);
    atomic_store(&ls_fanout.created, 0);
    atomic_store(&ls_fanout.found, 0);
}

/* Hand-written: the start routine is wrapped so the thread's exit is seen. */
LS_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    ls_real_pthread_create_t f = real(pthread_create);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    struct ls_call c;
    int err = 0;
    uint64_t sb = 0;
    if (ls_inject_on && ls_call_begin(&c, LS_FN_pthread_create, LS_T_NONE, 0, &err, &sb))
        return err;
    /* One small allocation per thread: pthread_create allocates a whole stack. */
    int saved = errno;
    struct trampoline *t = ls_tls.guard ? NULL : malloc(sizeof *t);
    errno = saved;
    if (!t) return f(th, attr, fn, arg);
    t->fn = fn;
    t->arg = arg;
    uint64_t live = atomic_fetch_add(&ls_fanout.live, 1) + 1;
    atomic_fetch_add(&ls_fanout.created, 1);
    uint64_t peak = atomic_load(&ls_fanout.peak);
    while (live > peak && !atomic_compare_exchange_weak(&ls_fanout.peak, &peak, live))
        ;
    if (live > ls_fanout.limit && !atomic_exchange(&ls_fanout.found, 1)) {
        ls_tls.guard = 1;
        ls_fanout.first_ns = ls_ticks_to_ns(ls_ticks() - ls_start_ticks);
        ls_fanout.from_loop = ls_tls.loop != NULL;
        ls_stack_capture(&ls_fanout.stack);
        ls_tls.guard = 0;
        errno = saved;
    }
    int r = f(th, attr, thread_start, t);
    if (r != 0) {
        atomic_fetch_sub(&ls_fanout.live, 1);
        free(t);
        errno = saved;
    }
    return r;
}
