/* test-lifecycle-loops.c -- loops are found where they really are: a child forked from a loop
 * thread reports its own loop and stall, a loop a host library ran in its constructor neither
 * makes a phantom stall nor hides the real loop, a thread that moves to a new epoll fd moves its
 * loop, and 100 short-lived loop threads in a row are all tracked in reused slots. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "battery.h"

static json_t *only_loop(json_t *proc, const char *what)
{
    json_t *loops = json_object_get(proc, "loops");
    cr_assert_eq(json_array_size(loops), 1, "%s: one loop", what);
    return json_array_get(loops, 0);
}

/* The stalls of proc with a nanosleep in them (the host's own, host_block), the first of them in
 * *first; none other may be there but those a starved machine makes of any iteration. */
static size_t sleep_stalls(json_t *proc, json_t **first)
{
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(json_object_get(proc, "stalls"), i, s)
    {
        if (bt_stall_has_call(s, "nanosleep")) {
            if (!n++) *first = s;
        } else if (!bt_stall_of_a_starved_machine(s)) {
            return (size_t)-1;
        }
    }
    return n;
}

Test(loops, a_child_forked_from_a_loop_thread_reports_its_own_loop_and_stall)
{
    char *target = ls_target("fork-child-loop");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        const char *w = bt_way_name[way];
        cr_assert_eq(bt_status(&r), 0, "%s: %s", w, r.proc.err);
        long long child_fd = bt_number_after(r.proc.out, "child loop fd ");
        long long parent_fd = bt_number_after(r.proc.out, "parent loop fd ");
        json_t *procs = json_object_get(r.report, "processes");
        cr_assert_eq(json_array_size(procs), 2, "%s:%s", w, ls_describe_stalls(r.report));
        json_t *parent = json_array_get(procs, 0), *child = json_array_get(procs, 1);
        cr_assert_eq(ls_json_u64(child, "ppid"), ls_json_u64(parent, "pid"), "%s", w);
        cr_assert_eq(ls_json_u64(only_loop(parent, w), "fd"), (uint64_t)parent_fd, "%s", w);
        json_t *loop = only_loop(child, w);
        cr_assert_eq(ls_json_u64(loop, "fd"), (uint64_t)child_fd, "%s: the child's own epoll fd",
                     w);
        cr_assert_eq(ls_json_u64(loop, "tid"), ls_json_u64(child, "pid"), "%s", w);
        cr_assert_geq(ls_json_u64(loop, "iterations"), 10, "%s: the child's own iterations", w);
        json_t *s = NULL;
        cr_assert_eq(sleep_stalls(child, &s), 1, "%s: only the child's own stall:%s", w,
                     ls_describe_stalls(r.report));
        uint64_t wall = ls_json_u64(s, "wall_ns"), start = ls_json_u64(s, "start_ns");
        cr_assert(wall >= 49 * LS_MS && wall <= 90 * LS_MS, "%s: %.1f ms", w, wall / 1e6);
        cr_assert_lt(start + wall, ls_json_u64(child, "uptime_ns"),
                     "%s: the stall (at %llu ns) lies inside the child's life", w,
                     (unsigned long long)start);
        json_t *ps = NULL;
        cr_assert_eq(sleep_stalls(parent, &ps), 1, "%s: the parent's 30 ms stall:%s", w,
                     ls_describe_stalls(r.report));
        cr_assert_geq(ls_json_u64(ps, "wall_ns"), 29 * LS_MS, "%s", w);
        bt_free(&r);
    }
    free(target);
}

Test(loops, a_loop_run_in_a_host_librarys_constructor_makes_no_phantom_stall)
{
    char *target = ls_target("ctor-epoll-host");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        const char *w = bt_way_name[way];
        cr_assert_eq(bt_status(&r), 0, "%s: %s", w, r.proc.err);
        cr_assert_null(strstr(r.proc.err, "stuck"), "%s: no hang was announced: %s", w, r.proc.err);
        long long loop_fd = bt_number_after(r.proc.out, "loop fd ");
        cr_assert_not_null(r.report, "%s: no report", w);
        json_t *proc = ls_report_process(r.report, 0);
        cr_assert_eq(ls_json_u64(only_loop(proc, w), "fd"), (uint64_t)loop_fd,
                     "%s: the loop is main's, on fd %lld", w, loop_fd);
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s: only the real 40 ms stall:%s", w,
                     ls_describe_stalls(r.report));
        uint64_t wall = ls_json_u64(ls_report_stall(r.report, 0), "wall_ns");
        cr_assert(wall >= 39 * LS_MS && wall <= 80 * LS_MS, "%s: %.1f ms", w, wall / 1e6);
        bt_free(&r);
    }
    free(target);
}

