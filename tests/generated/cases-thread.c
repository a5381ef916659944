/* cases-thread.c -- calling cases for thread creation and the locks a loop can wait for: one
 * successful call each (see probe.h). */
#include "probe.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *nothing(void *arg)
{
    return arg;
}

static void case_pthread_create(struct probe_call *c)
{
    pthread_t th;
    PROBE_CALL(c, pthread_create(&th, NULL, nothing, NULL));
    if (c->ret == 0) pthread_join(th, NULL);
}

static void case_pthread_mutex_lock(struct probe_call *c)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    PROBE_CALL(c, pthread_mutex_lock(&m));
    if (c->ret == 0) pthread_mutex_unlock(&m);
}

/* A condition someone signals: a helper broadcasts every millisecond until
 * the case is done, so one wait returns however the two threads interleave. */
struct signaller {
    pthread_mutex_t m;
    pthread_cond_t cv;
    atomic_int done;
    pthread_t th;
};

static void *broadcast_until_done(void *arg)
{
    struct signaller *s = arg;
    struct timespec ms = {0, 1000000};
    while (!atomic_load(&s->done)) {
        pthread_mutex_lock(&s->m);
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->m);
        syscall(SYS_nanosleep, &ms, NULL);
    }
    return NULL;
}

static void signaller_start(struct signaller *s, clockid_t clock)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, clock);
    pthread_mutex_init(&s->m, NULL);
    pthread_cond_init(&s->cv, &a);
    atomic_init(&s->done, 0);
    pthread_mutex_lock(&s->m);
    if (pthread_create(&s->th, NULL, broadcast_until_done, s) != 0) probe_die("pthread_create");
}

static void signaller_stop(struct signaller *s)
{
    pthread_mutex_unlock(&s->m);
    atomic_store(&s->done, 1);
    pthread_join(s->th, NULL);
}

/* An absolute deadline ten seconds away: the broadcast comes long before. */
static struct timespec in_ten_seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += 10;
    return t;
}

static void case_pthread_cond_wait(struct probe_call *c)
{
    struct signaller s;
    signaller_start(&s, CLOCK_REALTIME);
    PROBE_CALL(c, pthread_cond_wait(&s.cv, &s.m));
    signaller_stop(&s);
}

static void case_pthread_cond_timedwait(struct probe_call *c)
{
    struct signaller s;
    signaller_start(&s, CLOCK_REALTIME);
    struct timespec t = in_ten_seconds(CLOCK_REALTIME);
    PROBE_CALL(c, pthread_cond_timedwait(&s.cv, &s.m, &t));
    signaller_stop(&s);
}

static void case_pthread_cond_clockwait(struct probe_call *c)
{
    struct signaller s;
    signaller_start(&s, CLOCK_MONOTONIC);
    struct timespec t = in_ten_seconds(CLOCK_MONOTONIC);
    PROBE_CALL(c, pthread_cond_clockwait(&s.cv, &s.m, CLOCK_MONOTONIC, &t));
    signaller_stop(&s);
}

static void case_pthread_rwlock_rdlock(struct probe_call *c)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    PROBE_CALL(c, pthread_rwlock_rdlock(&l));
    if (c->ret == 0) pthread_rwlock_unlock(&l);
}

static void case_pthread_rwlock_wrlock(struct probe_call *c)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    PROBE_CALL(c, pthread_rwlock_wrlock(&l));
    if (c->ret == 0) pthread_rwlock_unlock(&l);
}

static void case_sem_wait(struct probe_call *c)
{
    sem_t s;
    sem_init(&s, 0, 1);
    PROBE_CALL(c, sem_wait(&s));
    sem_destroy(&s);
}

static void case_sem_timedwait(struct probe_call *c)
{
    sem_t s;
    sem_init(&s, 0, 1);
    struct timespec t = in_ten_seconds(CLOCK_REALTIME);
    PROBE_CALL(c, sem_timedwait(&s, &t));
    sem_destroy(&s);
}

const struct probe_case probe_cases_thread[] = {
    {"pthread_create", case_pthread_create, 0, 0},
    {"pthread_mutex_lock", case_pthread_mutex_lock, 0, 0},
    {"pthread_cond_wait", case_pthread_cond_wait, 0, 0},
    {"pthread_cond_timedwait", case_pthread_cond_timedwait, 0, 0},
    {"pthread_cond_clockwait", case_pthread_cond_clockwait, 0, 0},
    {"pthread_rwlock_rdlock", case_pthread_rwlock_rdlock, 0, 0},
    {"pthread_rwlock_wrlock", case_pthread_rwlock_wrlock, 0, 0},
    {"sem_wait", case_sem_wait, 0, 0},
    {"sem_timedwait", case_sem_timedwait, 0, 0},
    {NULL, NULL, 0, 0},
};
