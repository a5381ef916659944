/* test-hostile-signals.c -- the agent's sampling signal is never seen by the host: no EINTR in
 * ~20 s of short calls between sampled CPU bursts, nothing left pending for a thread that blocks
 * signals, nothing read from a signalfd; the agent's signal sent by someone else, or kill -60 on
 * a host without a loop, ends the host as it would without the agent; and an ASan-built host
 * starts under run. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "battery.h"

/* Stack samples over the report's kept stalls. */
static size_t samples_in(json_t *report)
{
    size_t n = 0;
    for (size_t i = 0; i < ls_report_stall_count(report); i++)
        n += json_array_size(json_object_get(ls_report_stall(report, i), "samples"));
    return n;
}

Test(signals, twenty_seconds_of_short_calls_between_sampled_bursts_see_no_eintr, .timeout = 120)
{
    char *target = ls_target("eintr-storm");
    char *cmd[] = {target, "10", NULL};
    for (int way = 0; way < BT_WAYS; way++) { /* 10 s each way: 20 s in all */
        struct bt_run r;
        /* 4 ms: every iteration is a stall, so the watcher keeps asking for samples. */
        bt_run(&r, way, "4", cmd, NULL, 60);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.out);
        cr_assert(strncmp(r.proc.out, "eintr 0 of ", 11) == 0, "%s: %s", bt_way_name[way],
                  r.proc.out);
        cr_assert_gt(bt_number_after(r.proc.out, "eintr 0 of "), 1000, "%s: %s", bt_way_name[way],
                     r.proc.out);
        cr_assert_not_null(r.report, "%s: no report", bt_way_name[way]);
        cr_assert_geq(samples_in(r.report), 20, "%s: the loop was sampled (%zu samples)",
                      bt_way_name[way], samples_in(r.report));
        bt_free(&r);
    }
    free(target);
}

