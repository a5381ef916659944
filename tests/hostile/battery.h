/* battery.h -- what the hostile-host and lifecycle batteries share: run a host under the agent
 * one of the two ways it is used, and read what it left.
 *
 * Direct use is LD_PRELOAD + LOOPSTALL_OUT (the agent's own watcher thread writes each image's
 * report); under `loopstall run` the watcher is run's collector. Either way the per-process
 * files are kept in a directory of the test's and merged into one report (`loopstall report`,
 * or run's --json), so that a test can assert on both.
 */
#ifndef LS_BATTERY_H
#define LS_BATTERY_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "ls_test.h"

#define BT_PYTHON "/usr/bin/python3" /* Debian's CPython 3.11: the interpreter the agent reads */

enum bt_way { BT_DIRECT, BT_RUN };
#define BT_WAYS 2
extern const char *const bt_way_name[BT_WAYS]; /* "direct", "run": for failure messages */

struct bt_run {
    struct ls_proc_result proc; /* the host's (direct) or run's (run) status and output */
    json_t *report;             /* the merged report; NULL when no process left a file */
    char *dir;                  /* the per-process reports (removed by bt_free) */
};

/* Runs cmd (NULL-terminated) under the agent `way`, with the threshold and extra "K=V"
 * environment entries (NULL-terminated, or NULL), within timeout_s (the test fails past it). */
void bt_run(struct bt_run *r, enum bt_way way, const char *threshold_ms, char *const cmd[],
            char *const env[], int timeout_s);
void bt_free(struct bt_run *r);

/* The host's exit status: the process's own (direct) or the one run passed on. */
int bt_status(const struct bt_run *r);

/* processes[] entries with this pid, and (image) that image: 0 is the first. NULL if none. */
json_t *bt_process(json_t *report, int64_t pid, int image);
/* The number of processes[] entries with this pid. */
size_t bt_images(json_t *report, int64_t pid);

/* The names in dir (NULL-terminated, malloc'd; free with bt_names_free). */
char **bt_dir_names(const char *dir);
void bt_names_free(char **names);

/* An unsigned number printed after key in text ("child 1234 exited"), or -1. */
long long bt_number_after(const char *text, const char *key);

/* 1 when fn is among the stall's calls. */
int bt_stall_has_call(json_t *stall, const char *fn);
/* 1 for a stall a starved machine can make of any iteration, which a test that wants a host's
 * own stalls passes over: one on the CPU (the copy-on-write faults after a fork, an exit's lazy
 * binding), or one a third or more spent waiting for a CPU (a call that returns at once, kept
 * on the run queue: a blocking stall, since its time is a call's). */
int bt_stall_of_a_starved_machine(json_t *stall);

#endif
