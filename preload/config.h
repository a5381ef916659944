/* config.h -- the agent's configuration, read once from the environment at load.
 *
 * A bad value disables that feature (or keeps its default) with one line on
 * stderr naming what was wrong and what is accepted; it never stops the
 * host. Forked children keep what the parent parsed; exec'd ones get the
 * same variables back (wrap_proc.c carries them into an explicit envp).
 */
#ifndef LS_CONFIG_H
#define LS_CONFIG_H

#include <stdint.h>
#include <sys/types.h>

#include "config_limits.h"
#include "record.h"

/* The variables the agent carries across exec, as it found them. */
enum ls_env_var {
    LS_ENV_PRELOAD, /* our own entry of LD_PRELOAD: the agent's path */
    LS_ENV_OUT,
    LS_ENV_THRESHOLD,
    LS_ENV_INJECT,
    LS_ENV_STRICT,
    LS_ENV_LOOP,
    LS_ENV_THREAD_LIMIT,
    LS_ENV_COLLECTOR,
    LS_ENV_COUNT
};

struct ls_config {
    uint64_t threshold_ns;
    int strict;
    enum ls_wait_mode mode;
    uint64_t thread_limit;
    char out_dir[1024];  /* absolute; made when a report is first written */
    char collector[108]; /* abstract socket name of the watcher outside (`loopstall run`), or "" */
    pid_t root_pid;      /* the process `loopstall run` started */
    uint32_t image; /* this image's number for its pid (LOOPSTALL_IMAGE, set by our exec wrapper) */
    int inject_set; /* LOOPSTALL_INJECT is set (perhaps empty): rules are parsed at load */
    const char *env[LS_ENV_COUNT]; /* "NAME=value" strings as found (NULL when unset) */
};
extern struct ls_config ls_cfg;

/* Reads every variable; called once by the constructor. */
void ls_config_read(void);
/* Notes the agent's own path, the LD_PRELOAD entry children must keep. */
void ls_config_set_agent_path(const char *path);

#endif
