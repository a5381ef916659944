/* test-review.c -- the README's code-review recipe, as written: inject a slow resolver, compare
 * before and after. */
#include <criterion/criterion.h>
#include <string.h>

#include "ls_test.h"

#define PROGRAMS LS_SOURCE_DIR "/tests/programs/review/"

static json_t *run_with(const char *program, const char *rule, struct ls_proc_result *r)
{
    char *opts[] = {"--inject", (char *)rule, NULL};
    char *cmd[] = {(char *)ls_require_program("python3"), (char *)program, NULL};
    return ls_loopstall_run("50", rule ? opts : NULL, cmd, r);
}

Test(review, name_resolution_on_the_loop_shows_no_stall_while_the_resolver_is_fast)
{
    struct ls_proc_result r;
    json_t *report = run_with(PROGRAMS "resolve_on_loop.py", NULL, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(ls_report_stall_count(report), 0, "the latent bug is invisible without injection");
    json_decref(report);
    ls_proc_result_free(&r);
}

Test(review, a_slow_resolver_makes_each_lookup_a_stall_of_the_injected_size_naming_getaddrinfo)
{
    struct ls_proc_result r;
    json_t *report =
        run_with(PROGRAMS "resolve_on_loop.py", "getaddrinfo:delay=100ms,thread=loop", &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "resolved True\n", "the program works, only slower");
    /* gather() starts the three handlers in one loop iteration: one stall made of three lookups. */
    cr_assert_eq(ls_report_stall_count(report), 1);
    json_t *s = ls_report_stall(report, 0);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert_geq(ls_json_u64(s, "wall_ns"), 299 * LS_MS);
    cr_assert_lt(ls_json_u64(s, "wall_ns"), 400 * LS_MS);
    cr_assert_geq(ls_json_u64(s, "injected_ns"), 300 * LS_MS,
                  "the injected time is marked as such");
    json_t *calls = json_object_get(s, "calls");
    cr_assert_eq(json_array_size(calls), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_array_get(calls, i);
        cr_assert_str_eq(ls_json_str(c, "fn"), "getaddrinfo");
        cr_assert_str_eq(ls_json_str(c, "target"), "localhost");
        cr_assert_geq(ls_json_u64(c, "wall_ns"), 99 * LS_MS);
        cr_assert_lt(ls_json_u64(c, "wall_ns"), 140 * LS_MS);
        cr_assert_str_eq(ls_json_str(c, "rule"), "getaddrinfo:delay=100ms,thread=loop");
    }
    /* socket_getaddrinfo is static (named only where the interpreter keeps its symbol table);
     * the coroutine that called it is named everywhere, at the line of the call. */
    json_t *handle = ls_stall_interp_frame(s, "python", "handle");
    cr_assert_not_null(handle, "no Python frame names the coroutine handle");
    cr_assert_eq(ls_json_u64(handle, "line"), 9, "socket.getaddrinfo is on line 9");
    json_t *inj = json_array_get(json_object_get(ls_report_process(report, 0), "injections"), 0);
    cr_assert_eq(ls_json_u64(inj, "fired"), 3);
    json_decref(report);
    ls_proc_result_free(&r);
}

Test(review, the_fixed_program_has_no_stall_under_the_same_injection_and_diff_says_the_site_is_gone)
{
    char *dir = ls_tmpdir();
    char *before = ls_path_join(dir, "before.json"), *after = ls_path_join(dir, "after.json");
    const char *py = ls_require_program("python3");
    char *run_before[] = {(char *)ls_loopstall_bin(),
                          "run",
                          "-q",
                          "-t",
                          "50",
                          "--inject",
                          "getaddrinfo:delay=100ms",
                          "--json",
                          before,
                          "--",
                          (char *)py,
                          PROGRAMS "resolve_on_loop.py",
                          NULL};
    char *run_after[] = {(char *)ls_loopstall_bin(),
                         "run",
                         "-q",
                         "-t",
                         "50",
                         "--inject",
                         "getaddrinfo:delay=100ms",
                         "--json",
                         after,
                         "--",
                         (char *)py,
                         PROGRAMS "resolve_fixed.py",
                         NULL};
    struct ls_proc_result r = ls_run_argv(run_before, NULL, 60);
    cr_assert_eq(r.status, 0);
    ls_proc_result_free(&r);
    r = ls_run_argv(run_after, NULL, 60);
    cr_assert_eq(r.status, 0);
    ls_proc_result_free(&r);
    json_t *fixed = ls_load_json(after);
    cr_assert_eq(ls_report_stall_count(fixed), 0, "the fix moved the lookup off the loop");
    json_t *inj = json_array_get(json_object_get(ls_report_process(fixed, 0), "injections"), 0);
    cr_assert_geq(ls_json_u64(inj, "fired"), 3,
                  "the delay still happened, on the executor's thread");
    json_decref(fixed);

    char *diff_fixed[] = {(char *)ls_loopstall_bin(), "diff", before, after, NULL};
    r = ls_run_argv(diff_fixed, NULL, 30);
    cr_assert_eq(r.status, 0, "no new site: %s", r.out);
    cr_assert(strstr(r.out, "stall sites gone:") && strstr(r.out, "getaddrinfo"), "%s", r.out);
    ls_proc_result_free(&r);
    char *diff_regressed[] = {(char *)ls_loopstall_bin(), "diff", after, before, NULL};
    r = ls_run_argv(diff_regressed, NULL, 30);
    cr_assert_eq(r.status, 1, "reintroducing the bug fails the gate: %s", r.out);
    ls_proc_result_free(&r);
    free(before);
    free(after);
    ls_tmpdir_cleanup(dir);
}
