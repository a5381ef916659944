/* ls_test.h -- what integration tests share: run programs, under loopstall or not, and query
 * reports. */
#ifndef LS_TEST_H
#define LS_TEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define LS_MS 1000000ULL /* nanoseconds in a millisecond, for readable ranges */

struct ls_proc_result {
    int status; /* exit status, or 128+N when signal N ended it */
    char *out;  /* everything written to stdout (NUL-terminated, malloc'd) */
    char *err;  /* everything written to stderr */
};

/* Runs argv (NULL-terminated) with extra environment entries "K=V" (NULL-terminated
 * or NULL), waits at most timeout_s, captures its output. Aborts the test on failure. */
struct ls_proc_result ls_run_argv(char *const argv[], char *const env_extra[], int timeout_s);
void ls_proc_result_free(struct ls_proc_result *r);
/* This process's environment with extra "K=V" entries (NULL-terminated, or NULL) replacing
 * those of the same name: a calloc'd array of borrowed strings (free the array only). */
char **ls_env_with(char *const extra[]);

/* A fresh temporary directory for one test (removed by ls_tmpdir_cleanup). */
char *ls_tmpdir(void);
void ls_tmpdir_cleanup(char *dir);

/* Path helpers: the built command, agent, test targets, and a file under a directory. */
const char *ls_loopstall_bin(void);
const char *ls_agent_path(void);
char *ls_target(const char *name); /* LS_TARGETS_DIR/name, malloc'd */
char *ls_path_join(const char *dir, const char *name);

/* Loads a JSON file (a report); aborts the test when it is missing or invalid. */
json_t *ls_load_json(const char *path);

/* Report queries. Each returns borrowed references into the report. */
json_t *ls_report_process(json_t *report, int index);  /* processes[index] */
size_t ls_report_stall_count(json_t *report);          /* stalls over all processes */
json_t *ls_report_stall(json_t *report, size_t index); /* index-th stall over all */
size_t ls_report_loop_count(json_t *report);           /* loops over all processes */
uint64_t ls_json_u64(json_t *obj, const char *key);    /* 0 when absent */
const char *ls_json_str(json_t *obj, const char *key); /* NULL when absent */
/* The first stall's culprit call name (calls[0].fn), or NULL. */
const char *ls_stall_culprit(json_t *stall);
/* 1 when any frame of the stall's stacks (stack, calls[].stack, samples) has a symbol containing
 * sym. */
int ls_stall_has_symbol(json_t *stall, const char *sym);

/* The environment of direct use: LD_PRELOAD=<agent>, LOOPSTALL_OUT=dir, and one more
 * "K=V" entry (or NULL). env is NULL-terminated, ready for ls_run_argv. */
struct ls_preload_env {
    char preload[4200];
    char out[4200];
    char *env[4];
};
void ls_preload_env(struct ls_preload_env *e, const char *dir, char *extra);

/* Runs `loopstall run -q -t threshold_ms --json DIR/report.json [opts...] -- cmd...` in a fresh
 * temporary directory and returns the loaded report (json_decref it). opts and cmd are
 * NULL-terminated; res (optional) receives the run's status and output. */
json_t *ls_loopstall_run(const char *threshold_ms, char *const opts[], char *const cmd[],
                         struct ls_proc_result *res);

/* One line per stall ("tid, wall, class, culprit, target"), for failure messages (static buffer).
 */
const char *ls_describe_stalls(json_t *report);
/* The loop of the first process whose tid is tid, or NULL. */
json_t *ls_report_loop_of_tid(json_t *report, uint64_t tid);

/* The first interpreter frame (lang) named symbol in the stall's culprit call's stack (or its
 * own stack, then its samples), or NULL. */
json_t *ls_stall_interp_frame(json_t *stall, const char *lang, const char *symbol);

/* Installs what a test needs from the system; aborts with a clear message when a required
 * program (python3, node, redis-server) is missing instead of skipping silently. */
const char *ls_require_program(const char *name);

/* Runs the built `loopstall` with args (NULL-terminated), at most timeout_s. */
struct ls_proc_result ls_cli(char *const args[], int timeout_s);

/* A whole file as a string (malloc'd; aborts the test when it cannot be read), and its inverse. */
char *ls_read_file(const char *path);
void ls_write_file(const char *path, const char *text);

/* Validates a SARIF file against the official 2.1.0 schema (tests/schemas) with Debian's
 * python3-jsonschema; fails the test with every schema error otherwise. */
void ls_assert_valid_sarif(const char *path);

#endif
