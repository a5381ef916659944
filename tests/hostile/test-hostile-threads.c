/* test-hostile-threads.c -- the agent creates keys, threads and handlers only on its own code
 * paths, and holds nothing across a fork: a host library that makes a thread and a key in its
 * constructor (before the agent's) keeps its key, and a multithreaded host that forks hundreds
 * of times while the watcher writes never leaves a child hung; under run a single-threaded host
 * stays single-threaded. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "battery.h"

Test(threads, a_host_library_that_makes_a_thread_and_a_key_in_its_constructor_keeps_its_key)
{
    char *target = ls_target("ctor-tsd-host");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s%s", bt_way_name[way], r.proc.out, r.proc.err);
        cr_assert_str_eq(r.proc.out, "tsd ok\n", "%s", bt_way_name[way]);
        cr_assert_not_null(r.report, "%s: no report", bt_way_name[way]);
        cr_assert_eq(ls_report_stall_count(r.report), 1, "%s: the loop's one stall:%s",
                     bt_way_name[way], ls_describe_stalls(r.report));
        json_t *threads = json_object_get(ls_report_process(r.report, 0), "threads");
        /* The constructor's pthread_create set the agent up, so its thread counts too. */
        cr_assert_eq(ls_json_u64(threads, "created"), 13, "%s", bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}

Test(threads, a_multithreaded_host_forks_300_times_while_the_watcher_writes_and_no_child_hangs,
     .timeout = 150)
{
    char *target = ls_target("fork-storm");
    char *cmd[] = {target, "300", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        /* 5 ms: the loop stalls every tick, so there is always a report being written. */
        bt_run(&r, way, "5", cmd, NULL, 60);
        cr_assert_eq(bt_status(&r), 0, "%s: %s%s", bt_way_name[way], r.proc.out, r.proc.err);
        cr_assert_str_eq(r.proc.out, "forks ok 300\n", "%s", bt_way_name[way]);
        cr_assert_not_null(r.report, "%s: no report", bt_way_name[way]);
        /* The parent and the 150 children that ran a loop each reported, with their stall. */
        json_t *procs = json_object_get(r.report, "processes");
        cr_assert_eq(json_array_size(procs), 151, "%s: %zu processes reported", bt_way_name[way],
                     json_array_size(procs));
        size_t i;
        json_t *p;
        int children_with_a_stall = 0;
        /* What the processes without their one stall had instead, for the failure message:
         * each one's stalls, but only the count of the parent's (it stalls at every tick). */
        char odd[4096] = "";
        size_t odd_used = 0;
        json_array_foreach(procs, i, p)
        {
            /* Its one stall with the nanosleep in it. Under load any other iteration of the
             * child can run past 5 ms on the CPU or waiting for one, and that is true too: its
             * first (the copy-on-write faults after the fork), its last (the exit's lazy
             * binding, _dl_fini), one whose read of the loop's timerfd, ready at once, a
             * starved machine kept on the run queue (seen: 7.0 of 10.0 ms, 7.4 of 17.0 ms; it
             * is a blocking stall, since its time is a call's). So a stall beside the sleep's
             * counts against the child only when it is neither cpu nor a third or more spent
             * waiting for a CPU. The starved read in the nanosleep's own iteration can outlast
             * the sleep and be the stall's first call. */
            json_t *stalls = json_object_get(p, "stalls");
            size_t j, sleeps = 0, others = 0;
            json_t *s;
            json_array_foreach(stalls, j, s)
            {
                if (bt_stall_has_call(s, "nanosleep"))
                    sleeps++;
                else if (!bt_stall_of_a_starved_machine(s))
                    others++;
            }
            if (json_array_size(json_object_get(p, "loops")) == 1 && sleeps == 1 && !others &&
                json_array_size(stalls) <= 3) {
                children_with_a_stall++;
            } else if (odd_used < sizeof odd - 1) {
                json_t *alone = json_pack("{s:[O]}", "processes", p);
                int w = snprintf(
                    odd + odd_used, sizeof odd - odd_used, "\n pid %lld, %zu loops, %zu stalls%s",
                    (long long)json_integer_value(json_object_get(p, "pid")),
                    json_array_size(json_object_get(p, "loops")), json_array_size(stalls),
                    json_array_size(stalls) > 10 ? "" : ls_describe_stalls(alone));
                odd_used += w > 0 ? (size_t)w : 0;
                json_decref(alone);
            }
        }
        cr_assert_geq(children_with_a_stall, 150, "%s: %d children with their stall; the others:%s",
                      bt_way_name[way], children_with_a_stall, odd);
        bt_free(&r);
    }
    free(target);
}

/* The watcher outside the host (README "How it works"): under run a single-threaded server
 * stays single-threaded while it stalls and is sampled, and so keeps glibc's single-threaded
 * fast paths; used directly, the agent's watcher is one thread more. */
Test(threads, a_single_threaded_host_stays_single_threaded_under_run_and_gains_one_used_directly)
{
    char *target = ls_target("thread-count");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s%s", bt_way_name[way], r.proc.out, r.proc.err);
        cr_assert_eq(ls_report_stall_count(r.report), 2, "%s: the loop's two stalls:%s",
                     bt_way_name[way], ls_describe_stalls(r.report));
        long long n = bt_number_after(r.proc.out, "threads: ");
        cr_assert_eq(n, way == BT_RUN ? 1 : 2, "%s: the host has %lld threads after its stalls",
                     bt_way_name[way], n);
        bt_free(&r);
    }
    free(target);
}
