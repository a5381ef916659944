/* sample_handler.h -- the part of sampling that runs in signal context, kept apart and small. */
#ifndef LS_SAMPLE_HANDLER_H
#define LS_SAMPLE_HANDLER_H

#include <signal.h>

/* Runs on the loop thread, in the middle of its CPU stall: takes a sample
 * into the slot the watcher named. No locks, no allocation, no descriptors,
 * a bounded walk on the thread's own stack, errno kept. A signal without the
 * record's cookie is not ours: the default action (terminate) happens as if
 * no handler had been installed. */
void ls_sample_handler(int sig, siginfo_t *si, void *uc);

#endif
