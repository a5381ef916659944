/* host-loop.h -- what the battery's host programs share: a timer-driven epoll loop and stalls of
 * a known length, written the way an ordinary program would write them.
 *
 * The hostile-host and lifecycle batteries (tests/hostile, tests/lifecycle) each need a host
 * whose loop is real (a thread waiting in epoll_wait on a timerfd) and whose stalls have a length
 * the test can check; the hostile part of each host is its own. Built into each host, not into
 * the agent or the tests.
 */
#ifndef HOST_LOOP_H
#define HOST_LOOP_H

#include <stdint.h>

struct host_loop {
    int ep;  /* the loop's epoll fd */
    int tfd; /* a periodic timerfd, the loop's only source */
};

/* Opens the loop with a tick every period_ms; 0, or -1 with errno. */
int host_loop_open(struct host_loop *l, int period_ms);
/* Waits for the next tick (one loop iteration begins when it returns); 0, or -1 with errno. */
int host_loop_tick(struct host_loop *l);
void host_loop_close(struct host_loop *l);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t host_now_ns(void);
/* Runs on the CPU for ms of wall time: a CPU stall that stack samples find in host_burn. */
void host_burn(int ms);
/* Sleeps ms in one nanosleep, resumed after a signal the host itself caused: a blocking stall. */
void host_block(int ms);

#endif
