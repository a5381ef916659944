/* test-fork.c -- a forked loop process gets its own report, with its own parent and stall. */
#include <criterion/criterion.h>

#include "ls_test.h"

Test(fork, parent_and_child_each_report_their_own_stall)
{
    char *target = ls_target("fork-loop");
    char *cmd[] = {target, NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", NULL, cmd, &r);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "child done\n");
    json_t *procs = json_object_get(report, "processes");
    cr_assert_eq(json_array_size(procs), 2);
    json_t *parent = json_array_get(procs, 0), *child = json_array_get(procs, 1);
    cr_assert_eq(ls_json_u64(child, "ppid"), ls_json_u64(parent, "pid"));
    cr_assert_eq(json_array_size(json_object_get(parent, "stalls")), 1);
    cr_assert_eq(json_array_size(json_object_get(child, "stalls")), 1);
    json_t *ps = json_array_get(json_object_get(parent, "stalls"), 0);
    json_t *cs = json_array_get(json_object_get(child, "stalls"), 0);
    cr_assert_geq(ls_json_u64(ps, "wall_ns"), 38 * LS_MS);
    cr_assert_lt(ls_json_u64(ps, "wall_ns"), 65 * LS_MS, "the parent's stall is its own 40 ms");
    cr_assert_geq(ls_json_u64(cs, "wall_ns"), 68 * LS_MS, "the child's stall is its own 70 ms");
    cr_assert_eq(ls_json_u64(cs, "tid"), ls_json_u64(child, "pid"));
    cr_assert_str_eq(ls_stall_culprit(cs), "usleep");
    json_decref(report);
    ls_proc_result_free(&r);
    free(target);
}
