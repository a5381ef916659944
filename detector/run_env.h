/* run_env.h -- the environment `loopstall run` gives the command: its own, plus the agent's.
 *
 * Built for the child only: run's own environment stays as it was, so its
 * own helpers never run under the agent.
 */
#ifndef LS_RUN_ENV_H
#define LS_RUN_ENV_H

#include <stdint.h>

struct ls_run_env_opts {
    const char *agent;     /* path of libloopstall.so */
    const char *sanitizer; /* a sanitizer runtime the program needs first in LD_PRELOAD, or NULL */
    const char *dir;       /* LOOPSTALL_OUT: where reports go */
    const char *collector; /* LOOPSTALL_COLLECTOR: the watcher's socket, or NULL */
    uint64_t threshold_ns;
    const char *inject; /* rules joined with ';', or NULL */
    int strict;
    int node_perf_map; /* add V8's perf-map flags to NODE_OPTIONS */
};

/* A NULL-terminated environment (malloc'd) with one free slot at *root_slot
 * for LOOPSTALL_ROOT_PID, which only the child knows. The variables passed
 * on are environ's own strings; those of the agent are malloc'd. */
char **ls_run_env(const struct ls_run_env_opts *o, int *root_slot);
/* Frees what ls_run_env allocated. */
void ls_run_env_free(char **env, int root_slot);
/* 1 when the environment run passes asks V8 for perf maps (so run removes them afterwards). */
int ls_run_env_adds_perf_map(const struct ls_run_env_opts *o);

#endif
