/* lifecycle.h -- the agent's life in the host: load, fork, the end of an image.
 *
 * lifecycle.c alone knows every stage: it runs the constructor and the
 * destructor, the fork handlers, and what happens when an image ends.
 */
#ifndef LS_LIFECYCLE_H
#define LS_LIFECYCLE_H

#include <stdatomic.h>

#include "state.h"
#include "write.h"

/* Is the agent set up (record, configuration, real functions)? A wrapper that
 * needs its state asks ls_agent_ready, which sets it up on the first call if
 * a host library's constructor got here before the agent's own; 0 while
 * another thread is doing that (the call then passes through untouched).
 * ls_agent_set_up only asks: for paths that must not set anything up (an
 * exit, an exec in a vfork child that shares its parent's memory). */
extern LS_HIDDEN _Atomic int ls_agent_state;
int ls_agent_ready_slow(void);
static inline int ls_agent_set_up(void)
{
    return atomic_load_explicit(&ls_agent_state, memory_order_acquire) == 2;
}
static inline int ls_agent_ready(void)
{
    return LS_LIKELY(ls_agent_set_up()) || ls_agent_ready_slow();
}

/* Something happened that makes this image's report worth having (its first loop, a
 * fanout finding, injection rules at load): from now on a fatal signal the host does not
 * handle must not lose it. Used directly, this installs the fatal-signal handlers (fatal.h),
 * once; a process that never gets here installs none. Under run, nothing to do. */
void ls_image_worth_keeping(void);

/* The image ends now (exit, exec, a fatal signal): iterations in progress
 * end with it, the record says so, and (used directly) the report file is
 * written. The first call counts; code is the exit status, or -1. */
void ls_image_end(enum ls_image_end how, int code);
/* An exec failed: the image goes on. */
void ls_image_resume(void);

#endif
