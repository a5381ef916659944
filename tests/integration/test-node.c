/* test-node.c -- Node.js programs with known stalls, run under loopstall as they are. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_test.h"

struct run {
    char *dir;                  /* the test's temporary directory */
    struct ls_proc_result proc; /* what `loopstall run` printed and its exit status */
    json_t *report;             /* the merged loopstall/1 report */
    uint64_t pid;               /* the node process; its main thread (tid == pid) runs the loop */
};

/* Runs `loopstall run -q -t 50 --json DIR/r.json -- node tests/programs/node/SCRIPT [ARG]`
 * and loads the report it wrote. */
static struct run run_script(const char *script, const char *arg)
{
    struct run r = {.dir = ls_tmpdir()};
    char *json = ls_path_join(r.dir, "r.json");
    char *prog = ls_path_join(LS_SOURCE_DIR "/tests/programs/node", script);
    // clang-format off
    char *argv[] = {(char *)ls_loopstall_bin(), "run", "-q", "-t", "50", "--json", json,
                    "--", "node", prog, (char *)arg, NULL};
    // clang-format on
    r.proc = ls_run_argv(argv, NULL, 20);
    cr_assert_eq(r.proc.status, 0, "%s under loopstall exited %d; stderr:\n%s", script,
                 r.proc.status, r.proc.err);
    r.report = ls_load_json(json);
    cr_assert_eq(json_array_size(json_object_get(r.report, "processes")), 1,
                 "expected the node process alone in the report");
    r.pid = ls_json_u64(ls_report_process(r.report, 0), "pid");
    free(prog);
    free(json);
    return r;
}

static void run_free(struct run *r)
{
    json_decref(r->report);
    ls_proc_result_free(&r->proc);
    ls_tmpdir_cleanup(r->dir);
}

/* The only stall on the main loop thread; fails the test when there are none or several. */
static json_t *the_main_loop_stall(struct run *r)
{
    cr_assert_not_null(ls_report_loop_of_tid(r->report, r->pid),
                       "node's main thread was not seen as a loop");
    json_t *found = NULL;
    size_t n = ls_report_stall_count(r->report), on_main = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *s = ls_report_stall(r->report, i);
        if (ls_json_u64(s, "tid") == r->pid) {
            found = s;
            on_main++;
        }
    }
    cr_assert_eq(on_main, 1, "expected exactly one stall on the main loop (%llu), got:%s",
                 (unsigned long long)r->pid, ls_describe_stalls(r->report));
    cr_assert_eq(n, 1, "stalls on threads that are not node's main loop:%s",
                 ls_describe_stalls(r->report));
    return found;
}

/* Reads "KEY NUMBER" from the program's output. */
static double printed(const struct run *r, const char *key)
{
    const char *p = strstr(r->proc.out, key);
    cr_assert_not_null(p, "the program did not print %s: %s", key, r->proc.out);
    return strtod(p + strlen(key), NULL);
}

Test(node, exec_sync_in_an_http_handler_blocks_the_loop_in_a_nested_wait)
{
    ls_require_program("node");
    struct run r = run_script("exec_sync_in_handler.js", NULL);
    cr_assert_str_eq(r.proc.out, "status 200\n");
    json_t *s = the_main_loop_stall(&r);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert(!json_is_true(json_object_get(s, "ongoing")));

    /* execSync runs its own libuv loop on another epoll fd until the child exits: that
     * nested wait is the culprit, not a new iteration of the main loop. */
    json_t *c = json_array_get(json_object_get(s, "calls"), 0);
    cr_assert_not_null(c, "the stall lists no calls");
    const char *fn = ls_json_str(c, "fn");
    cr_assert(fn && strncmp(fn, "epoll_", 6) == 0 && strstr(fn, "wait"),
              "culprit %s is not an epoll wait", fn ? fn : "(none)");
    const char *target = ls_json_str(c, "target");
    cr_assert(target && strstr(target, "nested loop"), "culprit target %s is not a nested loop",
              target ? target : "(none)");
    /* The child is /bin/sh -c 'sleep 0.2'; starting the shell adds a little. */
    uint64_t call_wall = ls_json_u64(c, "wall_ns");
    cr_assert(call_wall >= 199 * LS_MS && call_wall <= 300 * LS_MS,
              "the nested wait took %.1f ms, want 200..300", call_wall / 1e6);
    /* The iteration also spawns the child and serves both ends of the request. */
    uint64_t wall = ls_json_u64(s, "wall_ns");
    cr_assert(wall >= call_wall && wall <= 400 * LS_MS, "stall wall %.1f ms, want %.1f..400",
              wall / 1e6, call_wall / 1e6);
    cr_assert_geq(ls_json_u64(s, "blocked_ns"), call_wall);
    cr_assert(ls_stall_has_symbol(s, "uv_run"), "the nested uv_run is not on the stack");
    run_free(&r);
}

