/* test-labs-under-loopstall.c -- run under loopstall, the bad labs show stalls naming the right
 * call and the good ones show none on the loop thread. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_test.h"

/* Runs `loopstall run -q -t 20 --json DIR/r.json -- LAB VARIANT --quick`; returns the report. */
static json_t *under_loopstall(const char *lab, const char *variant)
{
    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "report.json");
    char *bin = ls_path_join(LS_BIN_DIR, lab);
    const char *argv[] = {ls_loopstall_bin(), "run", "-q", "-t", "20",
                          "--json",           json,  "--", bin,  variant,
                          "--quick",          NULL};
    struct ls_proc_result pr = ls_run_argv((char *const *)argv, NULL, 120);
    cr_assert_eq(pr.status, 0, "%s %s under loopstall exited %d:\n%s%s", lab, variant, pr.status,
                 pr.out, pr.err);
    json_t *report = ls_load_json(json);
    ls_proc_result_free(&pr);
    ls_tmpdir_cleanup(dir);
    free(json);
    free(bin);
    return report;
}

/* The lab's own process: the one whose parent is not in the report (workers are its children). */
static json_t *lab_process(json_t *report)
{
    json_t *procs = json_object_get(report, "processes"), *p, *q;
    size_t i, j;
    json_array_foreach(procs, i, p)
    {
        int child = 0;
        json_array_foreach(procs, j, q) if (ls_json_u64(q, "pid") == ls_json_u64(p, "ppid")) child =
            1;
        if (!child) return p;
    }
    cr_assert_fail("no process in the report");
    return NULL;
}

/* Stalls of process p on its main thread (tid == pid), the thread that runs the lab's loop.
 * With own_only, only those the program itself made: at least a threshold's worth of CPU or of
 * blocking calls. The rest is time a loaded 2-core machine took the thread off the CPU, which
 * no change to the program would remove. */
static size_t loop_stalls(json_t *p, int own_only, json_t **first)
{
    size_t i, n = 0;
    json_t *s;
    *first = NULL;
    json_array_foreach(json_object_get(p, "stalls"), i, s)
    {
        if (ls_json_u64(s, "tid") != ls_json_u64(p, "pid")) continue;
        if (own_only && ls_json_u64(s, "cpu_ns") + ls_json_u64(s, "blocked_ns") < 20 * LS_MS) {
            cr_log_info("ignoring a stall the machine made: %.1f ms wall, %.1f ms cpu, %.1f ms "
                        "blocked",
                        ls_json_u64(s, "wall_ns") / 1e6, ls_json_u64(s, "cpu_ns") / 1e6,
                        ls_json_u64(s, "blocked_ns") / 1e6);
            continue;
        }
        if (!n++) *first = s;
    }
    return n;
}

static size_t main_loop_stalls(json_t *p, json_t **first)
{
    return loop_stalls(p, 0, first);
}

static size_t own_main_loop_stalls(json_t *p, json_t **first)
{
    return loop_stalls(p, 1, first);
}

/* One line about a stall for a failure message: wall, class, CPU, culprit call. */
static const char *describe(json_t *s)
{
    static char buf[160];
    if (!s) return "none";
    const char *fn = ls_stall_culprit(s);
    snprintf(
        buf, sizeof(buf), "%.1f ms %s, cpu %.1f ms, blocked %.1f ms in %s",
        ls_json_u64(s, "wall_ns") / 1e6, ls_json_str(s, "class") ? ls_json_str(s, "class") : "?",
        ls_json_u64(s, "cpu_ns") / 1e6, ls_json_u64(s, "blocked_ns") / 1e6, fn ? fn : "no call");
    return buf;
}

static int main_loop_is_known(json_t *p)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(p, "loops"), i,
                       l) if (ls_json_u64(l, "tid") == ls_json_u64(p, "pid")) return 1;
    return 0;
}

static int is_blocking_wait(const char *fn)
{
    static const char *const names[] = {"poll",    "ppoll",    "select",  "pselect",
                                        "recv",    "recvfrom", "recvmsg", "read",
                                        "connect", "send",     "sendto",  NULL};
    for (int i = 0; fn && names[i]; i++)
        if (!strcmp(fn, names[i])) return 1;
    return 0;
}

Test(labs_under_loopstall, blocking_http_in_the_loop_is_reported_as_stalls_in_curls_poll)
{
    json_t *r = under_loopstall("lab-d3a", "bad");
    json_t *p = lab_process(r), *s, *first;
    cr_expect(main_loop_is_known(p), "the main thread is not listed as a loop");
    cr_assert_gt(main_loop_stalls(p, &first), 0, "no stall on the main loop");
    size_t i, named = 0;
    json_array_foreach(json_object_get(p, "stalls"), i, s)
    {
        if (ls_json_u64(s, "tid") != ls_json_u64(p, "pid")) continue;
        const char *fn = ls_stall_culprit(s);
        cr_log_info("stall %.1f ms, class %s, culprit %s", ls_json_u64(s, "wall_ns") / 1e6,
                    ls_json_str(s, "class"), fn ? fn : "(none)");
        named += is_blocking_wait(fn);
    }
    cr_expect_gt(named, 0, "no main-loop stall names poll, recv or connect as its culprit");
    json_decref(r);
}

