/* test-noloop.c -- programs with no event loop behave exactly as without the agent. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ls_test.h"

static void assert_unchanged(char *const cmd[])
{
    struct ls_proc_result plain = ls_run_argv(cmd, NULL, 30);
    char *dir = ls_tmpdir();
    struct ls_preload_env e;
    ls_preload_env(&e, dir, NULL);
    struct ls_proc_result agent = ls_run_argv(cmd, e.env, 30);
    cr_assert_str_eq(agent.out, plain.out);
    cr_assert_str_eq(agent.err, plain.err);
    cr_assert_eq(agent.status, plain.status);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    ls_tmpdir_cleanup(dir);
}

Test(noloop, a_c_program_keeps_its_output_errno_and_exit_status)
{
    char *target = ls_target("no-loop");
    char *cmd[] = {target, "a b", "c", NULL};
    assert_unchanged(cmd);
    free(target);
}

Test(noloop, a_shell_pipeline_keeps_its_output_and_exit_status)
{
    char *cmd[] = {"/bin/sh", "-c",
                   "printf 'b\\na\\nc\\n' | sort | head -2; ls /proc/self/fd >/dev/null; exit 7",
                   NULL};
    assert_unchanged(cmd);
}

Test(noloop, run_reports_the_process_with_no_loop_and_passes_the_exit_status)
{
    char *target = ls_target("no-loop");
    char *cmd[] = {target, NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", NULL, cmd, &r);
    cr_assert_eq(r.status, 3);
    cr_assert_eq(json_integer_value(json_object_get(report, "exit_status")), 3);
    cr_assert_eq(ls_report_loop_count(report), 0);
    cr_assert_eq(ls_report_stall_count(report), 0);
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1,
                 "the command itself reports");
    cr_assert(strstr(r.out, "errno kept 1234"), "errno survives a wrapped call: %s", r.out);
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}
