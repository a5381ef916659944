/* test-redis-daemon.c -- `redis-server --daemonize yes` with an always-fsynced AOF under
 * `loopstall run`, the AOF's fsync slowed down, stopped with `redis-cli shutdown`. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

/* strace shows what Redis 7 calls on its AOF with appendfsync always: fdatasync (redis_fsync
 * on Linux) on appendonlydir/appendonly.aof.1.incr.aof, from the main thread, after each write
 * command; fsync once at startup on the new manifest. */
#define FSYNC_RULE "fsync+fdatasync:delay=60ms,path=*appendonly*"
#define SETS       3

struct redis {
    char *dir;
    char *pidfile;
    char *log;
    int port;
    char portstr[16];
};

static struct redis redis_make(void)
{
    ls_require_program("redis-server");
    ls_require_program("redis-cli");
    struct redis r = {.dir = ls_tmpdir(), .port = ls_free_port()};
    r.pidfile = ls_path_join(r.dir, "redis.pid");
    r.log = ls_path_join(r.dir, "redis.log");
    snprintf(r.portstr, sizeof r.portstr, "%d", r.port);
    return r;
}

static void redis_free(struct redis *r)
{
    free(r->pidfile);
    free(r->log);
    ls_tmpdir_cleanup(r->dir);
}

/* The daemonizing start command: AOF on, fsynced after every write, everything in dir. */
static void redis_argv(struct redis *r, char **argv)
{
    // clang-format off
    char *a[] = {"redis-server", "--port", r->portstr, "--bind", "127.0.0.1",
                 "--daemonize", "yes", "--pidfile", r->pidfile, "--logfile", r->log,
                 "--dir", r->dir, "--save", "", "--appendonly", "yes",
                 "--appendfsync", "always", NULL};
    // clang-format on
    memcpy(argv, a, sizeof a);
}

/* redis-cli -p PORT ARGS...: its output; fails the test on a bad status. */
static char *cli(struct redis *r, const char *a1, const char *a2, const char *a3)
{
    char *argv[] = {"redis-cli", "-p", r->portstr, (char *)a1, (char *)a2, (char *)a3, NULL};
    struct ls_proc_result res = ls_run_argv(argv, NULL, 10);
    cr_assert_eq(res.status, 0, "redis-cli %s exited %d: %s%s", a1, res.status, res.out, res.err);
    free(res.err);
    return res.out;
}

