/* test-signals.c -- the watchdog and its sampling signal never disturb the host's blocking calls.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ls_test.h"

Test(signals, calls_blocked_far_past_the_threshold_never_see_eintr_or_a_short_wait)
{
    char *target = ls_target("blocked-calls");
    char *cmd[] = {target, NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", NULL, cmd, &r);
    cr_assert_eq(r.status, 0, "the program saw a disturbed call: %s", r.out);
    cr_assert_str_eq(r.out, "all calls undisturbed\n");
    cr_assert_eq(ls_report_stall_count(report), 1, "one long iteration");
    json_t *s = ls_report_stall(report, 0);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert_geq(ls_json_u64(s, "blocked_ns"), 1400 * LS_MS);
    cr_assert_geq(json_array_size(json_object_get(s, "calls")), 5);
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}

Test(signals, a_loop_stuck_ten_thresholds_is_announced_on_stderr_while_it_hangs)
{
    char *target = ls_target("uv-stalls");
    char *cmd[] = {target, NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("5", NULL, cmd, &r);
    cr_assert(strstr(r.err, "has been stuck for"), "stderr: %s", r.err);
    cr_assert(strstr(r.err, "blocked in usleep") || strstr(r.err, "running in burn_cpu"),
              "stderr: %s", r.err);
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}

Test(signals, a_descriptor_learned_as_non_blocking_is_timed_again_once_it_can_block)
{
    char *target = ls_target("fd-reuse");
    char *cmd[] = {target, NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", NULL, cmd, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(ls_report_stall_count(report), 3,
                 "close+reuse, dup2 and F_SETFL each give one stall");
    for (size_t i = 0; i < 3; i++) {
        json_t *s = ls_report_stall(report, i);
        cr_assert_str_eq(ls_stall_culprit(s), "read", "stall %zu", i);
        cr_assert_geq(ls_json_u64(json_array_get(json_object_get(s, "calls"), 0), "wall_ns"),
                      55 * LS_MS);
    }
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}
