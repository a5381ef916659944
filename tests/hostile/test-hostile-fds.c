/* test-hostile-fds.c -- the agent holds no descriptor of the host's and opens none at load: a
 * host that closes every descriptor and reuses 3 and 4 keeps them, a preloaded process's first
 * open() returns 3, the agent writes to descriptor 2 only while it is the stderr it started
 * with, and a relative LOOPSTALL_OUT is made absolute once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "battery.h"

/* The host ran to its end with its pipe intact, and its stalls were found and unwound. */
static void assert_fds_kept(const char *mode)
{
    char *target = ls_target("hostile-fds");
    char *cmd[] = {target, (char *)mode, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 60);
        cr_assert_eq(bt_status(&r), 0, "%s, %s: the host saw: %s%s", mode, bt_way_name[way],
                     r.proc.out, r.proc.err);
        cr_assert_str_eq(r.proc.out, "fds ok\n", "%s, %s", mode, bt_way_name[way]);
        cr_assert_not_null(r.report, "%s, %s: no report", mode, bt_way_name[way]);
        size_t cpu = 0, blocking = 0;
        for (size_t i = 0; i < ls_report_stall_count(r.report); i++) {
            json_t *s = ls_report_stall(r.report, i);
            if (!strcmp(ls_json_str(s, "class"), "cpu") &&
                json_array_size(json_object_get(s, "samples")) > 0 &&
                ls_stall_has_symbol(s, "host_burn"))
                cpu++;
            if (ls_stall_culprit(s) && !strcmp(ls_stall_culprit(s), "nanosleep") &&
                ls_stall_has_symbol(s, "host_block"))
                blocking++;
        }
        cr_assert_eq(cpu, 4, "%s, %s: 4 sampled CPU stalls in host_burn:%s", mode, bt_way_name[way],
                     ls_describe_stalls(r.report));
        cr_assert_eq(blocking, 4, "%s, %s: 4 unwound blocking stalls in host_block:%s", mode,
                     bt_way_name[way], ls_describe_stalls(r.report));
        bt_free(&r);
    }
    free(target);
}

Test(fds, a_host_that_closes_every_descriptor_one_by_one_keeps_its_reused_3_and_4)
{
    assert_fds_kept("closeall");
}

Test(fds, a_host_that_closes_every_descriptor_with_close_range_keeps_its_reused_3_and_4)
{
    assert_fds_kept("close_range");
}

Test(fds, the_first_descriptor_a_preloaded_process_opens_is_3)
{
    char *target = ls_target("hostile-fds");
    char *cmd[] = {target, "first", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        cr_assert_str_eq(r.proc.out, "first fd 3\n", "%s", bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}

Test(fds, an_asyncio_program_that_calls_closerange_first_runs_its_loop_and_reports)
{
    char *cmd[] = {BT_PYTHON, LS_HOSTILE_DIR "/closerange_asyncio.py", NULL};
    struct ls_proc_result bare = ls_run_argv(cmd, NULL, 30);
    cr_assert_eq(bare.status, 0, "without the agent: %s", bare.err);
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "30", cmd, NULL, 60);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        /* The same descriptors as without the agent: none of them is the agent's. */
        cr_assert_str_eq(r.proc.out, bare.out, "%s: %s", bt_way_name[way], r.proc.err);
        cr_assert_not_null(r.report, "%s: no report", bt_way_name[way]);
        int sleep_seen = 0, burn_seen = 0;
        for (size_t i = 0; i < ls_report_stall_count(r.report); i++) {
            json_t *s = ls_report_stall(r.report, i);
            if (ls_stall_interp_frame(s, "python", "main") && ls_stall_culprit(s)) sleep_seen = 1;
            if (ls_stall_interp_frame(s, "python", "burn")) burn_seen = 1;
        }
        cr_assert(sleep_seen && burn_seen, "%s: the time.sleep and the burn in main:%s",
                  bt_way_name[way], ls_describe_stalls(r.report));
        bt_free(&r);
    }
    ls_proc_result_free(&bare);
}

