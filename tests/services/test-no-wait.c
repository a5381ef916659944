/* test-no-wait.c -- `loopstall run --no-wait` with a daemon (redis-server --daemonize yes): run
 * returns while the daemon runs on, and `loopstall report DIR` merges its report later. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

#define FSYNC_RULE "fsync+fdatasync:delay=60ms,path=*appendonly*"
#define SETS       2

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* redis-cli -p port args...: its output (malloc'd). */
static char *cli(const char *port, const char *a1, const char *a2, const char *a3)
{
    char *argv[] = {"redis-cli", "-p", (char *)port, (char *)a1, (char *)a2, (char *)a3, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 10);
    cr_assert_eq(r.status, 0, "redis-cli %s: %s", a1, r.err);
    free(r.err);
    return r.out;
}

Test(no_wait, run_returns_while_the_daemon_runs_on_and_report_merges_it_after_it_stops,
     .fini = ls_service_kill_all, .timeout = 60)
{
    ls_require_program("redis-server");
    ls_require_program("redis-cli");
    char *dir = ls_tmpdir();
    char *reports = ls_path_join(dir, "reports");
    char *pidfile = ls_path_join(dir, "redis.pid");
    char *log = ls_path_join(dir, "redis.log");
    char port[16];
    snprintf(port, sizeof port, "%d", ls_free_port());
    // clang-format off
    char *argv[] = {(char *)ls_loopstall_bin(), "run", "--no-wait", "--dir", reports, "-t", "50",
                    "--inject", FSYNC_RULE, "--",
                    "redis-server", "--port", port, "--bind", "127.0.0.1", "--daemonize", "yes",
                    "--pidfile", pidfile, "--logfile", log, "--dir", dir, "--save", "",
                    "--appendonly", "yes", "--appendfsync", "always", NULL};
    // clang-format on
    ls_service_track_pidfile(pidfile);
    /* Read through pipes, as a shell's $(...) or a CI step would: run must let go of them. */
    struct ls_proc_result r = ls_run_argv(argv, NULL, 10);
    pid_t daemon = ls_read_pidfile(pidfile, 5);
    cr_assert_eq(r.status, 0, "run --no-wait exited %d (redis-server's front process exits 0):\n%s",
                 r.status, r.err);
    cr_assert_eq(kill(daemon, 0), 0, "the daemon is gone after run returned");
    char *ping = cli(port, "PING", NULL, NULL);
    cr_assert_str_eq(ping, "PONG\n");
    free(ping);

    char *summary = ls_summary_line(r.err);
    char *still = ls_line_starting(r.err, "loopstall: 1 process still running under the agent");
    cr_log_info("no-wait summary: %s", summary);
    cr_log_info("no-wait still running: %s", still);
    cr_assert_not_null(still, "the summary does not say the daemon runs on:\n%s", r.err);
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "(pid %d)", (int)daemon);
    cr_assert(strstr(still, pid_text), "%s does not name pid %d", still, (int)daemon);
    cr_assert(strstr(still, reports), "%s does not say where the reports go", still);

    usleep(200 * 1000); /* idle before the first client, as a service is */
    for (int i = 0; i < SETS; i++)
        free(cli(port, "SET", "key", "value"));
    char *sd[] = {"redis-cli", "-p", port, "SHUTDOWN", NULL};
    struct ls_proc_result s = ls_run_argv(sd, NULL, 10);
    ls_proc_result_free(&s);
    cr_assert(ls_wait_gone(daemon, 10), "redis did not shut down");

    /* The watcher run left behind writes the daemon's report once the daemon has ended. */
    char name[64];
    snprintf(name, sizeof name, "loopstall.%d.json", (int)daemon);
    char *daemon_report = ls_path_join(reports, name);
    struct stat st;
    for (int waited = 0; stat(daemon_report, &st) != 0; waited += 50) {
        cr_assert_lt(waited, 10000, "%s was never written", daemon_report);
        sleep_ms(50);
    }
    char *merged = ls_path_join(dir, "merged.json");
    char *rep[] = {(char *)ls_loopstall_bin(), "report", reports, "--json", merged, NULL};
    struct ls_proc_result m = ls_run_argv(rep, NULL, 20);
    cr_assert_eq(m.status, 0, "loopstall report %s: %s", reports, m.err);
    json_t *report = ls_load_json(merged);
    json_t *p = ls_report_process_by_pid(report, daemon);
    cr_assert_not_null(p, "the daemon is not in the merged report");
    size_t n = json_array_size(json_object_get(p, "stalls"));
    /* One stall per SET and one at SHUTDOWN, each an AOF fdatasync. */
    cr_assert_eq(n, SETS + 1, "want %d stalls, got:%s", SETS + 1, ls_describe_stalls_where(report));
    for (size_t i = 0; i < n; i++) {
        const char *fn = ls_stall_culprit(json_array_get(json_object_get(p, "stalls"), i));
        cr_assert(fn && !strcmp(fn, "fdatasync"), "culprit %s", fn ? fn : "(none)");
    }
    json_decref(report);
    ls_proc_result_free(&m);
    ls_proc_result_free(&r);
    free(summary);
    free(still);
    free(merged);
    free(daemon_report);
    free(reports);
    free(pidfile);
    free(log);
    ls_tmpdir_cleanup(dir);
}
