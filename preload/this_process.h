/* this_process.h -- whether the caller is this process, or a vfork child running on its memory.
 */
#ifndef LS_THIS_PROCESS_H
#define LS_THIS_PROCESS_H

#include <sys/syscall.h>
#include <sys/types.h>

#include "real.h"
#include "state.h"

/* 0 in a vfork child (posix_spawn's, CPython's subprocess): it shares this process's memory and
 * the calling thread's TLS, not its descriptors or its image, until it execs or exits. What it
 * closes, or replaces, is its own. One system call: for the paths that change the process's
 * state, never the hot ones. */
static inline int ls_is_this_process(void)
{
    return (pid_t)ls_raw_syscall(SYS_getpid) == ls_proc.pid;
}

#endif
