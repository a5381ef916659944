/* test-lifecycle-children.c -- children started with an environment of their own making are
 * still observed (C execve and posix_spawn, an empty environment, Python's subprocess.run and
 * asyncio.create_subprocess_exec), and a loop that execs itself leaves one report per image,
 * merged as one process with its images in order. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "battery.h"

/* The child (pid) reported its one 50 ms blocking stall. */
static void assert_child_observed(json_t *report, long long pid, const char *what)
{
    json_t *p = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(report, "processes"), i, x)
    {
        if (json_integer_value(json_object_get(x, "pid")) == pid) p = x;
    }
    cr_assert_not_null(p, "%s: the child %lld is not in the report", what, pid);
    json_t *stalls = json_object_get(p, "stalls");
    cr_assert_eq(json_array_size(stalls), 1, "%s: the child's one stall:%s", what,
                 ls_describe_stalls(report));
    uint64_t wall = ls_json_u64(json_array_get(stalls, 0), "wall_ns");
    cr_assert(wall >= 49 * LS_MS && wall <= 90 * LS_MS, "%s: %.1f ms", what, wall / 1e6);
}

static void assert_spawned_child_observed(const char *mode)
{
    char *target = ls_target("spawn-env");
    char *cmd[] = {target, (char *)mode, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s, %s: %s", mode, bt_way_name[way], r.proc.err);
        long long child = bt_number_after(r.proc.out, "child ");
        cr_assert_gt(child, 0, "%s, %s: %s", mode, bt_way_name[way], r.proc.out);
        cr_assert(strstr(r.proc.out, " exited 0"), "%s: %s", mode, r.proc.out);
        cr_assert_not_null(r.report, "%s, %s: no report", mode, bt_way_name[way]);
        char what[64];
        snprintf(what, sizeof what, "%s, %s", mode, bt_way_name[way]);
        assert_child_observed(r.report, child, what);
        bt_free(&r);
    }
    free(target);
}

Test(children, a_child_execve_d_with_its_own_environment_is_observed)
{
    assert_spawned_child_observed("execve");
}

Test(children, a_child_posix_spawned_with_its_own_environment_is_observed)
{
    assert_spawned_child_observed("posix_spawn");
}

Test(children, a_child_execve_d_with_an_empty_environment_is_observed)
{
    assert_spawned_child_observed("empty");
}

Test(children, python_children_started_with_env_by_subprocess_and_asyncio_are_observed)
{
    char *cmd[] = {BT_PYTHON, LS_LIFECYCLE_DIR "/spawn_env.py", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "30", cmd, NULL, 60);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        cr_assert_str_eq(r.proc.out, "children 0 0\n", "%s", bt_way_name[way]);
        cr_assert_not_null(r.report, "%s: no report", bt_way_name[way]);
        /* Two children, each with its time.sleep(0.05) as the one stall of its loop. */
        size_t i, children = 0;
        json_t *p;
        json_array_foreach(json_object_get(r.report, "processes"), i, p)
        {
            json_t *argv = json_object_get(p, "argv");
            if (json_array_size(argv) < 2 ||
                strcmp(json_string_value(json_array_get(argv, 1)), "-c"))
                continue;
            children++;
            json_t *stalls = json_object_get(p, "stalls");
            cr_assert_eq(json_array_size(stalls), 1, "%s:%s", bt_way_name[way],
                         ls_describe_stalls(r.report));
            json_t *s = json_array_get(stalls, 0);
            cr_assert_geq(ls_json_u64(s, "wall_ns"), 49 * LS_MS, "%s", bt_way_name[way]);
            cr_assert_str_eq(ls_json_str(s, "class"), "blocking", "%s", bt_way_name[way]);
        }
        cr_assert_eq(children, 2, "%s: both children are in the report", bt_way_name[way]);
        bt_free(&r);
    }
}

Test(children, a_loop_that_execs_itself_leaves_each_image_with_its_own_stall)
{
    char *target = ls_target("exec-self");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        long long pid = bt_number_after(r.proc.out, "image 1 pid ");
        cr_assert_eq(bt_number_after(r.proc.out, "image 2 pid "), pid, "%s: %s", bt_way_name[way],
                     r.proc.out);
        if (way == BT_DIRECT) {
            char **names = bt_dir_names(r.dir);
            char first[64], second[64];
            snprintf(first, sizeof first, "loopstall.%lld.json", pid);
            snprintf(second, sizeof second, "loopstall.%lld.1.json", pid);
            int seen = 0;
            for (char **n = names; *n; n++)
                seen += !strcmp(*n, first) + 2 * !strcmp(*n, second);
            bt_names_free(names);
            cr_assert_eq(seen, 3, "direct: one file per image (%s, %s)", first, second);
        }
        cr_assert_eq(bt_images(r.report, pid), 2, "%s: two images of pid %lld", bt_way_name[way],
                     pid);
        json_t *procs = json_object_get(r.report, "processes");
        json_t *one = json_array_get(procs, 0), *two = json_array_get(procs, 1);
        cr_assert_null(json_object_get(one, "image"), "%s: the first image comes first",
                       bt_way_name[way]);
        cr_assert_eq(ls_json_u64(two, "image"), 1, "%s", bt_way_name[way]);
        cr_assert_str_eq(ls_json_str(one, "ended"), "exec", "%s", bt_way_name[way]);
        cr_assert_str_eq(ls_json_str(two, "ended"), "exit", "%s", bt_way_name[way]);
        /* Each image's own argv, and its own stall. */
        cr_assert_eq(json_array_size(json_object_get(one, "argv")), 1, "%s", bt_way_name[way]);
        cr_assert_str_eq(json_string_value(json_array_get(json_object_get(two, "argv"), 1)),
                         "second", "%s", bt_way_name[way]);
        json_t *s1 = json_array_get(json_object_get(one, "stalls"), 0);
        json_t *s2 = json_array_get(json_object_get(two, "stalls"), 0);
        cr_assert_eq(json_array_size(json_object_get(one, "stalls")), 1, "%s", bt_way_name[way]);
        cr_assert_eq(json_array_size(json_object_get(two, "stalls")), 1, "%s", bt_way_name[way]);
        cr_assert_str_eq(ls_stall_culprit(s1), "nanosleep", "%s", bt_way_name[way]);
        /* The burn is wall time on the CPU: on a loaded machine part of it is spent waiting for
         * one (mixed), never in a call (blocking). */
        cr_assert_str_neq(ls_json_str(s2, "class"), "blocking", "%s: %s", bt_way_name[way],
                          ls_describe_stalls(r.report));
        cr_assert_null(ls_stall_culprit(s2), "%s: %s", bt_way_name[way],
                       ls_describe_stalls(r.report));
        cr_assert_geq(ls_json_u64(s1, "wall_ns"), 39 * LS_MS, "%s", bt_way_name[way]);
        cr_assert_geq(ls_json_u64(s2, "wall_ns"), 59 * LS_MS, "%s", bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}