/* A loop thread blocking every signal (before its first wait, or after) is never signalled. */
static void assert_never_signalled(const char *when)
{
    char *target = ls_target("blocked-ppoll");
    char *cmd[] = {target, (char *)when, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s, %s: %s", when, bt_way_name[way], r.proc.out);
        cr_assert_str_eq(r.proc.out, "pending 0 eintr 0\n", "%s, %s", when, bt_way_name[way]);
        cr_assert_not_null(r.report, "%s, %s: no report", when, bt_way_name[way]);
        cr_assert_eq(ls_report_stall_count(r.report), 30, "%s, %s: the 30 CPU stalls:%s", when,
                     bt_way_name[way], ls_describe_stalls(r.report));
        cr_assert_eq(samples_in(r.report), 0, "%s, %s: no sample of a thread blocking signals",
                     when, bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}

Test(signals, a_loop_that_blocks_every_signal_before_its_first_wait_is_never_signalled)
{
    assert_never_signalled("before");
}

Test(signals, a_loop_that_blocks_every_signal_once_it_runs_is_never_signalled)
{
    assert_never_signalled("after");
}

Test(signals, a_loop_reading_every_signal_from_a_signalfd_reads_only_its_own)
{
    char *target = ls_target("signalfd-host");
    char *cmd[] = {target, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.out);
        cr_assert_str_eq(r.proc.out, "read 5 SIGUSR1, 0 others\n", "%s", bt_way_name[way]);
        cr_assert_eq(ls_report_stall_count(r.report), 30, "%s: its 30 CPU stalls:%s",
                     bt_way_name[way], ls_describe_stalls(r.report));
        cr_assert_eq(samples_in(r.report), 0, "%s: a thread blocking signals is not sampled",
                     bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}

/* Starts cmd the way (or bare, way < 0) in the background; returns the pid to signal (the host
 * itself, not run) through *host, and the pid to wait for. */
static pid_t start(int way, char *const cmd[], char *dir, pid_t *host)
{
    char preload[4200], out[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", ls_agent_path());
    snprintf(out, sizeof out, "LOOPSTALL_OUT=%s", dir);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        if (way == BT_DIRECT) {
            putenv(preload);
            putenv(out);
        }
        if (way == BT_RUN) {
            char *argv[16] = {(char *)ls_loopstall_bin(), "run", "-q", "--dir", dir, "--"};
            int n = 6;
            for (int i = 0; cmd[i] && n < 15; i++)
                argv[n++] = cmd[i];
            argv[n] = NULL;
            execv(argv[0], argv);
        } else {
            execv(cmd[0], cmd);
        }
        _exit(127);
    }
    *host = pid;
    if (way == BT_RUN) { /* the command is run's child */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        for (int i = 0; i < 200 && *host == pid; i++) {
            usleep(10000);
            FILE *f = fopen(path, "r");
            int child;
            if (f && fscanf(f, "%d", &child) == 1) *host = child;
            if (f) fclose(f);
        }
        cr_assert_neq(*host, pid, "run started no command");
    }
    return pid;
}

/* The real-time signals from SIGRTMIN on that pid catches (SigCgt), as a mask. */
static unsigned long long rt_caught(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "SigCgt:", 7)) mask = strtoull(line + 7, NULL, 16);
    if (f) fclose(f);
    return mask & ~((1ULL << (SIGRTMIN - 1)) - 1);
}

/* The exit status of pid, waited for at most 10 s: a host that did not end is killed (with
 * host, the process that was signalled), and the test fails. */
static int wait_status(pid_t pid, pid_t host)
{
    int st = 0;
    for (int i = 0; i < 1000; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        cr_assert_geq(r, 0);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(host, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    cr_assert_fail("the host did not end within 10 s of the signal");
    return -1;
}

Test(signals, kill_60_ends_a_host_without_a_loop_as_without_the_agent)
{
    char *cmd[] = {"/bin/sleep", "30", NULL};
    char *dir = ls_tmpdir();
    pid_t host, pid = start(-1, cmd, dir, &host);
    usleep(300000);
    kill(host, 60);
    int want = wait_status(pid, host);
    cr_assert_eq(want, 128 + 60);
    for (int way = 0; way < BT_WAYS; way++) {
        pid = start(way, cmd, dir, &host);
        usleep(300000);
        unsigned long long rt = rt_caught(host);
        kill(host, 60);
        cr_assert_eq(wait_status(pid, host), want, "%s", bt_way_name[way]);
        cr_assert_eq(rt, 0, "%s: a host without a loop has no handler of ours", bt_way_name[way]);
    }
    ls_tmpdir_cleanup(dir);
}

Test(signals, the_agents_signal_sent_by_someone_else_ends_a_loop_host_as_without_the_agent)
{
    char *target = ls_target("epoll-hang");
    char *cmd[] = {target, NULL};
    char *dir = ls_tmpdir();
    for (int way = 0; way < BT_WAYS; way++) {
        pid_t host, pid = start(way, cmd, dir, &host);
        unsigned long long rt = 0;
        for (int i = 0; i < 300 && !rt; i++) { /* the handler comes with the first loop */
            usleep(10000);
            rt = rt_caught(host);
        }
        if (!rt || (rt & (rt - 1))) { /* the hang never ends by itself: end it first */
            kill(host, SIGKILL);
            wait_status(pid, host);
        }
        cr_assert_neq(rt, 0, "%s: the sampler's handler was never installed", bt_way_name[way]);
        cr_assert_eq(rt & (rt - 1), 0, "%s: one real-time signal of ours: %llx", bt_way_name[way],
                     rt);
        int sig = __builtin_ctzll(rt) + 1;
        kill(host, sig);
        cr_assert_eq(wait_status(pid, host), 128 + sig, "%s: signal %d", bt_way_name[way], sig);
    }
    ls_tmpdir_cleanup(dir);
    free(target);
}

Test(signals, an_asan_built_host_starts_under_run_and_reports_its_stalls)
{
    char *target = ls_target("asan-loop");
    char *cmd[] = {target, NULL};
    struct bt_run r;
    bt_run(&r, BT_RUN, "20", cmd, NULL, 60);
    cr_assert_eq(bt_status(&r), 0, "%s", r.proc.err);
    cr_assert_str_eq(r.proc.out, "asan ok\n");
    cr_assert_eq(ls_report_stall_count(r.report), 2, "%s", ls_describe_stalls(r.report));
    json_t *blocking = ls_report_stall(r.report, 0), *cpu = ls_report_stall(r.report, 1);
    cr_assert_str_eq(ls_stall_culprit(blocking), "nanosleep");
    cr_assert_str_eq(ls_json_str(cpu, "class"), "cpu");
    cr_assert(ls_stall_has_symbol(cpu, "host_burn"), "%s", ls_describe_stalls(r.report));
    bt_free(&r);
    free(target);
}