Test(labs_under_loopstall, cpu_work_in_the_loop_is_reported_as_cpu_stalls)
{
    json_t *r = under_loopstall("lab-d3b", "bad");
    json_t *p = lab_process(r), *s, *first;
    cr_assert_gt(main_loop_stalls(p, &first), 0, "no stall on the main loop");
    size_t i, cpu = 0;
    json_array_foreach(json_object_get(p, "stalls"), i, s)
    {
        if (ls_json_u64(s, "tid") != ls_json_u64(p, "pid")) continue;
        const char *cls = ls_json_str(s, "class");
        cr_log_info("stall %.1f ms, class %s, cpu %.1f ms", ls_json_u64(s, "wall_ns") / 1e6,
                    cls ? cls : "?", ls_json_u64(s, "cpu_ns") / 1e6);
        /* A noisy neighbour can make a CPU stall "mixed" (runnable, not running), never
         * blocking: the job makes no call at all. */
        cpu += cls && !strcmp(cls, "cpu");
        cr_expect(!cls || strcmp(cls, "blocking"), "a CPU job's stall classed as blocking");
    }
    cr_expect_gt(cpu, 0, "no main-loop stall of class cpu");
    json_decref(r);
}

Test(labs_under_loopstall, cpu_stalls_in_the_loop_name_the_cpu_job_in_their_stacks)
{
    json_t *r = under_loopstall("lab-d3b", "bad");
    json_t *p = lab_process(r), *s, *first;
    cr_assert_gt(main_loop_stalls(p, &first), 0, "no stall on the main loop");
    size_t i, named = 0;
    json_array_foreach(json_object_get(p, "stalls"), i, s)
    {
        if (ls_json_u64(s, "tid") == ls_json_u64(p, "pid"))
            named += ls_stall_has_symbol(s, "lab_cpu_job");
    }
    cr_expect_gt(named, 0, "no main-loop stall has lab_cpu_job in its stacks (stack samples)");
    json_decref(r);
}

/* Runs a variant that keeps its loop free under loopstall and expects no stall of the
 * program's own on the main loop. With known, the main thread must also be listed as a loop; the
 * native D3A test never asserted that, and sharing this helper does not add it. */
/* Findings whose kind contains what, over all processes of the report. */
static size_t findings(json_t *report, const char *what)
{
    size_t i, j, n = 0;
    json_t *p, *f;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "findings"), j, f)
        {
            const char *kind = ls_json_str(f, "kind");
            n += kind && strstr(kind, what);
        }
    }
    return n;
}

static void expect_no_own_main_loop_stalls(const char *lab, const char *variant, int known)
{
    json_t *r = under_loopstall(lab, variant);
    json_t *p = lab_process(r), *first;
    if (known) cr_expect(main_loop_is_known(p), "the main thread is not listed as a loop");
    size_t n = own_main_loop_stalls(p, &first);
    cr_expect_eq(n, 0, "%zu stalls on the main loop, the first %s", n, describe(first));
    /* A pool bounded at tcap=32 is the fix, not a thread per request. */
    cr_expect_eq(findings(r, "fanout"), 0, "a bounded pool was reported as unbounded fan-out");
    json_decref(r);
}

Test(labs_under_loopstall, offloaded_blocking_http_leaves_the_loop_without_stalls)
{
    expect_no_own_main_loop_stalls("lab-d3a", "good", 1);
}

Test(labs_under_loopstall, cpu_work_on_a_process_pool_leaves_the_loop_without_stalls)
{
    expect_no_own_main_loop_stalls("lab-d3b", "procpool", 1);
}

Test(labs_under_loopstall, the_async_native_client_leaves_the_loop_without_stalls)
{
    expect_no_own_main_loop_stalls("lab-d3a", "native", 0);
}

Test(labs_under_loopstall, a_thread_per_request_is_reported_as_unbounded_fanout_and_a_pool_is_not)
{
    json_t *u = under_loopstall("lab-stress", "unbounded");
    json_t *b = under_loopstall("lab-stress", "bounded");
    cr_expect_gt(findings(u, "fanout"), 0, "no fan-out finding for a thread per request");
    cr_expect_eq(findings(b, "fanout"), 0, "a fan-out finding for a fixed pool of 8");
    json_decref(u);
    json_decref(b);
}