/* SETS writes and one read; returns every reply, in order (malloc'd). */
static char *write_and_read(struct redis *r)
{
    /* A service idles between its start and its first client: the stalls are served ones. */
    usleep(200 * 1000);
    char *all = calloc(1, 4096);
    for (int i = 0; i < SETS; i++) {
        char key[16], val[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        char *out = cli(r, "SET", key, val);
        cr_assert_str_eq(out, "OK\n");
        strcat(all, out);
        free(out);
    }
    char *out = cli(r, "GET", "k1", NULL);
    cr_assert_str_eq(out, "v1\n");
    strcat(all, out);
    free(out);
    return all;
}

Test(redis_daemon, aof_fsync_stalls_of_the_daemon_are_merged_after_redis_cli_shutdown,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct redis r = redis_make();
    char *cmd[24];
    redis_argv(&r, cmd);
    char *opts[] = {"--inject", FSYNC_RULE, NULL};
    pid_t run = ls_spawn_run(r.dir, "50", opts, cmd, NULL);
    pid_t daemon = ls_read_pidfile(r.pidfile, 15);
    ls_wait_listening(r.port, 0, 15, "redis-server", r.log);
    free(write_and_read(&r));
    /* SHUTDOWN closes the connection without a reply: redis-cli's status is not Redis's. */
    char *argv[] = {"redis-cli", "-p", r.portstr, "SHUTDOWN", NULL};
    struct ls_proc_result res = ls_run_argv(argv, NULL, 10);
    ls_proc_result_free(&res);

    char *summary = NULL;
    json_t *report = ls_finish_run(r.dir, run, 20, 0, &summary);
    cr_log_info("redis summary: %s", summary);
    cr_assert(ls_wait_gone(daemon, 5), "run returned while the Redis daemon still runs");
    cr_assert_eq(json_array_size(json_object_get(report, "losses")), 0, "run lost reports");
    json_t *p = ls_report_process_by_pid(report, daemon);
    cr_assert_not_null(p, "the daemon (pid %d) is not in the report", (int)daemon);
    json_t *stalls = json_object_get(p, "stalls");
    size_t serving = 0, i;
    json_t *s;
    json_array_foreach(stalls, i, s)
    {
        cr_assert_eq(ls_json_u64(s, "tid"), (uint64_t)daemon, "a stall off Redis's main thread");
        const char *fn = ls_stall_culprit(s);
        cr_assert(fn && (!strcmp(fn, "fdatasync") || !strcmp(fn, "fsync")), "culprit %s", fn);
        const char *target = ls_json_str(json_array_get(json_object_get(s, "calls"), 0), "target");
        cr_assert(target && strstr(target, "/appendonlydir/appendonly.aof"), "target %s", target);
        cr_assert_geq(ls_json_u64(s, "wall_ns"), 59 * LS_MS);
        const char *phase = ls_json_str(s, "phase");
        serving += !phase || !strcmp(phase, "serving");
    }
    /* One stall per SET (flushAppendOnlyFile, before the loop sleeps) and one at SHUTDOWN. */
    cr_assert_eq(serving, SETS + 1, "want a serving stall per SET and one at SHUTDOWN, got:%s",
                 ls_describe_stalls_where(report));
    size_t at_flush = 0, at_shutdown = 0;
    json_array_foreach(stalls, i, s)
    {
        at_flush += ls_stall_has_symbol(s, "flushAppendOnlyFile");
        at_shutdown += ls_stall_has_symbol(s, "finishShutdown");
    }
    cr_assert_eq(at_flush, SETS, "%zu stalls in flushAppendOnlyFile, want %d", at_flush, SETS);
    cr_assert_eq(at_shutdown, 1);
    free(summary);
    json_decref(report);
    redis_free(&r);
}

Test(redis_daemon, the_advice_for_an_aof_fsync_stall_names_appendfsync, .fini = ls_service_kill_all,
     .timeout = 60)
{
    struct redis r = redis_make();
    char *cmd[24];
    redis_argv(&r, cmd);
    char *opts[] = {"-q", "--inject", FSYNC_RULE, NULL};
    pid_t run = ls_spawn_run(r.dir, "50", opts, cmd, NULL);
    ls_read_pidfile(r.pidfile, 15);
    ls_wait_listening(r.port, 0, 15, "redis-server", r.log);
    free(write_and_read(&r));
    char *argv[] = {"redis-cli", "-p", r.portstr, "SHUTDOWN", NULL};
    struct ls_proc_result res = ls_run_argv(argv, NULL, 10);
    ls_proc_result_free(&res);
    json_decref(ls_finish_run(r.dir, run, 20, 0, NULL));
    char *json = ls_path_join(r.dir, "r.json");
    char *report_argv[] = {(char *)ls_loopstall_bin(), "report", json, NULL};
    struct ls_proc_result text = ls_run_argv(report_argv, NULL, 20);
    cr_assert_eq(text.status, 0, "loopstall report: %s", text.err);
    cr_assert(strstr(text.out, "fdatasync"), "the report does not name fdatasync:\n%s", text.out);
    /* The command line says appendfsync too: only the advice lines count. */
    int advice_lines = 0, names_it = 0;
    for (char *l = strstr(text.out, "advice:"); l; l = strstr(l + 1, "advice:")) {
        char *nl = strchr(l, '\n');
        if (nl) *nl = '\0';
        advice_lines++;
        names_it |= strstr(l, "appendfsync") != NULL;
        if (nl) *nl = '\n';
    }
    cr_assert_gt(advice_lines, 0, "the report gives no advice:\n%s", text.out);
    cr_assert(names_it, "the advice for Redis's AOF fsync does not name appendfsync:\n%s",
              text.out);
    ls_proc_result_free(&text);
    free(json);
    redis_free(&r);
}

/* Starts the daemon plain or under `loopstall run -q`, writes, reads, shuts it down; returns the
 * start command's result, with every client reply appended to its stdout. */
static struct ls_proc_result start_use_stop(struct redis *r, int under_agent)
{
    char *cmd[32];
    redis_argv(r, cmd + 3);
    char **argv = cmd + 3;
    if (under_agent) {
        cmd[0] = (char *)ls_loopstall_bin();
        cmd[1] = "run";
        cmd[2] = "-q";
        argv = cmd;
    }
    const char *name = under_agent ? "agent" : "plain";
    pid_t pid = ls_spawn(argv, NULL, r->dir, name);
    pid_t daemon = ls_read_pidfile(r->pidfile, 15);
    ls_wait_listening(r->port, 0, 15, "redis-server", r->log);
    char *replies = write_and_read(r);
    char *sd[] = {"redis-cli", "-p", r->portstr, "SHUTDOWN", NULL};
    struct ls_proc_result res = ls_run_argv(sd, NULL, 10);
    ls_proc_result_free(&res);
    struct ls_proc_result out = {.status = ls_wait_exit(pid, 20)};
    cr_assert(ls_wait_gone(daemon, 10), "redis did not shut down");
    unlink(r->pidfile);
    char file[64];
    snprintf(file, sizeof file, "%s.out", name);
    char *o = ls_path_join(r->dir, file);
    snprintf(file, sizeof file, "%s.err", name);
    char *e = ls_path_join(r->dir, file);
    char *text = ls_file_text(o);
    out.out = malloc(strlen(text) + strlen(replies) + 1);
    strcpy(out.out, text);
    strcat(out.out, replies);
    out.err = ls_file_text(e);
    free(text);
    free(replies);
    free(o);
    free(e);
    return out;
}

Test(redis_daemon, answers_prints_and_exits_the_same_under_loopstall_as_without_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct redis r = redis_make();
    struct ls_proc_result plain = start_use_stop(&r, 0);
    struct ls_proc_result agent = start_use_stop(&r, 1);
    cr_assert_eq(agent.status, plain.status);
    cr_assert_str_eq(agent.out, plain.out);
    cr_assert_str_eq(agent.err, plain.err);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    redis_free(&r);
}
