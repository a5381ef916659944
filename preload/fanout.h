/* fanout.h -- the live-thread count and the unbounded-fanout finding.
 *
 * "Always cap it": a thread per request melts the machine and destroys p99.
 * Threads are counted as the host creates and ends them; when more are alive
 * than the limit (LOOPSTALL_THREAD_LIMIT, default max(64, 8 x cores): above a
 * bounded pool of 32 plus a runtime's own threads), the stack that created
 * the one over the limit is kept as a finding, with the peak.
 */
#ifndef LS_FANOUT_H
#define LS_FANOUT_H

/* A thread is about to be created (by the calling thread). */
void ls_fanout_created(void);
/* A thread the host created failed to start, or ended. */
void ls_fanout_ended(void);

#endif
