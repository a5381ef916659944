/* test-cli.c -- the command line: bad input is refused before anything starts; report and diff. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ls_test.h"

static struct ls_proc_result run_cli(char *const args[])
{
    return ls_cli(args, 60);
}

/* A bad invocation exits 2 with one line naming the problem, and never runs the command. */
static void assert_refused(char *const args[], const char *needle)
{
    struct ls_proc_result r = run_cli(args);
    cr_assert_eq(r.status, 2, "status %d, stderr: %s", r.status, r.err);
    cr_assert(strstr(r.err, needle), "stderr lacks \"%s\": %s", needle, r.err);
    cr_assert_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line: %s", r.err);
    cr_assert_eq(access("/tmp/loopstall-cli-marker", F_OK), -1, "the command must not have run");
    ls_proc_result_free(&r);
}

#define MARKER "/usr/bin/touch", "/tmp/loopstall-cli-marker"

Test(cli, a_bad_threshold_is_refused_before_the_command_starts)
{
    unlink("/tmp/loopstall-cli-marker");
    assert_refused((char *[]){"run", "-t", "fast", "--", MARKER, NULL}, "bad threshold \"fast\"");
    assert_refused((char *[]){"run", "-t", "-5", "--", MARKER, NULL},
                   "milliseconds from 0.1 to 3600000");
}

Test(cli, a_bad_injection_rule_is_refused_naming_the_token)
{
    unlink("/tmp/loopstall-cli-marker");
    assert_refused((char *[]){"run", "--inject", "read:errno=ENOENT", "--", MARKER, NULL},
                   "ENOENT");
    assert_refused((char *[]){"run", "--inject", "frobnicate:delay=1ms", "--", MARKER, NULL},
                   "frobnicate");
}

Test(cli, unknown_options_and_formats_are_refused_with_what_is_accepted)
{
    unlink("/tmp/loopstall-cli-marker");
    assert_refused((char *[]){"run", "--frob", "--", MARKER, NULL}, "accepted are");
    assert_refused((char *[]){"run", "--format", "pdf", "--", MARKER, NULL},
                   "accepted formats are text");
    assert_refused((char *[]){"run", "-o", "report.pdf", "--", MARKER, NULL}, "--format");
    assert_refused((char *[]){"run", NULL}, "no command given");
}

Test(cli, an_option_whose_value_is_the_end_of_the_options_lacks_its_value)
{
    unlink("/tmp/loopstall-cli-marker");
    assert_refused((char *[]){"run", "--json", "--", MARKER, NULL}, "option --json needs a value");
    assert_refused((char *[]){"run", "--dir", "--", MARKER, NULL}, "option --dir needs a value");
    assert_refused((char *[]){"run", "-o", "--", MARKER, NULL}, "option -o needs a value");
    assert_refused((char *[]){"run", "-t", "--", MARKER, NULL}, "option -t needs a value");
    cr_assert_eq(access("--", F_OK), -1, "no report file named \"--\"");
}

/* A report that could not be written would be a run lost: the path is a bad option. */
Test(cli, an_output_that_cannot_be_written_is_refused_before_the_command_starts)
{
    unlink("/tmp/loopstall-cli-marker");
    assert_refused(
        (char *[]){"run", "--json", "/nonexistent/dir/r.json", "--", MARKER, NULL},
        "--json /nonexistent/dir/r.json cannot be written: no directory /nonexistent/dir");
    assert_refused((char *[]){"run", "-o", "/nonexistent/r.txt", "--", MARKER, NULL},
                   "-o /nonexistent/r.txt cannot be written");
    assert_refused((char *[]){"run", "--json", "/tmp", "--", MARKER, NULL}, "is a directory");
    assert_refused((char *[]){"run", "--json=", "--", MARKER, NULL}, "not an empty one");
}

/* One that fails later (a full disk) is said as lost, and not as written. */
Test(cli, a_report_lost_to_a_full_disk_is_said_lost_and_never_written)
{
    struct ls_proc_result r = run_cli((char *[]){"run", "--json", "/dev/full", "--", "true", NULL});
    cr_assert_eq(r.status, 0, "the command's own status: %s", r.err);
    cr_assert(strstr(r.err, "writing /dev/full failed (No space left on device)"), "%s", r.err);
    cr_assert_null(strstr(r.err, "written to"), "%s", r.err);
    ls_proc_result_free(&r);
}

