/* downstream.c -- the stress lab's downstream: a FIFO semaphore and a sleep per call, or the CPU
 * job. */
#include <time.h>

#include "cpu_job.h"
#include "downstream.h"

/* Each waiter sleeps on its own condition variable, so a released slot wakes exactly the
 * oldest caller: a thousand waiting threads cost no thundering herd, only their memory. */
struct lab_waiter {
    pthread_cond_t cv;
    int granted;
    struct lab_waiter *next;
};

void lab_downstream_init(struct lab_downstream *d, enum lab_downstream_kind kind, unsigned slots,
                         uint64_t service_ns, uint64_t iters)
{
    d->kind = kind;
    pthread_mutex_init(&d->mu, NULL);
    d->free_slots = slots;
    d->head = d->tail = NULL;
    d->service_ns = service_ns;
    d->iters = iters;
    atomic_init(&d->checksum, 0);
}

static void acquire(struct lab_downstream *d)
{
    pthread_mutex_lock(&d->mu);
    if (d->free_slots > 0 && !d->head) {
        d->free_slots--;
        pthread_mutex_unlock(&d->mu);
        return;
    }
    struct lab_waiter w = {.granted = 0};
    pthread_cond_init(&w.cv, NULL);
    if (d->tail)
        d->tail->next = &w;
    else
        d->head = &w;
    d->tail = &w;
    while (!w.granted)
        pthread_cond_wait(&w.cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    pthread_cond_destroy(&w.cv);
}

static void release(struct lab_downstream *d)
{
    pthread_mutex_lock(&d->mu);
    struct lab_waiter *w = d->head;
    if (w) {
        /* Hand the slot over directly: it never becomes free for a newcomer to grab. */
        d->head = w->next;
        if (!d->head) d->tail = NULL;
        w->granted = 1;
        pthread_cond_signal(&w->cv);
    } else {
        d->free_slots++;
    }
    pthread_mutex_unlock(&d->mu);
}

void lab_downstream_call(struct lab_downstream *d)
{
    if (d->kind == LAB_DOWNSTREAM_CPU) {
        atomic_fetch_xor_explicit(&d->checksum, lab_cpu_job(d->iters), memory_order_relaxed);
        return;
    }
    acquire(d);
    struct timespec ts = {.tv_sec = (time_t)(d->service_ns / 1000000000ULL),
                          .tv_nsec = (long)(d->service_ns % 1000000000ULL)};
    while (nanosleep(&ts, &ts) != 0)
        ;
    release(d);
}
