/* test-lifecycle-input.c -- hostile names and values: thread names, paths and arguments that are
 * not UTF-8 still give a valid report that keeps the stalls; thresholds and limits out of range
 * are refused with the accepted range; run's diagnosis of a shell and of a process that ends
 * with _exit says what it knows. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "battery.h"

Test(input, names_paths_and_arguments_that_are_not_utf8_give_a_valid_report_with_the_stalls)
{
    char *target = ls_target("bad-utf8");
    char *fifo_dir = ls_tmpdir();
    char *cmd[] = {target, fifo_dir, "\xff\xfe-arg", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        /* The report is loaded with jansson, which refuses invalid UTF-8. */
        bt_run(&r, way, "20", cmd, NULL, 30);
        const char *w = bt_way_name[way];
        cr_assert_eq(bt_status(&r), 0, "%s: %s", w, r.proc.err);
        cr_assert_str_eq(r.proc.out, "utf8 ok\n", "%s", w);
        cr_assert_not_null(r.report, "%s: no report", w);
        json_t *proc = ls_report_process(r.report, 0);
        const char *arg = json_string_value(json_array_get(json_object_get(proc, "argv"), 2));
        cr_assert(arg && strstr(arg, "-arg"), "%s: the argument is kept, made valid: %s", w,
                  arg ? arg : "(none)");
        const char *name = ls_json_str(json_array_get(json_object_get(proc, "loops"), 0), "name");
        cr_assert(name && !strncmp(name, "loop-", 5), "%s: the thread name is kept: %s", w,
                  name ? name : "(none)");
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s:%s", w, ls_describe_stalls(r.report));
        json_t *calls = json_object_get(ls_report_stall(r.report, 0), "calls");
        int open_seen = 0, read_seen = 0;
        size_t i;
        json_t *c;
        json_array_foreach(calls, i, c)
        {
            const char *fn = ls_json_str(c, "fn"), *t = ls_json_str(c, "target");
            int on_fifo = t && !strncmp(t, fifo_dir, strlen(fifo_dir)) && strstr(t, ".fifo");
            open_seen |= !strcmp(fn, "open") && on_fifo;
            read_seen |= !strcmp(fn, "read") && on_fifo;
        }
        cr_assert(open_seen && read_seen, "%s: the open and the read name the FIFO:%s", w,
                  ls_describe_stalls(r.report));
        bt_free(&r);
    }
    ls_tmpdir_cleanup(fifo_dir);
    free(target);
}

Test(input, a_threshold_of_1e_minus_9_ms_and_a_thread_limit_of_minus_1_are_refused)
{
    char *target = ls_target("exit-paths");
    char *cmd[] = {target, "exit", "blocking", NULL};
    char *env[] = {"LOOPSTALL_THRESHOLD_MS=1e-9", "LOOPSTALL_THREAD_LIMIT=-1", NULL};
    /* Direct use reads them from the environment, as the agent's only configuration. */
    char preload[4200], out[4200];
    char *dir = ls_tmpdir();
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", ls_agent_path());
    snprintf(out, sizeof out, "LOOPSTALL_OUT=%s", dir);
    char *direct[] = {preload, out, env[0], env[1], NULL};
    struct ls_proc_result p = ls_run_argv(cmd, direct, 30);
    cr_assert_eq(p.status, 4, "the host runs on: %s", p.err);
    cr_assert(strstr(p.err, "LOOPSTALL_THRESHOLD_MS=1e-9 ignored: expected milliseconds from "
                            "0.1 to 3600000"),
              "%s", p.err);
    cr_assert(strstr(p.err, "LOOPSTALL_THREAD_LIMIT=-1 ignored: expected a number of threads "
                            "from 1 to 1000000"),
              "%s", p.err);
    cr_assert_null(strstr(p.err, "stuck"), "no iteration became a hang: %s", p.err);
    char *merged = ls_path_join(dir, "merged.json");
    char *rep[] = {(char *)ls_loopstall_bin(), "report", dir, "--json", merged, NULL};
    struct ls_proc_result m = ls_run_argv(rep, NULL, 30);
    cr_assert_eq(m.status, 0, "%s", m.err);
    json_t *report = ls_load_json(merged);
    cr_assert_eq(ls_json_u64(report, "threshold_ns"), 20 * LS_MS, "the default threshold");
    cr_assert_eq(ls_report_stall_count(report), 1, "only the 60 ms stall:%s",
                 ls_describe_stalls(report));
    json_t *threads = json_object_get(ls_report_process(report, 0), "threads");
    cr_assert_lt(ls_json_u64(threads, "limit"), 1000001, "not 2^64-1");
    json_decref(report);
    ls_proc_result_free(&m);
    ls_proc_result_free(&p);
    free(merged);
    ls_tmpdir_cleanup(dir);
    /* Under run the limit comes from the environment as well. */
    char *limit[] = {env[1], NULL};
    struct bt_run r;
    bt_run(&r, BT_RUN, "20", cmd, limit, 30);
    cr_assert_eq(bt_status(&r), 4, "%s", r.proc.err);
    cr_assert(strstr(r.proc.err, "LOOPSTALL_THREAD_LIMIT=-1 ignored"), "%s", r.proc.err);
    bt_free(&r);
    free(target);
}

/* run's own lines on stderr, for a command that left a report. */
static void assert_plain_diagnosis(const struct bt_run *r, const char *what)
{
    cr_assert_null(strstr(r->proc.err, "left no report"), "%s: %s", what, r->proc.err);
    cr_assert_null(strstr(r->proc.err, "static"), "%s: %s", what, r->proc.err);
    cr_assert_null(strstr(r->proc.err, "setuid"), "%s: %s", what, r->proc.err);
    cr_assert_null(strstr(r->proc.err, "not loaded"), "%s: %s", what, r->proc.err);
}

Test(input, run_says_what_it_knows_of_a_shell_and_of_a_process_that_ends_with__exit)
{
    char *sh[] = {"/bin/sh", "-c", "exit 3", NULL};
    struct bt_run r;
    bt_run(&r, BT_RUN, "20", sh, NULL, 30);
    cr_assert_eq(bt_status(&r), 3);
    assert_plain_diagnosis(&r, "sh -c");
    cr_assert_eq(json_array_size(json_object_get(r.report, "processes")), 1,
                 "the shell itself is reported, with no loop");
    cr_assert_eq(ls_report_loop_count(r.report), 0);
    bt_free(&r);

    char *target = ls_target("exit-paths");
    char *ex[] = {target, "_exit", "blocking", NULL};
    bt_run(&r, BT_RUN, "20", ex, NULL, 30);
    cr_assert_eq(bt_status(&r), 4);
    assert_plain_diagnosis(&r, "_exit");
    cr_assert_eq(ls_report_stall_count(r.report), 1, "%s", ls_describe_stalls(r.report));
    bt_free(&r);

    char *sh_exit[] = {"/bin/sh", "-c", "true; exec \"$0\" _exit cpu", target, NULL};
    bt_run(&r, BT_RUN, "20", sh_exit, NULL, 30);
    cr_assert_eq(bt_status(&r), 4);
    assert_plain_diagnosis(&r, "sh -c exec");
    cr_assert_eq(ls_report_stall_count(r.report), 1, "%s", ls_describe_stalls(r.report));
    bt_free(&r);
    free(target);
}
