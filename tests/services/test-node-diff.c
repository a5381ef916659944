/* test-node-diff.c -- one unchanged Node CPU workload (pbkdf2Sync + gzipSync in an HTTP handler)
 * run five times under `loopstall run`: `loopstall diff` of any two runs finds nothing new. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_service.h"
#include "ls_test.h"

#define RUNS     5
#define REQUESTS 4 /* node_cpu_service.js's */
#define SERVICE  LS_SERVICES_DIR "/node_cpu_service.js"

Test(node_diff, five_runs_of_the_same_cpu_workload_diff_clean_pair_by_pair, .timeout = 110)
{
    ls_require_program("node");
    char *dir = ls_tmpdir();
    char *plain_argv[] = {"node", SERVICE, NULL};
    struct ls_proc_result plain = ls_run_argv(plain_argv, NULL, 30);
    cr_assert_eq(plain.status, 0, "node without the agent: %s", plain.err);
    char *json[RUNS];
    for (int i = 0; i < RUNS; i++) {
        char name[32];
        snprintf(name, sizeof name, "r%d.json", i);
        json[i] = ls_path_join(dir, name);
        char *argv[] = {(char *)ls_loopstall_bin(),
                        "run",
                        "-t",
                        "50",
                        "--json",
                        json[i],
                        "--",
                        "node",
                        SERVICE,
                        NULL};
        struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
        /* The service's answers and status are the same under the agent. */
        cr_assert_eq(r.status, plain.status, "run %d exited %d: %s", i, r.status, r.err);
        cr_assert_str_eq(r.out, plain.out);
        char *summary = ls_summary_block(r.err);
        cr_log_info("node run %d summary: %s", i, summary);
        free(summary);
        json_t *report = ls_load_json(json[i]);
        uint64_t pid = ls_json_u64(ls_report_process(report, 0), "pid");
        size_t on_main = 0;
        for (size_t k = 0; k < ls_report_stall_count(report); k++) {
            json_t *st = ls_report_stall(report, k);
            if (ls_json_u64(st, "tid") != pid) continue;
            on_main++;
            cr_assert_str_eq(ls_json_str(st, "class"), "cpu", "run %d:%s", i,
                             ls_describe_stalls_where(report));
        }
        cr_assert_eq(on_main, REQUESTS, "run %d: want one CPU stall per request:%s", i,
                     ls_describe_stalls_where(report));
        json_decref(report);
        ls_proc_result_free(&r);
    }
    /* Every ordered pair: diff's gate is asymmetric (new sites in HEAD). */
    char failures[8192] = "";
    int failed = 0;
    for (int a = 0; a < RUNS; a++) {
        for (int b = 0; b < RUNS; b++) {
            if (a == b) continue;
            char *argv[] = {(char *)ls_loopstall_bin(), "diff", json[a], json[b], NULL};
            struct ls_proc_result d = ls_run_argv(argv, NULL, 20);
            cr_assert(d.status == 0 || d.status == 1, "diff r%d r%d: status %d: %s", a, b, d.status,
                      d.err);
            if (d.status != 0) {
                failed++;
                char *last = strrchr(d.out, '\n');
                while (last && last > d.out && last[-1] != '\n')
                    last--;
                size_t used = strlen(failures);
                snprintf(failures + used, sizeof failures - used, "\n  r%d -> r%d: %s", a, b,
                         last ? last : d.out);
            }
            ls_proc_result_free(&d);
        }
    }
    cr_assert_eq(failed, 0, "%d of %d diffs of unchanged runs exit 1:%s", failed, RUNS * (RUNS - 1),
                 failures);
    for (int i = 0; i < RUNS; i++)
        free(json[i]);
    ls_proc_result_free(&plain);
    ls_tmpdir_cleanup(dir);
}
