/* sampler.h -- stack samples of a loop thread stuck on the CPU: the handler and its installation.
 *
 * The watcher (watcher/watch.c) decides when a sample is due and sends the
 * signal with the record's cookie; this stage owns the signal: it picks one
 * no common host uses (a real-time signal left at its default; Node, Redis
 * and nginx use SIGPROF, SIGALRM, SIGUSR1 and SIGUSR2), installs the handler
 * only when the first loop is adopted, gives the signal up for good when the
 * host installs its own, and tracks whether each loop thread blocks it.
 */
#ifndef LS_SAMPLER_H
#define LS_SAMPLER_H

#include <signal.h>

#include "record.h"

/* A thread became a loop: install the handler if nobody has yet, note
 * whether this thread blocks the signal and where its stack is, and call ls_proc.on_adopt. */
void ls_sampler_adopt(struct ls_loop *l);
/* The signal sampling uses now, or 0. */
int ls_sampler_signal(void);
/* The host installs a disposition of its own for sig: if it is ours,
 * sampling stops for good (the signal is the host's from now on). */
void ls_sampler_host_claims(int sig);
/* The calling loop thread's mask changed: note whether it blocks the signal. */
void ls_sampler_mask_changed(struct ls_loop *l, const sigset_t *now_blocked);
/* Is h our handler (so that sigaction's old value shows the host SIG_DFL)? */
int ls_sampler_is_ours(void (*h)(int, siginfo_t *, void *));
/* The signal our handler is installed on while the host has not taken it, or 0. */
int ls_sampler_installed_signal(void);
/* In a forked child: the handler stays installed; a new cookie goes with the new record. */
void ls_sampler_after_fork(void);

#endif
