/* child_env.h -- the environment a child starts with: the caller's, with the agent's variables
 * kept.
 *
 * A child started with an explicit environment (subprocess.run(env=...),
 * spawn(cmd, {env}), execve with its own envp) would otherwise start without
 * LD_PRELOAD or LOOPSTALL_* and escape observation. The agent puts back what
 * it was started with: its own LD_PRELOAD entry (ahead of the caller's, if
 * any), and every LOOPSTALL_* variable the caller did not set itself. Built
 * on the caller's stack, so that a vfork child (posix_spawn, Python's
 * subprocess) allocates nothing and touches no shared memory.
 */
#ifndef LS_CHILD_ENV_H
#define LS_CHILD_ENV_H

#include <stddef.h>

#define LS_CHILD_ENV_MAX 4096 /* entries; a larger environment is passed on as it is */

struct ls_child_env {
    char *vars[LS_CHILD_ENV_MAX + 16];
    char preload[8192]; /* LD_PRELOAD=agent[ theirs] */
    char image[48];     /* LOOPSTALL_IMAGE=N, for an exec that keeps this pid */
    char image_pid[48]; /* LOOPSTALL_IMAGE_PID=PID */
};

/* The environment to pass instead of envp (NULL: an empty one, as the kernel takes it; the
 * callers that mean the process's own pass environ).
 * same_pid: the new image replaces this one (an exec, not a spawn), so it is
 * told its image number. Returns envp itself when nothing needs adding. */
char *const *ls_child_env(struct ls_child_env *ce, char *const *envp, int same_pid);

#endif