/* Direct use's settings do nothing under run (its options set them): said, one line each. */
Test(cli, a_direct_use_setting_in_the_environment_is_said_to_be_ignored_under_run)
{
    setenv("LOOPSTALL_INJECT", "clock_nanosleep:delay=100ms", 1);
    setenv("LOOPSTALL_STRICT", "0", 1); /* the default: nothing to say */
    struct ls_proc_result r = run_cli((char *[]){"run", "-q", "--", "true", NULL});
    unsetenv("LOOPSTALL_INJECT");
    unsetenv("LOOPSTALL_STRICT");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "loopstall run: LOOPSTALL_INJECT=clock_nanosleep:delay=100ms in the "
                            "environment is ignored: run takes --inject RULE\n");
    ls_proc_result_free(&r);
}

Test(cli, a_command_that_does_not_exist_exits_127)
{
    struct ls_proc_result r = run_cli((char *[]){"run", "-q", "--", "/no/such/program", NULL});
    cr_assert_eq(r.status, 127);
    cr_assert(strstr(r.err, "command not found"));
    ls_proc_result_free(&r);
}

/* As a shell: a file that is there but cannot be run is 126, not "not found". */
Test(cli, a_command_that_cannot_be_run_exits_126_saying_why)
{
    struct ls_proc_result r = run_cli((char *[]){"run", "-q", "--", "/etc/passwd", NULL});
    cr_assert_eq(r.status, 126, "%s", r.err);
    cr_assert_str_eq(r.err, "loopstall: /etc/passwd: Permission denied\n");
    ls_proc_result_free(&r);
    r = run_cli((char *[]){"run", "-q", "--", "/tmp", NULL});
    cr_assert_eq(r.status, 126, "%s", r.err);
    cr_assert_str_eq(r.err, "loopstall: /tmp: Is a directory\n");
    ls_proc_result_free(&r);
}

Test(cli, a_command_killed_by_a_signal_gives_128_plus_the_signal)
{
    struct ls_proc_result r =
        run_cli((char *[]){"run", "-q", "--", "/bin/sh", "-c", "kill -9 $$", NULL});
    cr_assert_eq(r.status, 128 + 9);
    ls_proc_result_free(&r);
}

Test(cli, a_static_program_is_named_as_unobservable_and_still_runs)
{
    char *target = ls_target("static-hello");
    struct ls_proc_result r = run_cli((char *[]){"run", "-q", "--", target, NULL});
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "hello from a static binary\n");
    cr_assert(strstr(r.err, "statically linked"), "stderr: %s", r.err);
    ls_proc_result_free(&r);
    free(target);
}

Test(cli, report_merges_the_files_of_direct_preload_use)
{
    char *dir = ls_tmpdir();
    struct ls_preload_env e;
    ls_preload_env(&e, dir, NULL);
    char *target = ls_target("fork-loop");
    char *cmd[] = {target, NULL};
    struct ls_proc_result p = ls_run_argv(cmd, e.env, 30);
    cr_assert_eq(p.status, 0);
    ls_proc_result_free(&p);
    char *json = ls_path_join(dir, "merged.json");
    struct ls_proc_result r = run_cli((char *[]){"report", dir, "--json", json, "-o", "-", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "usleep"), "text report: %s", r.out);
    json_t *merged = ls_load_json(json);
    cr_assert_eq(json_array_size(json_object_get(merged, "processes")), 2);
    cr_assert_eq(ls_report_stall_count(merged), 2);
    json_decref(merged);
    ls_proc_result_free(&r);
    free(json);
    free(target);
    ls_tmpdir_cleanup(dir);
}

Test(cli, diff_fails_on_new_sites_and_passes_when_they_are_gone)
{
    char *dir = ls_tmpdir();
    char *with = ls_path_join(dir, "with.json"), *without = ls_path_join(dir, "without.json");
    char *target = ls_target("uv-stalls");
    struct ls_proc_result r =
        run_cli((char *[]){"run", "-q", "-t", "20", "--json", with, "--", target, NULL});
    ls_proc_result_free(&r);
    r = run_cli((char *[]){"run", "-q", "-t", "200", "--json", without, "--", target, NULL});
    ls_proc_result_free(&r);
    r = run_cli((char *[]){"diff", without, with, NULL});
    cr_assert_eq(r.status, 1, "new sites make diff fail: %s", r.out);
    cr_assert(strstr(r.out, "3 new, 0 gone"), "%s", r.out);
    ls_proc_result_free(&r);
    r = run_cli((char *[]){"diff", with, without, NULL});
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "0 new, 3 gone"), "%s", r.out);
    ls_proc_result_free(&r);
    free(with);
    free(without);
    free(target);
    ls_tmpdir_cleanup(dir);
}