Test(loops, a_thread_that_keeps_waiting_on_a_new_epoll_fd_moves_its_loop_there)
{
    char *target = ls_target("switch-epoll");
    char *cmd[] = {target, "move", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        const char *w = bt_way_name[way];
        cr_assert_eq(bt_status(&r), 0, "%s: %s", w, r.proc.err);
        long long second = bt_number_after(r.proc.out, "second fd ");
        json_t *loop = only_loop(ls_report_process(r.report, 0), w);
        cr_assert_eq(ls_json_u64(loop, "fd"), (uint64_t)second, "%s: the loop moved to fd %lld", w,
                     second);
        /* 20 on the first fd and 60 on the second, less the 16 waits it took to tell. */
        cr_assert_geq(ls_json_u64(loop, "iterations"), 60, "%s: both loops' iterations count", w);
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s: only the real stall:%s", w,
                     ls_describe_stalls(r.report));
        json_t *s = ls_report_stall(r.report, 0);
        uint64_t wall = ls_json_u64(s, "wall_ns");
        cr_assert(wall >= 39 * LS_MS && wall <= 80 * LS_MS, "%s: %.1f ms", w, wall / 1e6);
        cr_assert_str_eq(ls_stall_culprit(s), "nanosleep", "%s", w);
        bt_free(&r);
    }
    free(target);
}

Test(loops, a_nested_loop_deeper_in_the_stack_stays_a_blocking_call_however_often_it_waits)
{
    char *target = ls_target("switch-epoll");
    char *cmd[] = {target, "nested", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        const char *w = bt_way_name[way];
        cr_assert_eq(bt_status(&r), 0, "%s: %s", w, r.proc.err);
        long long first = bt_number_after(r.proc.out, "first fd ");
        json_t *loop = only_loop(ls_report_process(r.report, 0), w);
        cr_assert_eq(ls_json_u64(loop, "fd"), (uint64_t)first, "%s: the loop stays on fd %lld", w,
                     first);
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s: the nested loop's stall:%s", w,
                     ls_describe_stalls(r.report));
        json_t *s = ls_report_stall(r.report, 0);
        cr_assert_geq(ls_json_u64(s, "wall_ns"), 30 * LS_MS, "%s", w);
        /* 30 waits of 1 ms: too short each to be kept with a stack, all counted as blocked. */
        cr_assert_str_eq(ls_json_str(s, "class"), "blocking", "%s", w);
        cr_assert_geq(ls_json_u64(s, "blocked_ns"), 25 * LS_MS, "%s", w);
        cr_assert_geq(ls_json_u64(s, "call_count"), 30, "%s: the nested waits are its calls", w);
        bt_free(&r);
    }
    free(target);
}

Test(loops, a_hundred_short_lived_loop_threads_in_a_row_are_all_tracked)
{
    char *target = ls_target("many-loop-threads");
    char *cmd[] = {target, "100", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 60);
        const char *w = bt_way_name[way];
        cr_assert_eq(bt_status(&r), 0, "%s: %s", w, r.proc.err);
        json_t *proc = ls_report_process(r.report, 0);
        json_t *loops = json_object_get(proc, "loops");
        cr_assert_eq(json_array_size(loops), 100, "%s: %zu loops", w, json_array_size(loops));
        size_t i;
        json_t *l;
        json_array_foreach(loops, i, l)
        {
            cr_assert(json_is_true(json_object_get(l, "exited")), "%s: loop %zu exited", w, i);
            cr_assert_eq(ls_json_u64(l, "dropped"), 0, "%s", w);
        }
        cr_assert_eq(ls_report_stall_count(r.report), 100, "%s: each thread's stall", w);
        for (size_t k = 0; k < 100; k++) {
            json_t *s = ls_report_stall(r.report, k);
            cr_assert_not_null(ls_report_loop_of_tid(r.report, ls_json_u64(s, "tid")),
                               "%s: stall %zu belongs to a reported loop", w, k);
        }
        cr_assert_eq(ls_json_u64(proc, "dropped"), 0, "%s: no stall lost", w);
        cr_assert_eq(ls_json_u64(proc, "loops_dropped"), 0, "%s: no loop untracked", w);
        bt_free(&r);
    }
    free(target);
}
