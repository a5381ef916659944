/* iteration.h -- loop threads and their iterations: adoption, timing, and the stalls they finish.
 *
 * A thread becomes a loop when it waits in the epoll family (or, with
 * LOOPSTALL_LOOP=poll, in poll/ppoll/select); the time from that wait's
 * return to its next call is one iteration. An iteration longer than the
 * threshold is a stall, handed to the watcher through the slot's ring.
 */
#ifndef LS_ITERATION_H
#define LS_ITERATION_H

#include <stdint.h>

#include "state.h"

/* Makes the calling thread a loop waiting on fd: claims a free slot without
 * locks. NULL when every slot is taken (counted in the record). */
struct ls_loop *ls_loop_adopt(struct ls_tls *t, int fd);
/* The loop's wait returned at now after waiting waited ticks: an iteration begins. */
void ls_iteration_begin(struct ls_loop *l, uint64_t now, uint64_t waited);
/* The loop thread enters its wait again (or stops being a loop): the iteration is over. */
void ls_iteration_end(struct ls_loop *l, uint64_t now);
/* The loop thread has moved to the epoll fd fd for good: the iteration in
 * progress ends where the thread began waiting on fd (at streak_start), and
 * what those waits added to it (streak_ticks in streak_calls timed calls) is
 * taken out again. */
void ls_loop_switch(struct ls_loop *l, int fd, uint64_t streak_start, uint64_t streak_ticks,
                    uint32_t streak_calls);
/* The loop thread is exiting: its last iteration ends, its slot is the watcher's to retire. */
void ls_loop_thread_exit(struct ls_loop *l);
/* The calling thread closes fd (close, syscall(SYS_close), close_range): if it is the
 * thread's loop fd, that loop has ended (the thread's next wait starts the new one). */
void ls_loop_fd_closed(int lo, int hi);
/* In a forked child: no loop of the parent's is this process's. */
void ls_loops_after_fork(void);

#endif