/* A vfork child shares the loop thread's memory but not its descriptors: the loop's epoll fd it
 * closes before its exec is its own, and the parent's iteration goes on (it was lost whole, with
 * the sleep after the wait, when the child's close ended the parent's loop); its exit after a
 * failed exec is its own too (it ended the parent's image, and every later stall was lost). */
Test(fds, a_coroutine_that_runs_a_subprocess_stalls_for_the_wait_and_the_sleep_after_it)
{
    char *cmd[] = {BT_PYTHON, LS_HOSTILE_DIR "/subprocess_asyncio.py", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "50", cmd, NULL, 60);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        cr_assert_str_eq(r.proc.out, "vfork True\nsubprocess ok\n", "%s: %s", bt_way_name[way],
                         r.proc.err);
        json_t *proc = ls_report_process(r.report, 0);
        json_t *stalls = json_object_get(proc, "stalls");
        size_t i, whole = 0;
        json_t *s;
        json_array_foreach(stalls, i, s)
        {
            uint64_t wall = ls_json_u64(s, "wall_ns");
            const char *culprit = ls_stall_culprit(s);
            if (wall >= 195 * LS_MS && wall < 1000 * LS_MS && culprit && strstr(culprit, "wait") &&
                ls_stall_interp_frame(s, "python", "handler"))
                whole++;
        }
        cr_assert_eq(whole, 2, "%s: each handler's wait and sleep, 200 ms, in one stall:%s",
                     bt_way_name[way], ls_describe_stalls(r.report));
        /* The child whose exec failed exited on the parent's memory: the parent's image went
         * on, and so did its report. */
        size_t after = 0;
        json_array_foreach(stalls, i, s)
        {
            const char *culprit = ls_stall_culprit(s);
            if (culprit && strstr(culprit, "sleep") &&
                ls_stall_interp_frame(s, "python", "after_a_failed_exec"))
                after++;
        }
        cr_assert_eq(after, 1, "%s: the sleep after a failed exec:%s", bt_way_name[way],
                     ls_describe_stalls(r.report));
        cr_assert_str_eq(ls_json_str(proc, "ended"), "exit", "%s", bt_way_name[way]);
        bt_free(&r);
    }
}

Test(fds, the_hang_line_never_goes_into_a_data_file_the_host_put_on_descriptor_2)
{
    char *target = ls_target("hostile-fds");
    char *data_dir = ls_tmpdir();
    char *data = ls_path_join(data_dir, "data.txt");
    char *cmd[] = {target, "stderr", data, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.out);
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s: the hang is reported",
                     bt_way_name[way]);
        FILE *f = fopen(data, "r");
        char got[256] = "";
        size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
        got[n] = '\0';
        if (f) fclose(f);
        cr_assert_str_eq(got, "data\n", "%s: the data file holds only the host's data",
                         bt_way_name[way]);
        /* Under run the line is run's own, on run's stderr. */
        if (way == BT_RUN)
            cr_assert(strstr(r.proc.err, "has been stuck for"), "run: %s", r.proc.err);
        bt_free(&r);
    }
    free(data);
    ls_tmpdir_cleanup(data_dir);
    free(target);
}

Test(fds, a_relative_loopstall_out_means_the_directory_the_process_started_in)
{
    char *target = ls_target("hostile-fds");
    char *dir = ls_tmpdir();
    char script[8192];
    snprintf(script, sizeof script,
             "cd '%s' && exec env LD_PRELOAD='%s' LOOPSTALL_OUT=reports '%s' chdir", dir,
             ls_agent_path(), target);
    char *cmd[] = {"/bin/sh", "-c", script, NULL};
    struct ls_proc_result r = ls_run_argv(cmd, NULL, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "chdir ok\n");
    char *reports = ls_path_join(dir, "reports");
    char **names = bt_dir_names(reports);
    cr_assert(names[0] && !strncmp(names[0], "loopstall.", 10) && !names[1],
              "one report in %s, where the process started", reports);
    bt_names_free(names);
    cr_assert_neq(access("/reports", F_OK), 0, "nothing was made in the directory it moved to");
    free(reports);
    ls_proc_result_free(&r);
    ls_tmpdir_cleanup(dir);
    free(target);
}
