/* test-redis.c -- redis-server under loopstall, stalled on purpose with DEBUG SLEEP. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ls_test.h"

/* The background `loopstall run` process group, killed after the test whatever happened. */
static pid_t server_group;

static void kill_leftovers(void)
{
    if (server_group > 0) {
        kill(-server_group, SIGKILL);
        waitpid(server_group, NULL, 0);
        server_group = 0;
    }
}

/* A TCP port on 127.0.0.1 that nobody listens on right now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Starts argv in the background in its own process group, output to DIR/out and DIR/err. */
static pid_t start_background(char *const argv[], const char *dir)
{
    char *out = ls_path_join(dir, "out"), *err = ls_path_join(dir, "err");
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || n < 0) _exit(126);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        execvp(argv[0], argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free(out);
    free(err);
    server_group = pid;
    return pid;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits at most timeout_s for pid and fails the test past that (kill_leftovers ends it).
 * Returns the exit status, or 128+N when signal N ended it. */
static int wait_background(pid_t pid, int timeout_s)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        cr_assert(w == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
        if (now_ms() >= deadline)
            cr_assert_fail("%d did not exit within %d s", (int)pid, timeout_s);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    server_group = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs redis-cli -p PORT ARGS... and returns its output (malloc'd); fails on a bad status. */
static char *cli(int port, const char *a1, const char *a2, const char *a3)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    char *argv[] = {"redis-cli", "-p", p, (char *)a1, (char *)a2, (char *)a3, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 10);
    cr_assert_eq(r.status, 0, "redis-cli %s exited %d: %s%s", a1, r.status, r.out, r.err);
    free(r.err);
    return r.out;
}

/* 1 once redis-server answers PING on port. */
static int answers_ping(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    char *argv[] = {"redis-cli", "-p", p, "ping", NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 5);
    int ok = r.status == 0 && strstr(r.out, "PONG") != NULL;
    ls_proc_result_free(&r);
    return ok;
}

static char *slurp(const char *dir, const char *name)
{
    char *path = ls_path_join(dir, name);
    FILE *f = fopen(path, "r");
    free(path);
    char *s = calloc(1, 65536);
    if (f) {
        size_t n = fread(s, 1, 65535, f);
        s[n] = '\0';
        fclose(f);
    }
    return s;
}

/* A redis-server run under `loopstall run -t 50` in the background, stopped with SHUTDOWN. */
struct redis_run {
    char *dir;
    char *json;
    int port;
    pid_t pid;
};

static void redis_start(struct redis_run *rr)
{
    ls_require_program("redis-server");
    ls_require_program("redis-cli");
    rr->dir = ls_tmpdir();
    rr->json = ls_path_join(rr->dir, "r.json");
    rr->port = free_port();
    char ports[16];
    snprintf(ports, sizeof ports, "%d", rr->port);
    // clang-format off
    char *argv[] = {(char *)ls_loopstall_bin(), "run", "-q", "-t", "50", "--json", rr->json,
                    "--", "redis-server", "--port", ports, "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--enable-debug-command", "local",
                    "--daemonize", "no", "--dir", rr->dir, NULL};
    // clang-format on
    rr->pid = start_background(argv, rr->dir);
    uint64_t deadline = now_ms() + 5000;
    while (!answers_ping(rr->port)) {
        if (now_ms() >= deadline || waitpid(rr->pid, NULL, WNOHANG) == rr->pid) {
            char *err = slurp(rr->dir, "err"), *out = slurp(rr->dir, "out");
            cr_assert_fail("redis-server never answered on port %d:\n%s\n%s", rr->port, out, err);
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* SHUTDOWN, wait for loopstall run, and load its report. */
static json_t *redis_stop(struct redis_run *rr)
{
    free(cli(rr->port, "SHUTDOWN", "NOSAVE", NULL));
    int status = wait_background(rr->pid, 10);
    char *err = slurp(rr->dir, "err");
    cr_assert_eq(status, 0, "loopstall run exited %d; stderr:\n%s", status, err);
    free(err);
    return ls_load_json(rr->json);
}

static void redis_cleanup(struct redis_run *rr)
{
    free(rr->json);
    ls_tmpdir_cleanup(rr->dir);
}

Test(redis, debug_sleep_is_one_blocking_stall_in_debugCommand, .fini = kill_leftovers)
{
    struct redis_run rr;
    redis_start(&rr);
    char *ok = cli(rr.port, "DEBUG", "SLEEP", "0.2");
    cr_assert_str_eq(ok, "OK\n");
    free(ok);
    json_t *report = redis_stop(&rr);
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1);
    uint64_t rpid = ls_json_u64(ls_report_process(report, 0), "pid");
    cr_assert_eq(ls_report_loop_count(report), 1, "only redis's main thread runs a loop");
    cr_assert_eq(ls_report_stall_count(report), 1, "expected exactly one stall, got:%s",
                 ls_describe_stalls(report));
    json_t *s = ls_report_stall(report, 0);
    cr_assert_eq(ls_json_u64(s, "tid"), rpid, "the stall is not on redis's main thread");
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert(!json_is_true(json_object_get(s, "ongoing")));
    uint64_t wall = ls_json_u64(s, "wall_ns");
    cr_assert(wall >= 199 * LS_MS && wall <= 230 * LS_MS, "stall wall %.1f ms, want 200 +- 30",
              wall / 1e6);

    /* DEBUG SLEEP is usleep() in redis 6 and 7, nanosleep underneath in glibc. */
    const char *fn = ls_stall_culprit(s);
    cr_assert(fn && (strcmp(fn, "nanosleep") == 0 || strcmp(fn, "usleep") == 0 ||
                     strcmp(fn, "clock_nanosleep") == 0),
              "culprit %s is not a sleep call", fn ? fn : "(none)");
    uint64_t call_wall = ls_json_u64(json_array_get(json_object_get(s, "calls"), 0), "wall_ns");
    cr_assert(call_wall >= 199 * LS_MS && call_wall <= 230 * LS_MS,
              "the sleep took %.1f ms, want 200", call_wall / 1e6);
    cr_assert(ls_stall_has_symbol(s, "debugCommand"), "the stack does not name debugCommand");

    json_decref(report);
    redis_cleanup(&rr);
}

Test(redis, a_long_lua_script_is_a_cpu_stall_whose_samples_show_the_script_engine,
     .fini = kill_leftovers)
{
    struct redis_run rr;
    redis_start(&rr);
    /* A busy loop in Lua: Redis runs scripts on its one loop thread. */
    char *out =
        cli(rr.port, "EVAL", "local i = 0 while i < 20000000 do i = i + 1 end return i", "0");
    cr_assert_str_eq(out, "20000000\n"); /* redis-cli prints bare values when not on a tty */
    free(out);
    json_t *report = redis_stop(&rr);
    cr_assert_eq(ls_report_stall_count(report), 1, "expected exactly one stall, got:%s",
                 ls_describe_stalls(report));
    json_t *s = ls_report_stall(report, 0);
    cr_assert_str_eq(ls_json_str(s, "class"), "cpu", "%s", ls_describe_stalls(report));
    cr_assert_geq(ls_json_u64(s, "wall_ns"), 50 * LS_MS);
    cr_assert_geq(json_array_size(json_object_get(s, "samples")), 1, "the stall was sampled");
    cr_assert(ls_stall_has_symbol(s, "evalGenericCommand") || ls_stall_has_symbol(s, "lua_pcall") ||
                  ls_stall_has_symbol(s, "luaCallFunction"),
              "the samples reach Redis's script engine");
    json_decref(report);
    redis_cleanup(&rr);
}
