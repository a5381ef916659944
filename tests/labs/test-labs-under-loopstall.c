/* test-labs-under-loopstall.c -- run under loopstall, each lab is judged on what its loop really
 * did: the main thread is adopted as a loop and turns; the bad variants' loop stalls name the
 * right culprit (curl's poll, the CPU job, the GIL's lock wait) and the good variants' loops have
 * no stall at all. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_test.h"

/* Runs `loopstall run -q -t threshold --json ... -- LAB VARIANT --quick [extra]`, asserts it
 * exits 0 and returns the report. */
static json_t *under_loopstall(const char *threshold, const char *lab, const char *variant,
                               const char *extra)
{
    char *bin = ls_path_join(LS_BIN_DIR, lab);
    char *cmd[] = {bin, (char *)variant, "--quick", (char *)extra, NULL};
    struct ls_proc_result pr;
    json_t *report = ls_loopstall_run(threshold, NULL, cmd, &pr);
    cr_assert_eq(pr.status, 0, "%s %s under loopstall exited %d:\n%s%s", lab, variant, pr.status,
                 pr.out, pr.err);
    ls_proc_result_free(&pr);
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
        json_array_foreach(procs, j, q)
        {
            if (ls_json_u64(q, "pid") == ls_json_u64(p, "ppid")) child = 1;
        }
        if (!child) return p;
    }
    cr_assert_fail("no process in the report");
    return NULL;
}

/* The lab's main thread as the report lists it among the loops: it must be there, having
 * turned at least min_iterations times, or the rest of the report says nothing about it. */
static json_t *main_loop(json_t *p, uint64_t min_iterations)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(p, "loops"), i, l)
    {
        if (ls_json_u64(l, "tid") != ls_json_u64(p, "pid")) continue;
        cr_assert_geq(ls_json_u64(l, "iterations"), min_iterations,
                      "the main loop turned %llu times",
                      (unsigned long long)ls_json_u64(l, "iterations"));
        return l;
    }
    cr_assert_fail("the main thread %llu was never adopted as a loop",
                   (unsigned long long)ls_json_u64(p, "pid"));
    return NULL;
}

/* Stalls of process p on thread tid, all of them: none is excused. */
static size_t stalls_on(json_t *p, uint64_t tid, json_t *out[], size_t max)
{
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(json_object_get(p, "stalls"), i, s)
    {
        if (ls_json_u64(s, "tid") != tid) continue;
        if (n < max) out[n] = s;
        n++;
    }
    return n;
}

/* One line about a stall: wall, class, CPU, run queue, blocked time, culprit call. */
static void log_stall(json_t *s)
{
    const char *fn = ls_stall_culprit(s), *cls = ls_json_str(s, "class");
    cr_log_info("stall %.1f ms %s: cpu %.1f ms, run queue %.1f ms, blocked %.1f ms, culprit %s",
                ls_json_u64(s, "wall_ns") / 1e6, cls ? cls : "?", ls_json_u64(s, "cpu_ns") / 1e6,
                ls_json_u64(s, "runq_ns") / 1e6, ls_json_u64(s, "blocked_ns") / 1e6,
                fn ? fn : "(none)");
}

static int is_one_of(const char *fn, const char *const names[])
{
    for (int i = 0; fn && names[i]; i++)
        if (!strcmp(fn, names[i])) return 1;
    return 0;
}

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

/* The bad variants run at a 100 ms threshold: their stalls are 330 ms (D3B) and 810 ms (D3A)
 * long, and at 100 ms a loaded machine does not add stalls of its own, so every stall on the
 * loop must be the variant's and name its culprit. */
Test(labs_under_loopstall, blocking_http_in_the_loop_is_reported_as_stalls_in_curls_poll)
{
    static const char *const waits[] = {"poll",    "ppoll",    "select",  "pselect",
                                        "recv",    "recvfrom", "recvmsg", "read",
                                        "connect", "send",     "sendto",  NULL};
    json_t *r = under_loopstall("100", "lab-d3a", "bad", NULL);
    json_t *p = lab_process(r), *s[64];
    main_loop(p, 2);
    size_t n = stalls_on(p, ls_json_u64(p, "pid"), s, 64);
    /* --quick is 64 requests, 32 at a time: two waves, each one iteration spent in curl, both
     * while serving (the loop waited once before the first: it was a loop already). */
    cr_assert_eq(n, 2, "%zu stalls on the main loop, not one per wave of 32 requests", n);
    for (size_t i = 0; i < n && i < 64; i++) {
        log_stall(s[i]);
        const char *phase = ls_json_str(s[i], "phase");
        cr_expect(!phase || strcmp(phase, "startup") != 0,
                  "a wave of requests counted as start-up, as if the loop had not waited yet");
        const char *cls = ls_json_str(s[i], "class");
        cr_expect(cls && !strcmp(cls, "blocking"), "a blocking call's stall classed %s",
                  cls ? cls : "missing");
        cr_expect(is_one_of(ls_stall_culprit(s[i]), waits),
                  "a main-loop stall whose culprit is %s, not curl's wait",
                  ls_stall_culprit(s[i]) ? ls_stall_culprit(s[i]) : "missing");
        cr_expect(ls_stall_has_symbol(s[i], "curl_easy_perform"),
                  "a main-loop stall whose stacks do not reach curl_easy_perform");
    }
    json_decref(r);
}

