/* gil.h -- a model of CPython's global interpreter lock (Python/ceval_gil.c): one lock that a
 * thread must hold to run "Python", handed over on request once a waiter has waited a switch
 * interval, and a libuv loop driven the way asyncio drives its selector, holding the lock for
 * everything it runs and releasing it only around its wait for events. */
#ifndef LAB_GIL_H
#define LAB_GIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "lab.h"

struct lab_gil {
    pthread_mutex_t mutex;        /* protects locked, switch_number, last_holder; held briefly */
    pthread_cond_t cond;          /* signalled when the lock is dropped (CLOCK_MONOTONIC waits) */
    pthread_mutex_t switch_mutex; /* with switch_cond: FORCE_SWITCHING's hand-over */
    pthread_cond_t switch_cond;   /* signalled when a thread has taken the lock */
    int locked;
    unsigned long switch_number; /* how often the lock changed hands */
    const void *last_holder;     /* the thread that holds or last held it */
    atomic_int drop_request;     /* set by a waiter whose interval ran out; read by the holder */
    uint64_t interval_ns;        /* sys.getswitchinterval(), 5 ms by default */
    atomic_ulong drop_requests;  /* how often a waiter had to ask */
};

/* Initialises the lock with a switch interval in milliseconds; returns 0 or a negative errno. */
int lab_gil_init(struct lab_gil *g, double interval_ms);
void lab_gil_destroy(struct lab_gil *g);

/* take_gil: waits until the lock is free, asking the holder to drop it after each interval that
 * passes without a switch. Returns how long the caller waited, in nanoseconds. */
uint64_t lab_gil_take(struct lab_gil *g);
/* drop_gil: releases the lock; when it was asked for, waits until another thread has taken it,
 * so the dropping thread cannot take it straight back. */
void lab_gil_drop(struct lab_gil *g);
/* The eval loop's check between "bytecodes": when a waiter asked, drop the lock and take it
 * again. A holder calls this often (CPython: every few instructions). Returns the time spent
 * getting the lock back, 0 when nobody asked. */
uint64_t lab_gil_switch_point(struct lab_gil *g);

/* A loop run under the lock, as asyncio runs under the GIL: the loop thread holds it for every
 * callback libuv runs (timers, completions, I/O) and releases it only while it waits for events
 * in epoll_wait, as select.epoll.poll() does. */
struct lab_gil_loop {
    struct lab_gil *gil;
    int (*finished)(void *arg); /* the lab's own end condition, checked after every turn */
    void *arg;
    struct lab_stats waits; /* each wait of the loop thread for the lock, in ns */
    uint64_t wait_ns;       /* their sum */
};

/* Runs loop until it has nothing left to do or gl->finished says so; use it as lab_run_loop's
 * runner (arg is a struct lab_gil_loop). */
void lab_gil_run_loop(uv_loop_t *loop, void *arg);

#endif
