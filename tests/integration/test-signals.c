/* test-signals.c -- the watchdog and its sampling signal never disturb the host's blocking calls.
 */
#include <criterion/criterion.h>
#include <stdio.h>
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
    cr_assert_eq(ls_report_stall_count(report), 5,
                 "close+reuse, dup2, F_SETFL, syscall(SYS_close) and close_range each give one "
                 "stall:%s",
                 ls_describe_stalls(report));
    for (size_t i = 0; i < 5; i++) {
        json_t *s = ls_report_stall(report, i);
        cr_assert_str_eq(ls_stall_culprit(s), "read", "stall %zu", i);
        cr_assert_geq(ls_json_u64(json_array_get(json_object_get(s, "calls"), 0), "wall_ns"),
                      55 * LS_MS);
    }
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}

/* The fast path depends on learning: a loop's reads of a non-blocking socket cost one fcntl
 * (F_GETFL) for the first, then none. strace -E gives the agent to the program only. */
Test(signals, a_non_blocking_socket_read_on_the_loop_is_learned_once_and_then_passed_through)
{
    const char *strace = ls_require_program("strace");
    char *dir = ls_tmpdir();
    char *log = ls_path_join(dir, "strace.log");
    char *target = ls_target("nonblock-reads");
    char preload[4200], out[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", ls_agent_path());
    snprintf(out, sizeof out, "LOOPSTALL_OUT=%s", dir);
    char *cmd[] = {(char *)strace, "-f",    "-qq", "-e", "trace=fcntl", "-o", log,
                   "-E",           preload, "-E",  out,  target,        NULL};
    struct ls_proc_result r = ls_run_argv(cmd, NULL, 60);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int fd = -1;
    cr_assert_eq(sscanf(r.out, "fd %d", &fd), 1, "stdout: %s", r.out);
    char needle[64];
    snprintf(needle, sizeof needle, "fcntl(%d, F_GETFL", fd);
    char *text = ls_read_file(log);
    int asked = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        asked++;
    cr_assert_eq(asked, 1, "the agent asked the socket's flags %d times in 200 reads:\n%s", asked,
                 text);
    free(text);
    ls_proc_result_free(&r);
    free(target);
    free(log);
    ls_tmpdir_cleanup(dir);
}

/* sendfile to a non-blocking socket still reads its file, and that read waits for the disk
 * when the page cache misses (what nginx's aio threads are for): it is timed, never passed
 * through because its socket is known never to block. */
Test(signals, a_sendfile_from_a_file_to_a_non_blocking_socket_is_timed_as_a_call_of_the_loop)
{
    char *target = ls_target("nonblock-reads");
    char *cmd[] = {target, "sendfile", NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", NULL, cmd, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(ls_report_stall_count(report), 1, "the iteration that sent the file:%s",
                 ls_describe_stalls(report));
    json_t *s = ls_report_stall(report, 0);
    cr_assert_geq(
        ls_json_u64(s, "call_count"), 20,
        "its 20 sendfiles are calls it made (the peer's reads pass through once learned)");
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}