Test(node, pbkdf2_sync_in_a_timer_is_a_cpu_stall_as_long_as_the_work)
{
    ls_require_program("node");
    struct run r = run_script("pbkdf2.js", "sync");
    double took_ms = printed(&r, "sync_ms ");
    double cpu_ms = printed(&r, "cpu_ms ");
    json_t *s = the_main_loop_stall(&r);
    cr_assert_str_eq(ls_json_str(s, "class"), "cpu");
    /* The stall covers the work the program timed itself, and little else. */
    uint64_t wall = ls_json_u64(s, "wall_ns");
    cr_assert(wall >= (uint64_t)(took_ms * 1e6) && wall <= (uint64_t)((took_ms + 40) * 1e6),
              "stall wall %.1f ms, the program measured %.1f ms", wall / 1e6, took_ms);
    /* On a busy machine the thread also waits for a CPU, so CPU time is compared with the
     * loop thread's own CPU time as the program read it from /proc/thread-self/schedstat. */
    uint64_t cpu = ls_json_u64(s, "cpu_ns");
    cr_assert(cpu >= (uint64_t)(cpu_ms * 0.9e6) && cpu <= (uint64_t)((cpu_ms + 40) * 1e6),
              "stall cpu %.1f ms, the loop thread used %.1f ms", cpu / 1e6, cpu_ms);
    cr_assert_lt(ls_json_u64(s, "blocked_ns") * 10, wall, "a CPU stall spent %.1f ms blocked",
                 ls_json_u64(s, "blocked_ns") / 1e6);
    run_free(&r);
}

Test(node, a_cpu_stall_carries_stack_samples_inside_pbkdf2)
{
    ls_require_program("node");
    struct run r = run_script("pbkdf2.js", "sync");
    json_t *s = the_main_loop_stall(&r);
    cr_assert_gt(json_array_size(json_object_get(s, "samples")), 0,
                 "a CPU stall of %.1f ms has no stack samples", ls_json_u64(s, "wall_ns") / 1e6);
    /* OpenSSL's PKCS5_PBKDF2_HMAC and node's PBKDF2Traits are exported, stripped or not. */
    cr_assert(ls_stall_has_symbol(s, "PBKDF2"), "no sample passes through PBKDF2");
    run_free(&r);
}

Test(node, async_pbkdf2_runs_on_the_thread_pool_and_leaves_the_loop_without_stalls)
{
    ls_require_program("node");
    struct run r = run_script("pbkdf2.js", "async");
    double took_ms = printed(&r, "async_ms ");
    cr_assert_gt(took_ms, 50, "the work took %.1f ms: too short to show anything", took_ms);
    json_t *loop = ls_report_loop_of_tid(r.report, r.pid);
    cr_assert_not_null(loop, "node's main thread was not seen as a loop");
    cr_assert_gt(ls_json_u64(loop, "iterations"), 1);
    /* A pool thread mistaken for a loop would show the derivation as a stall there. */
    size_t n = ls_report_stall_count(r.report);
    for (size_t i = 0; i < n; i++) {
        json_t *s = ls_report_stall(r.report, i);
        cr_assert_fail("a %.1f ms %s stall in thread %llu (main %llu)",
                       ls_json_u64(s, "wall_ns") / 1e6, ls_json_str(s, "class"),
                       (unsigned long long)ls_json_u64(s, "tid"), (unsigned long long)r.pid);
    }
    run_free(&r);
}
