/* test-hostile-idle.c -- an idle host is left alone: its watcher (the agent's thread, or run's
 * collector) sleeps while every loop waits (about one wake-up a second instead of one every
 * threshold), and the loop that begins an iteration wakes it, so that a stall after a long idle
 * is still sampled as it runs. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "battery.h"

Test(idle, a_host_idle_for_a_second_wakes_its_watcher_a_few_times_not_twenty)
{
    char *target = ls_target("idle-then-burn");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "50", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        long wakeups = bt_number_after(r.proc.out, "watcher wake-ups in 1 s: ");
        cr_assert_geq(wakeups, 0, "%s: the host found no watcher: %s", bt_way_name[way],
                      r.proc.out);
        /* Awake, it ticks once a threshold while every loop waits: 20 times in that second.
         * Under run a doze is two wake-ups (the collector's and its doze thread's). */
        cr_assert_leq(wakeups, 8, "%s: the watcher woke %ld times in a second of idle",
                      bt_way_name[way], wakeups);
        bt_free(&r);
    }
    free(target);
}

Test(idle, a_cpu_stall_that_begins_after_a_second_of_idle_is_sampled_all_along)
{
    char *target = ls_target("idle-then-burn");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "50", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s:%s", bt_way_name[way],
                     ls_describe_stalls(r.report));
        json_t *s = ls_report_stall(r.report, 0);
        cr_assert_str_eq(ls_json_str(s, "class"), "cpu", "%s", bt_way_name[way]);
        /* 150 ms at 50 ms: samples from 25 ms on, 6 ms apart, eight at most. */
        size_t n = json_array_size(json_object_get(s, "samples"));
        cr_assert_geq(n, 6, "%s: %zu samples of a 150 ms CPU stall", bt_way_name[way], n);
        cr_assert(ls_stall_has_symbol(s, "host_burn"), "%s", bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}