Test(labs_under_loopstall, cpu_work_in_the_loop_is_reported_as_cpu_stalls_in_the_cpu_job)
{
    json_t *r = under_loopstall("100", "lab-d3b", "bad", NULL);
    json_t *p = lab_process(r), *s[64];
    main_loop(p, 2);
    size_t n = stalls_on(p, ls_json_u64(p, "pid"), s, 64), named = 0;
    cr_assert_gt(n, 0, "no stall on the main loop");
    for (size_t i = 0; i < n && i < 64; i++) {
        log_stall(s[i]);
        /* The job makes no call at all: cpu, or mixed when a neighbour kept it runnable. */
        const char *cls = ls_json_str(s[i], "class");
        cr_expect(cls && strcmp(cls, "blocking"), "a CPU job's stall classed %s",
                  cls ? cls : "missing");
        cr_expect_null(ls_stall_culprit(s[i]), "a CPU job's stall blames %s",
                       ls_stall_culprit(s[i]));
        named += ls_stall_has_symbol(s[i], "lab_cpu_job");
    }
    cr_expect_gt(named, 0, "no main-loop stall has lab_cpu_job in its stack samples");
    json_decref(r);
}

/* The GIL variant's loop waits for the lock on every wake: loopstall must show those waits as
 * blocking stalls in the lock's wait, with the stack that took it. This needs the agent to
 * intercept pthread_mutex_lock and pthread_cond_(timed)wait on loop threads; until it does the
 * stalls are there but name no call, and this test fails. */
Test(labs_under_loopstall, under_a_gil_the_loops_stalls_are_its_waits_for_the_lock)
{
    static const char *const lock_waits[] = {"pthread_mutex_lock", "pthread_cond_wait",
                                             "pthread_cond_timedwait", NULL};
    json_t *r = under_loopstall("20", "lab-d3b", "gil", NULL);
    json_t *p = lab_process(r), *s[256];
    main_loop(p, 10);
    size_t n = stalls_on(p, ls_json_u64(p, "pid"), s, 256), lock = 0, with_stack = 0;
    cr_assert_gt(n, 0, "no stall on the main loop, which waits for the GIL on every wake");
    for (size_t i = 0; i < n && i < 256; i++) {
        log_stall(s[i]);
        const char *cls = ls_json_str(s[i], "class");
        if (!cls || strcmp(cls, "blocking") || !is_one_of(ls_stall_culprit(s[i]), lock_waits))
            continue;
        lock++;
        json_t *call = json_array_get(json_object_get(s[i], "calls"), 0);
        json_t *one = json_pack("{s:O}", "stack", json_object_get(call, "stack"));
        with_stack += ls_stall_has_symbol(one, "lab_gil_take");
        json_decref(one);
    }
    cr_expect_geq(lock, n / 2, "%zu of %zu main-loop stalls are blocking in a lock wait", lock, n);
    cr_expect_gt(with_stack, 0, "no lock-wait call whose stack reaches lab_gil_take");
    json_decref(r);
}

/* Runs a variant whose loop is free and expects no stall on any loop of the lab's process: not
 * on the main loop, not on the lab server's. At a 50 ms threshold, a sixth of the bad variants'
 * shortest stalls, so a loaded 2-core machine's scheduling does not make stalls of its own, and
 * none is excused. */
static void expect_free_loops(const char *lab, const char *variant)
{
    json_t *r = under_loopstall("50", lab, variant, NULL);
    json_t *p = lab_process(r), *s[16];
    main_loop(p, 5);
    size_t i, n = 0;
    json_t *l;
    json_array_foreach(json_object_get(p, "loops"), i, l)
    {
        size_t k = stalls_on(p, ls_json_u64(l, "tid"), s, 16);
        for (size_t j = 0; j < k && j < 16; j++)
            log_stall(s[j]);
        n += k;
    }
    cr_expect_eq(n, 0, "%zu stalls on the loops of %s %s", n, lab, variant);
    /* A pool is the fix, not a thread per request. */
    cr_expect_eq(findings(r, "fanout"), 0, "a bounded pool was reported as unbounded fan-out");
    json_decref(r);
}

Test(labs_under_loopstall, offloaded_blocking_http_leaves_the_loops_without_stalls)
{
    expect_free_loops("lab-d3a", "good");
}

Test(labs_under_loopstall, the_async_native_client_leaves_the_loops_without_stalls)
{
    expect_free_loops("lab-d3a", "native");
}

Test(labs_under_loopstall, cpu_work_on_a_process_pool_leaves_the_loop_without_stalls)
{
    expect_free_loops("lab-d3b", "procpool");
}

Test(labs_under_loopstall, the_mixed_pipeline_on_a_process_pool_leaves_the_loops_without_stalls)
{
    expect_free_loops("lab-mixed", "bounded");
}

Test(labs_under_loopstall, a_thread_per_request_is_reported_as_unbounded_fanout_and_a_pool_is_not)
{
    json_t *u = under_loopstall("20", "lab-stress", "unbounded", NULL);
    json_t *b = under_loopstall("20", "lab-stress", "bounded", NULL);
    cr_expect_gt(findings(u, "fanout"), 0, "no fan-out finding for a thread per request");
    cr_expect_eq(findings(b, "fanout"), 0, "a fan-out finding for a fixed pool of 8");
    json_decref(u);
    json_decref(b);
}
