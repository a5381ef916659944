/* downstream.h -- a downstream of limited capacity: K slots, a fixed service time, FIFO wait. */
#ifndef LAB_DOWNSTREAM_H
#define LAB_DOWNSTREAM_H

#include <pthread.h>
#include <stdint.h>

struct lab_waiter;

struct lab_downstream {
    pthread_mutex_t mu;
    unsigned free_slots;
    struct lab_waiter *head, *tail; /* callers waiting for a slot, oldest first */
    uint64_t service_ns;
};

void lab_downstream_init(struct lab_downstream *d, unsigned slots, uint64_t service_ns);
/* The blocking call: waits for a slot in arrival order, holds it for the service time. */
void lab_downstream_call(struct lab_downstream *d);

#endif
