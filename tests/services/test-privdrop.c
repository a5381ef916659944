/* test-privdrop.c -- a service that drops its privileges without daemonizing (privdrop-loop.c),
 * and a process whose record cannot be shared with `loopstall run`: a loss said as a loss. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

#define EXPECTED_OUTPUT "running as uid 65534\nran 20 ticks\n"

/* A file-size limit (ulimit -f, in KiB) far below the agent's record (about 9 MiB), the way a
 * service unit's LimitFSIZE= would set it: the record's shared memory cannot be sized. */
#define SMALL_FSIZE "ulimit -f 64 && exec "

static struct ls_proc_result run_plain(char *const argv[])
{
    return ls_run_argv(argv, NULL, 20);
}

/* `loopstall run -t 50 --json DIR/r.json -- argv...`, waited for. */
static struct ls_proc_result run_under_loopstall(const char *dir, char *const argv[])
{
    char *json = ls_path_join(dir, "r.json");
    char *full[16] = {(char *)ls_loopstall_bin(), "run", "-t", "50", "--json", json, "--"};
    int n = 7;
    for (int i = 0; argv[i] && n < 15; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    struct ls_proc_result r = ls_run_argv(full, NULL, 20);
    free(json);
    return r;
}

Test(privdrop, a_service_that_becomes_nobody_after_starting_still_reports_its_stall, .timeout = 40)
{
    cr_assert_eq(geteuid(), 0, "this test starts a service as root that drops to nobody");
    char *dir = ls_tmpdir();
    char *argv[] = {LS_PRIVDROP_LOOP, "nobody", "120", NULL};
    struct ls_proc_result plain = run_plain(argv);
    cr_assert_eq(plain.status, 0, "%s", plain.err);
    cr_assert_str_eq(plain.out, EXPECTED_OUTPUT);
    struct ls_proc_result r = run_under_loopstall(dir, argv);
    cr_assert_eq(r.status, plain.status, "under loopstall: %d; stderr:\n%s", r.status, r.err);
    cr_assert_str_eq(r.out, plain.out);
    char *summary = ls_summary_block(r.err);
    cr_log_info("privdrop summary: %s", summary);
    char *json = ls_path_join(dir, "r.json");
    json_t *report = ls_load_json(json);
    cr_assert_eq(json_array_size(json_object_get(report, "losses")), 0, "losses: %s", r.err);
    cr_assert_eq(ls_report_stall_count(report), 1, "want the one slow tick:%s",
                 ls_describe_stalls_where(report));
    json_t *s = ls_report_stall(report, 0);
    uint64_t pid = ls_json_u64(ls_report_process(report, 0), "pid");
    cr_assert_eq(ls_json_u64(s, "tid"), pid);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert_str_eq(ls_json_str(s, "phase"), "serving");
    const char *fn = ls_stall_culprit(s);
    cr_assert(fn && strstr(fn, "sleep"), "culprit %s is not a sleep", fn ? fn : "(none)");
    uint64_t wall = ls_json_u64(s, "wall_ns");
    cr_assert(wall >= 119 * LS_MS && wall < 1000 * LS_MS, "stall of %.1f ms", wall / 1e6);
    cr_assert(ls_stall_has_symbol(s, "slow_tick"), "the stack does not name slow_tick");
    cr_assert(summary && strstr(summary, "1 stall"), "summary: %s", summary);
    free(summary);
    free(json);
    json_decref(report);
    ls_proc_result_free(&r);
    ls_proc_result_free(&plain);
    ls_tmpdir_cleanup(dir);
}

Test(privdrop, a_service_with_a_small_file_size_limit_runs_and_exits_as_without_the_agent,
     .timeout = 40)
{
    char *dir = ls_tmpdir();
    char *argv[] = {"sh", "-c", SMALL_FSIZE LS_PRIVDROP_LOOP " nobody 120", NULL};
    struct ls_proc_result plain = run_plain(argv);
    cr_assert_eq(plain.status, 0, "%s", plain.err);
    cr_assert_str_eq(plain.out, EXPECTED_OUTPUT);
    struct ls_proc_result r = run_under_loopstall(dir, argv);
    cr_assert_eq(r.status, plain.status, "the service exited %d under loopstall, %d without",
                 r.status, plain.status);
    cr_assert_str_eq(r.out, plain.out);
    ls_proc_result_free(&r);
    ls_proc_result_free(&plain);
    ls_tmpdir_cleanup(dir);
}

Test(privdrop, a_service_whose_report_outgrows_its_file_size_limit_is_not_killed_for_it,
     .timeout = 40)
{
    char *dir = ls_tmpdir();
    /* Still root: where the record cannot be shared the agent writes its own report, and 4 KiB
     * is less than that report. */
    char *argv[] = {"sh", "-c", "ulimit -f 4 && exec " LS_PRIVDROP_LOOP " root 120", NULL};
    struct ls_proc_result plain = run_plain(argv);
    cr_assert_eq(plain.status, 0, "%s", plain.err);
    struct ls_proc_result r = run_under_loopstall(dir, argv);
    cr_assert_eq(r.status, plain.status, "the service exited %d under loopstall, %d without",
                 r.status, plain.status);
    cr_assert_str_eq(r.out, plain.out);
    ls_proc_result_free(&r);
    ls_proc_result_free(&plain);
    ls_tmpdir_cleanup(dir);
}

Test(privdrop, a_record_that_cannot_be_shared_is_a_loss_on_the_summary_never_0_stalls,
     .timeout = 40)
{
    char *dir = ls_tmpdir();
    /* SIGXFSZ ignored, as the previous test wants it not to matter: sizing the record fails
     * with EFBIG and nothing else happens. */
    char *argv[] = {"sh", "-c", "trap '' XFSZ; " SMALL_FSIZE LS_PRIVDROP_LOOP " nobody 120", NULL};
    struct ls_proc_result r = run_under_loopstall(dir, argv);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, EXPECTED_OUTPUT);
    char *summary = ls_summary_block(r.err);
    cr_log_info("loss summary: %s", summary);
    char *json = ls_path_join(dir, "r.json");
    json_t *report = ls_load_json(json);
    cr_assert_eq(json_array_size(json_object_get(report, "losses")), 1);
    cr_assert_eq(ls_report_stall_count(report), 0, "the lost process's stall cannot be here");
    /* The summary's own line says the loss and why: it never reads as a clean run. */
    cr_assert_not_null(summary, "no summary line; stderr:\n%s", r.err);
    cr_assert(strstr(summary, "could not report"),
              "the summary reads as a clean run while a report was lost: %s", summary);
    cr_assert(strstr(summary, "could not share its record (EFBIG)"), "%s", summary);
    free(summary);
    free(json);
    json_decref(report);
    ls_proc_result_free(&r);
    ls_tmpdir_cleanup(dir);
}
