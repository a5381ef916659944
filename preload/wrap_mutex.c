/* wrap_mutex.c -- locks, hand-written: a loop thread waiting for a mutex, a condition or a
 * semaphore (and a semaphore's deadline interrupted by our own signal waited for again).
 *
 * An interpreter's global lock held by a worker thread, a logging mutex held
 * across a write: the loop is blocked, off the CPU, in no I/O call. What
 * differs from the generated wrappers: an uncontended lock must cost nothing
 * (hosts lock millions of times a second), so a mutex, rwlock or semaphore is
 * first tried, and only a loop thread inside an iteration whose try failed
 * is timed; a condition wait always waits, so it is timed like any call. The
 * rest is the shared tail. These functions return the error number; the
 * injection tail speaks that convention (F_RETERR in calls.def).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>

#include "call.h"
#include "real.h"

/* Time worth looking at: a loop thread inside an iteration, or a rule. */
static inline int worth_timing(void)
{
    struct ls_loop *l = ls_tls.loop;
    return LS_UNLIKELY(ls_inject_on) ||
           (l && !ls_tls.guard && atomic_load_explicit(&l->iter_start, memory_order_relaxed));
}

/* A rule names fn: the call must reach the tail, tried or not. */
static inline int injecting(int fn)
{
    return ls_inject_on && ls_inject_wants(fn);
}

#define TIMED_RETERR(name, call)                                                                   \
    do {                                                                                           \
        struct ls_call c;                                                                          \
        int err = 0;                                                                               \
        uint64_t sb = 0;                                                                           \
        if (ls_call_begin(&c, LS_FN_##name, LS_T_NONE, 0, &err, &sb)) return err;                  \
        int r = call;                                                                              \
        ls_call_end(&c);                                                                           \
        return r;                                                                                  \
    } while (0)

/* The rest of pthread_mutex_lock, out of line: a held lock, or a rule active. */
static __attribute__((noinline)) int mutex_lock_general(pthread_mutex_t *m)
{
    ls_real_pthread_mutex_lock_t f = real(pthread_mutex_lock);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    if (LS_LIKELY(!worth_timing())) return f(m);
    if (!injecting(LS_FN_pthread_mutex_lock) &&
        __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0)
        return f(m);
    TIMED_RETERR(pthread_mutex_lock, f(m));
}

/* A mutex free at this instant is taken without waiting, on any thread: glibc's lock word (its
 * ABI, the first int of every mutex kind) is 0. That is tested first, before which thread this
 * is: an interpreter locks its global lock's mutex around every system call it lets other
 * threads run through (Python: twice each), so this path is most of the agent's cost on a
 * Python server (bench/benchmark-http-instructions.sh). Reading the word costs one load where
 * trying the mutex first cost a second locked call; a thread that takes it between the load and
 * the lock makes one wait go untimed, and a held word (another thread's, or this thread's own
 * recursive or error-checking mutex) is timed on a loop thread, however short. */
LS_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    ls_real_pthread_mutex_lock_t f = real_to_pass(pthread_mutex_lock);
    if (LS_LIKELY(f != NULL) && __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0)
        return f(m);
    return mutex_lock_general(m);
}

LS_EXPORT int pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m)
{
    ls_real_pthread_cond_wait_t f = real(pthread_cond_wait);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    if (LS_LIKELY(!worth_timing())) return f(cv, m);
    TIMED_RETERR(pthread_cond_wait, f(cv, m));
}

LS_EXPORT int pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *m,
                                     const struct timespec *t)
{
    ls_real_pthread_cond_timedwait_t f = real(pthread_cond_timedwait);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    if (LS_LIKELY(!worth_timing())) return f(cv, m, t);
    TIMED_RETERR(pthread_cond_timedwait, f(cv, m, t));
}

LS_EXPORT int pthread_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *t)
{
    ls_real_pthread_cond_clockwait_t f = real(pthread_cond_clockwait);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    if (LS_LIKELY(!worth_timing())) return f(cv, m, clk, t);
    TIMED_RETERR(pthread_cond_clockwait, f(cv, m, clk, t));
}

LS_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    ls_real_pthread_rwlock_rdlock_t f = real(pthread_rwlock_rdlock);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    if (LS_LIKELY(!worth_timing())) return f(l);
    if (!injecting(LS_FN_pthread_rwlock_rdlock)) {
        int r = pthread_rwlock_tryrdlock(l);
        if (r != EBUSY) return r;
    }
    TIMED_RETERR(pthread_rwlock_rdlock, f(l));
}

LS_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    ls_real_pthread_rwlock_wrlock_t f = real(pthread_rwlock_wrlock);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    if (LS_LIKELY(!worth_timing())) return f(l);
    if (!injecting(LS_FN_pthread_rwlock_wrlock)) {
        int r = pthread_rwlock_trywrlock(l);
        if (r != EBUSY) return r;
    }
    TIMED_RETERR(pthread_rwlock_wrlock, f(l));
}

/* Semaphores fail with -1 and errno. A wait with a deadline is not restarted
 * after a handler (the kernel's restart block becomes EINTR): an EINTR our
 * own sampling signal caused is absorbed by waiting again for the same
 * deadline; without one (sem_wait) SA_RESTART restarts it. */
#define TIMED_MINUS1(name, call)                                                                   \
    do {                                                                                           \
        struct ls_call c;                                                                          \
        int err = 0;                                                                               \
        uint64_t sb = 0;                                                                           \
        if (ls_call_begin(&c, LS_FN_##name, LS_T_NONE, 0, &err, &sb)) {                            \
            errno = err;                                                                           \
            return -1;                                                                             \
        }                                                                                          \
        int r = call;                                                                              \
        ls_call_end(&c);                                                                           \
        while (ls_call_eintr_ours(&c, r == -1 && errno == EINTR)) {                                \
            ls_call_again(&c, ls_tls.loop);                                                        \
            r = call;                                                                              \
            ls_call_end(&c);                                                                       \
        }                                                                                          \
        return r;                                                                                  \
    } while (0)

LS_EXPORT int sem_wait(sem_t *s)
{
    ls_real_sem_wait_t f = real(sem_wait);
    if (LS_UNLIKELY(!f)) {
        errno = ENOSYS;
        return -1;
    }
    if (LS_LIKELY(!worth_timing())) return f(s);
    int saved = errno;
    if (!injecting(LS_FN_sem_wait) && sem_trywait(s) == 0) return 0;
    errno = saved;
    TIMED_MINUS1(sem_wait, f(s));
}

LS_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t)
{
    ls_real_sem_timedwait_t f = real(sem_timedwait);
    if (LS_UNLIKELY(!f)) {
        errno = ENOSYS;
        return -1;
    }
    if (LS_LIKELY(!worth_timing())) return f(s, t);
    int saved = errno;
    if (!injecting(LS_FN_sem_timedwait) && sem_trywait(s) == 0) return 0;
    errno = saved;
    TIMED_MINUS1(sem_timedwait, f(s, t));
}
