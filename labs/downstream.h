/* downstream.h -- the stress lab's downstream: K slots and a sleep per call (a remote service of
 * limited capacity), or real CPU work per call (a service whose only limit is the cores). */
#ifndef LAB_DOWNSTREAM_H
#define LAB_DOWNSTREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum lab_downstream_kind {
    LAB_DOWNSTREAM_SLEEP, /* waits for one of K slots in arrival order, sleeps the service time */
    LAB_DOWNSTREAM_CPU, /* runs the CPU job on the calling thread: every caller computes at once */
};

struct lab_waiter;

struct lab_downstream {
    enum lab_downstream_kind kind;
    pthread_mutex_t mu;
    unsigned free_slots;
    struct lab_waiter *head, *tail; /* callers waiting for a slot, oldest first */
    uint64_t service_ns;            /* SLEEP: how long a call holds its slot */
    uint64_t iters;                 /* CPU: the job's size, calibrated to the service time */
    atomic_uint_fast64_t checksum;  /* CPU: the jobs' results, so that none can be skipped */
};

void lab_downstream_init(struct lab_downstream *d, enum lab_downstream_kind kind, unsigned slots,
                         uint64_t service_ns, uint64_t iters);
/* The blocking call. SLEEP: waits for a slot in arrival order and holds it for the service time.
 * CPU: burns iters rounds of lab_cpu_job with no slot to wait for, so that N callers are N
 * runnable threads sharing the machine's cores. */
void lab_downstream_call(struct lab_downstream *d);

#endif
