/* test-diff-startup.c -- `loopstall diff` leaves startup stalls out unless --include-startup, and a
 * merged report read again keeps its losses: the command run on small reports. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ls_test.h"

#define FRAME(sym, file, line)                                                                     \
    "{\"lang\":\"python\",\"symbol\":\"" sym "\",\"file\":\"" file "\",\"line\":" #line "}"

/* A one-process report of a service whose stalls are given (a JSON array's members). */
static char *write_report(const char *dir, const char *name, const char *stalls, const char *extra)
{
    char *path = ls_path_join(dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"schema\":\"loopstall/1\",\"tool_version\":\"t\",\"command\":[\"python3\","
            "\"app.py\"],\"exit_status\":0,\"threshold_ns\":50000000%s,\"processes\":[{\"pid\":7,"
            "\"ppid\":1,\"argv\":[\"python3\",\"app.py\"],\"exe\":\"/usr/bin/python3.11\","
            "\"loops\":[{\"tid\":7,\"name\":\"python3\",\"iterations\":40}],\"stalls\":[%s]}]}",
            extra, stalls);
    fclose(f);
    return path;
}

/* A stall of one phase: clock_nanosleep in fn. */
#define SLEEP_STALL(phase, fn, line)                                                               \
    "{\"tid\":7,\"start_ns\":5,\"wall_ns\":150000000,\"cpu_ns\":1,\"blocked_ns\":150000000,"       \
    "\"class\":\"blocking\",\"phase\":\"" phase "\",\"calls\":[{\"fn\":\"clock_nanosleep\","       \
    "\"wall_ns\":150000000,\"stack\":[" FRAME(fn, "/srv/app.py", line) "]}],\"stack\":[],"         \
                                                                       "\"samples\":[]}"

static struct ls_proc_result diff(const char *base, const char *head, const char *option)
{
    char *argv[] = {
        (char *)ls_loopstall_bin(), "diff", (char *)base, (char *)head, (char *)option, NULL};
    return ls_run_argv(argv, NULL, 30);
}

Test(diff_startup, a_new_stall_at_startup_is_left_out_of_diff_unless_asked_for)
{
    char *dir = ls_tmpdir();
    char *base = write_report(dir, "base.json", SLEEP_STALL("serving", "handler", 9), "");
    char *head = write_report(
        dir, "head.json",
        SLEEP_STALL("serving", "handler", 9) "," SLEEP_STALL("startup", "import_models", 3), "");
    struct ls_proc_result r = diff(base, head, NULL);
    cr_assert_eq(r.status, 0, "a startup stall made diff fail:\n%s", r.out);
    cr_assert(strstr(r.out, "0 new, 0 gone, 0 worse"), "%s", r.out);
    ls_proc_result_free(&r);

    r = diff(base, head, "--include-startup");
    cr_assert_eq(r.status, 1, "with --include-startup the new startup stall is new:\n%s", r.out);
    cr_assert(strstr(r.out, "in import_models (app.py:3)"), "%s", r.out);
    ls_proc_result_free(&r);

    /* A new stall while serving fails diff either way. */
    char *worse = write_report(
        dir, "worse.json",
        SLEEP_STALL("serving", "handler", 9) "," SLEEP_STALL("serving", "load_config", 20), "");
    r = diff(base, worse, NULL);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "clock_nanosleep x1") && strstr(r.out, "load_config (app.py:20)"), "%s",
              r.out);
    ls_proc_result_free(&r);
    free(base);
    free(head);
    free(worse);
    ls_tmpdir_cleanup(dir);
}

Test(diff_startup, a_bad_diff_option_names_what_is_accepted)
{
    char *argv[] = {(char *)ls_loopstall_bin(), "diff", "--startup", "a", "b", NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown option --startup: accepted are"), "%s", r.err);
    cr_assert(strstr(r.err, "--include-startup"), "%s", r.err);
    ls_proc_result_free(&r);
}

Test(diff_startup, a_merged_report_read_again_still_says_what_it_lost)
{
    char *dir = ls_tmpdir();
    char *merged =
        write_report(dir, "merged.json", "",
                     ",\"losses\":[\"pid 12 could not share its record (ENOMEM): no report\"]");
    char *argv[] = {(char *)ls_loopstall_bin(), "report", merged, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "could not report: pid 12 could not share its record (ENOMEM)"), "%s",
              r.out);
    ls_proc_result_free(&r);
    free(merged);
    ls_tmpdir_cleanup(dir);
}
