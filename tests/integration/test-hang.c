/* test-hang.c -- a loop hung in read() is reported while it hangs, and the report survives SIGTERM
 * and SIGKILL. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ls_test.h"

/* Starts argv in the background with extra environment; returns its pid. */
static pid_t spawn(char *const argv[], char *const env[])
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        for (int i = 0; env && env[i]; i++)
            putenv(env[i]);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to 5 s for path to exist and hold an ongoing stall. */
static json_t *wait_for_ongoing(const char *path)
{
    for (int i = 0; i < 100; i++) {
        usleep(50000);
        json_error_t e;
        json_t *j = json_load_file(path, 0, &e);
        if (!j) continue;
        json_t *s = ls_report_stall(j, 0);
        if (s && json_is_true(json_object_get(s, "ongoing"))) return j;
        json_decref(j);
    }
    cr_assert_fail("no ongoing stall appeared in %s", path);
    return NULL;
}

static void assert_hung_in_read(json_t *report)
{
    cr_assert_eq(ls_report_stall_count(report), 1);
    json_t *s = ls_report_stall(report, 0);
    cr_assert(json_is_true(json_object_get(s, "ongoing")));
    cr_assert_str_eq(ls_stall_culprit(s), "read");
    json_t *call = json_array_get(json_object_get(s, "calls"), 0);
    cr_assert(strstr(ls_json_str(call, "target"), "pipe:"));
    cr_assert_geq(ls_json_u64(s, "wall_ns"), 20 * LS_MS);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
}

/* Starts epoll-hang (mode NULL: hangs in read; "spin": on the CPU) under the agent; returns
 * its pid, and where its report will be. */
static pid_t start_hung(const char *mode, char *dir, char **path)
{
    struct ls_preload_env e;
    ls_preload_env(&e, dir, NULL);
    char *target = ls_target("epoll-hang");
    char *argv[] = {target, (char *)mode, NULL};
    pid_t pid = spawn(argv, e.env);
    free(target);
    char name[64];
    snprintf(name, sizeof name, "loopstall.%d.json", (int)pid);
    *path = ls_path_join(dir, name);
    return pid;
}

Test(hang, a_loop_hung_in_read_is_reported_ongoing_while_it_hangs_and_after_sigkill)
{
    char *dir = ls_tmpdir(), *path;
    pid_t pid = start_hung(NULL, dir, &path);
    json_t *live = wait_for_ongoing(path);
    assert_hung_in_read(live);
    json_decref(live);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    json_t *after = ls_load_json(path);
    assert_hung_in_read(after);
    json_decref(after);
    free(path);
    ls_tmpdir_cleanup(dir);
}

Test(hang, a_loop_hung_on_the_cpu_is_reported_ongoing_with_samples_naming_the_function)
{
    char *dir = ls_tmpdir(), *path;
    pid_t pid = start_hung("spin", dir, &path);
    usleep(600000); /* many thresholds: samples accumulate and the report is rewritten */
    json_t *live = wait_for_ongoing(path);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    json_decref(live);
    /* The agent keeps raw frames; `loopstall report` names them from debug information. */
    char *merged = ls_path_join(dir, "merged.json");
    char *rep[] = {(char *)ls_loopstall_bin(), "report", path, "--json", merged, NULL};
    struct ls_proc_result r = ls_run_argv(rep, NULL, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    json_t *after = ls_load_json(merged);
    free(merged);
    cr_assert_eq(ls_report_stall_count(after), 1);
    json_t *s = ls_report_stall(after, 0);
    cr_assert(json_is_true(json_object_get(s, "ongoing")));
    cr_assert_null(ls_stall_culprit(s), "no call: it is computing");
    cr_assert_geq(json_array_size(json_object_get(s, "samples")), 2);
    cr_assert(ls_stall_has_symbol(s, "spin_forever"), "samples name the spinning function");
    cr_assert_gt(ls_json_u64(s, "cpu_ns") + ls_json_u64(s, "runq_ns"),
                 ls_json_u64(s, "wall_ns") / 2);
    json_decref(after);
    free(path);
    ls_tmpdir_cleanup(dir);
}

Test(hang, loopstall_run_passes_sigterm_on_and_reports_the_ongoing_stall)
{
    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "r.json");
    char *target = ls_target("epoll-hang");
    char *argv[] = {(char *)ls_loopstall_bin(), "run", "-q", "--json", json, "--", target, NULL};
    pid_t pid = spawn(argv, NULL);
    usleep(700000);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 128 + SIGTERM, "run exits as the command did: 128+SIGTERM");
    json_t *r = ls_load_json(json);
    cr_assert_eq(json_integer_value(json_object_get(r, "exit_status")), 128 + SIGTERM);
    assert_hung_in_read(r);
    json_decref(r);
    free(json);
    free(target);
    ls_tmpdir_cleanup(dir);
}
