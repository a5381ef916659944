/* threads.h -- the live-thread count and the unbounded-fanout finding. */
#ifndef LS_THREADS_H
#define LS_THREADS_H

#include "agent.h"

struct ls_fanout {
    _Atomic uint64_t live; /* threads created through pthread_create and not yet ended */
    _Atomic uint64_t peak;
    _Atomic uint64_t created;
    _Atomic int found; /* the limit was crossed; stack below is the creator's */
    uint64_t limit;
    uint64_t first_ns; /* when, relative to process start */
    int from_loop;     /* created from a loop thread */
    struct ls_frames stack;
};

extern struct ls_fanout ls_fanout;

void ls_threads_init(void);
void ls_threads_after_fork_child(void);

#endif
