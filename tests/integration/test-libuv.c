/* test-libuv.c -- a libuv program with a known pattern of stalls, observed without recompiling it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ls_test.h"

static json_t *report;

static void run_uv_stalls(void)
{
    char *target = ls_target("uv-stalls");
    char *cmd[] = {target, NULL};
    struct ls_proc_result r;
    report = ls_loopstall_run("20", NULL, cmd, &r);
    cr_assert_eq(r.status, 0, "uv-stalls failed: %s", r.err);
    cr_assert_str_eq(r.out, "ticks 20\n", "the program's own output must not change");
    ls_proc_result_free(&r);
    free(target);
}

static void drop_report(void)
{
    json_decref(report);
}

TestSuite(libuv, .init = run_uv_stalls, .fini = drop_report);

Test(libuv, the_main_thread_is_the_only_loop_and_its_iterations_are_counted)
{
    cr_assert_eq(ls_report_loop_count(report), 1);
    json_t *proc = ls_report_process(report, 0);
    json_t *loop = json_array_get(json_object_get(proc, "loops"), 0);
    cr_assert_eq(ls_json_u64(loop, "tid"), ls_json_u64(proc, "pid"));
    cr_assert_geq(ls_json_u64(loop, "iterations"), 20);
    json_t *it = json_object_get(loop, "iteration_ns");
    cr_assert_lt(ls_json_u64(it, "p50"), 5 * LS_MS, "most iterations are short");
    cr_assert_geq(ls_json_u64(it, "max"), 70 * LS_MS, "the longest is one of the stalls");
}

Test(libuv, three_stalls_are_found_in_the_order_they_happened)
{
    cr_assert_eq(ls_report_stall_count(report), 3);
}

Test(libuv, the_sleep_is_a_blocking_stall_naming_usleep_and_its_caller)
{
    json_t *s = ls_report_stall(report, 0);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert_str_eq(ls_stall_culprit(s), "usleep");
    cr_assert_geq(ls_json_u64(s, "wall_ns"), 78 * LS_MS);
    cr_assert_lt(ls_json_u64(s, "wall_ns"), 130 * LS_MS);
    cr_assert_geq(ls_json_u64(s, "blocked_ns"), 78 * LS_MS);
    cr_assert(ls_stall_has_symbol(s, "on_tick"), "the stack names the callback that slept");
    json_t *frame = json_array_get(json_object_get(s, "stack"), 0);
    cr_assert_str_eq(ls_json_str(frame, "file") ? strrchr(ls_json_str(frame, "file"), '/') + 1 : "",
                     "uv-stalls.c", "debug information gives the source file");
    cr_assert_gt(ls_json_u64(frame, "line"), 0);
}

Test(libuv, the_cpu_burn_is_a_cpu_stall_with_no_blocking_call)
{
    json_t *s = ls_report_stall(report, 1);
    cr_assert_str_eq(ls_json_str(s, "class"), "cpu");
    cr_assert_geq(ls_json_u64(s, "wall_ns"), 78 * LS_MS);
    cr_assert_lt(ls_json_u64(s, "blocked_ns"), 10 * LS_MS);
    cr_assert_gt(ls_json_u64(s, "cpu_ns") + ls_json_u64(s, "runq_ns"),
                 ls_json_u64(s, "wall_ns") / 2);
}

Test(libuv, the_cpu_stall_carries_samples_that_name_the_burning_function_and_its_line)
{
    json_t *s = ls_report_stall(report, 1);
    json_t *samples = json_object_get(s, "samples");
    cr_assert_geq(json_array_size(samples), 2,
                  "sampled at least twice in 80 ms at a 20 ms threshold");
    json_t *frame = json_array_get(json_object_get(s, "stack"), 0);
    cr_assert_str_eq(ls_json_str(frame, "symbol"), "burn_cpu",
                     "the stack all samples share starts in burn_cpu");
    cr_assert(strstr(ls_json_str(frame, "file"), "uv-stalls.c"));
    cr_assert_gt(ls_json_u64(frame, "line"), 0);
    json_t *site = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(ls_report_process(report, 0), "sites"), i, x)
    {
        if (!strcmp(ls_json_str(x, "class"), "cpu")) site = x;
    }
    cr_assert_not_null(site);
    cr_assert_str_eq(ls_json_str(json_array_get(json_object_get(site, "stack"), 0), "symbol"),
                     "burn_cpu");
}

Test(libuv, the_blocking_read_names_read_and_the_pipe)
{
    json_t *s = ls_report_stall(report, 2);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert_str_eq(ls_stall_culprit(s), "read");
    json_t *call = json_array_get(json_object_get(s, "calls"), 0);
    cr_assert(strstr(ls_json_str(call, "target"), "pipe:"), "target was %s",
              ls_json_str(call, "target"));
    cr_assert_geq(ls_json_u64(s, "wall_ns"), 55 * LS_MS);
    cr_assert_lt(ls_json_u64(s, "wall_ns"), 150 * LS_MS);
}

Test(libuv, sites_aggregate_the_stalls_with_stable_ids)
{
    json_t *sites = json_object_get(ls_report_process(report, 0), "sites");
    cr_assert_eq(json_array_size(sites), 3);
    size_t i;
    json_t *s;
    json_array_foreach(sites, i, s)
    {
        cr_assert_eq(strlen(ls_json_str(s, "id")), 16);
        cr_assert_eq(ls_json_u64(s, "count"), 1);
    }
}

Test(libuv, site_ids_are_the_same_in_a_second_run)
{
    char *target = ls_target("uv-stalls");
    char *cmd[] = {target, NULL};
    json_t *again = ls_loopstall_run("20", NULL, cmd, NULL);
    json_t *a = json_object_get(ls_report_process(report, 0), "sites");
    json_t *b = json_object_get(ls_report_process(again, 0), "sites");
    cr_assert_eq(json_array_size(a), json_array_size(b));
    for (size_t i = 0; i < json_array_size(a); i++) {
        int found = 0;
        for (size_t k = 0; k < json_array_size(b); k++)
            found |= !strcmp(ls_json_str(json_array_get(a, i), "id"),
                             ls_json_str(json_array_get(b, k), "id"));
        cr_assert(found, "site %s not found again", ls_json_str(json_array_get(a, i), "id"));
    }
    json_decref(again);
    free(target);
}

Test(libuv, a_higher_threshold_keeps_only_the_longer_stalls)
{
    char *target = ls_target("uv-stalls");
    char *cmd[] = {target, NULL};
    json_t *r = ls_loopstall_run("75", NULL, cmd, NULL);
    cr_assert_eq(ls_report_stall_count(r), 2, "the 60 ms read is under a 75 ms threshold");
    json_decref(r);
    free(target);
}

Test(libuv, strict_mode_lists_the_sleep_even_under_a_threshold_nothing_reaches)
{
    char *target = ls_target("uv-stalls");
    char *cmd[] = {target, NULL};
    char *opts[] = {"--strict", NULL};
    json_t *r = ls_loopstall_run("1000", opts, cmd, NULL);
    cr_assert_eq(ls_report_stall_count(r), 0);
    json_t *calls = json_object_get(ls_report_process(r, 0), "blocking_calls");
    int saw_sleep = 0;
    size_t i;
    json_t *c;
    json_array_foreach(calls, i, c)
    {
        if (!strcmp(ls_json_str(c, "fn"), "usleep")) {
            saw_sleep = 1;
            cr_assert_eq(ls_json_u64(c, "count"), 1);
            cr_assert_str_eq(ls_json_str(json_array_get(json_object_get(c, "stack"), 0), "symbol"),
                             "on_tick");
        }
        cr_assert_str_neq(ls_json_str(c, "fn"), "read", "a read on a pipe is not disk I/O");
    }
    cr_assert(saw_sleep);
    int strict_site = 0;
    json_array_foreach(json_object_get(ls_report_process(r, 0), "sites"), i, c)
    {
        strict_site |= !strcmp(ls_json_str(c, "class"), "strict");
    }
    cr_assert(strict_site, "strict calls are sites, for diff");
    json_decref(r);
    free(target);
}
