/* test-lifecycle-exits.c -- however a process ends right after a stall, the report has that
 * stall with its true length; a hung loop killed with SIGKILL at a random moment leaves valid
 * JSON with the hang within 250 ms of its real length (direct use: the last rewrite) or within a
 * watcher tick (under run), and no temporary file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "battery.h"

struct exit_path {
    const char *how;
    int status;  /* the exit status it gives, as without the agent */
    int ongoing; /* a signal cut the iteration short: the stall is reported as ongoing */
};

static const struct exit_path paths[] = {
    {"exit", 4, 0},
    {"return", 4, 0},
    {"_exit", 4, 0},
    {"_Exit", 4, 0},
    {"quick_exit", 4, 0},
    {"exit_group", 4, 0},
    {"abort", 128 + SIGABRT, 1},
    {"segv", 128 + SIGSEGV, 1},
    {"term", 128 + SIGTERM, 1},
};

static void assert_last_stall_true(const struct exit_path *p, const char *kind)
{
    char *target = ls_target("exit-paths");
    char *cmd[] = {target, (char *)p->how, (char *)kind, NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), p->status, "%s %s, %s: %s", p->how, kind, bt_way_name[way],
                     r.proc.err);
        cr_assert_not_null(r.report, "%s %s, %s: no report", p->how, kind, bt_way_name[way]);
        json_t *proc = ls_report_process(r.report, 0);
        cr_assert_str_eq(ls_json_str(proc, "ended"), p->ongoing ? "signal" : "exit", "%s %s, %s",
                         p->how, kind, bt_way_name[way]);
        size_t n = ls_report_stall_count(r.report);
        cr_assert_eq(n, 1, "%s %s, %s: the one stall:%s", p->how, kind, bt_way_name[way],
                     ls_describe_stalls(r.report));
        json_t *s = ls_report_stall(r.report, 0);
        uint64_t wall = ls_json_u64(s, "wall_ns");
        cr_assert(wall >= 60 * LS_MS && wall <= 75 * LS_MS, "%s %s, %s: %.1f ms for a 60 ms stall",
                  p->how, kind, bt_way_name[way], wall / 1e6);
        cr_assert_eq(json_is_true(json_object_get(s, "ongoing")), p->ongoing, "%s %s, %s", p->how,
                     kind, bt_way_name[way]);
        cr_assert_str_eq(ls_json_str(s, "class"), !strcmp(kind, "cpu") ? "cpu" : "blocking",
                         "%s %s, %s", p->how, kind, bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}

Test(exits, every_way_out_right_after_a_blocking_stall_leaves_it_with_its_true_length)
{
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_last_stall_true(&paths[i], "blocking");
}

Test(exits, every_way_out_right_after_a_cpu_stall_leaves_it_with_its_true_length)
{
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_last_stall_true(&paths[i], "cpu");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts epoll-hang the way; returns the pid to wait for, the hung host's pid in *host, and
 * the moment it said "hanging" in *hung_at. */
static pid_t start_hang(int way, const char *dir, const char *json, pid_t *host, double *hung_at)
{
    int out[2];
    cr_assert_eq(pipe(out), 0);
    char *target = ls_target("epoll-hang");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        char preload[4200], lsout[4200];
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", ls_agent_path());
        snprintf(lsout, sizeof lsout, "LOOPSTALL_OUT=%s", dir);
        if (way == BT_DIRECT) {
            putenv(preload);
            putenv(lsout);
            execl(target, target, (char *)NULL);
        } else {
            execl(ls_loopstall_bin(), ls_loopstall_bin(), "run", "-q", "--json", json, "--", target,
                  (char *)NULL);
        }
        _exit(127);
    }
    close(out[1]);
    free(target);
    char line[64] = "";
    FILE *f = fdopen(out[0], "r");
    cr_assert(fgets(line, sizeof line, f) && !strcmp(line, "hanging\n"), "no hang: %s", line);
    *hung_at = now_s();
    fclose(f);
    *host = pid;
    if (way == BT_RUN) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        FILE *c = fopen(path, "r");
        int child = 0;
        cr_assert(c && fscanf(c, "%d", &child) == 1, "run has no child");
        fclose(c);
        *host = child;
    }
    return pid;
}

/* Hangs epoll-hang the way, kills it with SIGKILL after a random wait (300..1500 ms) and
 * checks what it left: one valid report whose ongoing stall is at most `behind_ms` shorter than
 * the hang really was (and not longer), and nothing else in the directory. */
static void kill_hung_loop(int way, unsigned *seed, int behind_ms)
{
    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "run.json");
    double hung_at;
    pid_t host, pid = start_hang(way, dir, json, &host, &hung_at);
    int wait_ms = 300 + (int)(rand_r(seed) % 1200);
    usleep((useconds_t)wait_ms * 1000);
    cr_assert_eq(kill(host, SIGKILL), 0);
    double real_ms = (now_s() - hung_at) * 1e3;
    int st;
    waitpid(pid, &st, 0);
    char name[64];
    if (way == BT_DIRECT)
        snprintf(name, sizeof name, "loopstall.%d.json", (int)host);
    else
        snprintf(name, sizeof name, "run.json");
    char **names = bt_dir_names(dir);
    cr_assert(names[0] && !strcmp(names[0], name) && !names[1],
              "%s: only %s is left in the directory (first: %s, second: %s)", bt_way_name[way],
              name, names[0] ? names[0] : "none", names[0] && names[1] ? names[1] : "none");
    bt_names_free(names);
    char *path = ls_path_join(dir, name);
    json_t *report = ls_load_json(path); /* fails the test if it is not valid JSON */
    cr_assert_eq(ls_report_stall_count(report), 1, "%s:%s", bt_way_name[way],
                 ls_describe_stalls(report));
    json_t *s = ls_report_stall(report, 0);
    cr_assert(json_is_true(json_object_get(s, "ongoing")), "%s", bt_way_name[way]);
    double got_ms = (double)ls_json_u64(s, "wall_ns") / 1e6;
    cr_assert(got_ms >= real_ms - behind_ms && got_ms <= real_ms + 100,
              "%s: a hang of %.0f ms is reported as %.0f ms (killed after %d ms; at most %d ms "
              "short)",
              bt_way_name[way], real_ms, got_ms, wait_ms, behind_ms);
    json_decref(report);
    free(path);
    free(json);
    ls_tmpdir_cleanup(dir);
}

Test(exits, a_hung_loop_killed_at_random_moments_leaves_its_hang_within_250_ms, .timeout = 120)
{
    unsigned seed = (unsigned)time(NULL);
    cr_log_info("seed %u", seed);
    for (int i = 0; i < 8; i++)
        kill_hung_loop(BT_DIRECT, &seed, 250);
}

Test(exits, a_hung_loop_killed_under_run_is_reported_within_a_watcher_tick, .timeout = 120)
{
    unsigned seed = (unsigned)time(NULL);
    cr_log_info("seed %u", seed);
    /* A tick is half the threshold (10 ms) while a loop is busy; a little more for the wake-up. */
    for (int i = 0; i < 4; i++)
        kill_hung_loop(BT_RUN, &seed, 25);
}
