/* test-uvicorn.c -- a FastAPI service on uvicorn (Debian's python3-uvicorn), on the asyncio loop
 * and on uvloop, under `loopstall run`: a fixed endpoint (asyncio.to_thread) and a broken one
 * (requests.get inside `async def`) in front of a slow local upstream. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

#define PYTHON      "/usr/bin/python3" /* Debian's, where python3-uvicorn is installed */
#define UPSTREAM_MS "150"
#define REQUESTS    3
#define ANSWER      "{\"upstream\":\"slow upstream answer\"}"

struct service {
    char *dir;
    int port, upstream_port;
    char portstr[16];
    char upstream_env[96];
    const char *loop; /* uvicorn's --loop: asyncio or uvloop */
};

/* Debian's python3 with the packages scripts/setup.sh installs, or a clear failure. */
static void require_web_stack(void)
{
    char *argv[] = {PYTHON, "-c", "import uvicorn, fastapi, uvloop, requests", NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    cr_assert_eq(
        r.status, 0,
        "%s cannot import uvicorn, fastapi, uvloop and requests (run scripts/setup.sh):\n%s",
        PYTHON, r.err);
    ls_proc_result_free(&r);
}

static struct service service_make(const char *loop)
{
    require_web_stack();
    struct service s = {.dir = ls_tmpdir(), .port = ls_free_port(), .loop = loop};
    s.upstream_port = ls_free_port();
    snprintf(s.portstr, sizeof s.portstr, "%d", s.port);
    snprintf(s.upstream_env, sizeof s.upstream_env, "UPSTREAM_URL=http://127.0.0.1:%d/",
             s.upstream_port);
    char port[16];
    snprintf(port, sizeof port, "%d", s.upstream_port);
    char *up[] = {PYTHON, LS_SERVICES_DIR "/slow_upstream.py", port, UPSTREAM_MS, NULL};
    ls_spawn(up, NULL, s.dir, "upstream");
    char *log = ls_path_join(s.dir, "upstream.err");
    ls_wait_listening(s.upstream_port, 0, 15, "the slow upstream", log);
    free(log);
    return s;
}

/* Starts uvicorn, plain or under `loopstall run -t 50 [opts]`, as DIR/NAME.{out,err}; returns
 * once it listens. */
static pid_t uvicorn_start(struct service *s, int under_agent, char *const opts[], const char *name)
{
    // clang-format off
    char *cmd[] = {PYTHON, "-m", "uvicorn", "--app-dir", LS_SERVICES_DIR, "fastapi_app:app",
                   "--host", "127.0.0.1", "--port", s->portstr, "--loop", (char *)s->loop, NULL};
    // clang-format on
    char *env[] = {s->upstream_env, "PYTHONDONTWRITEBYTECODE=1", NULL};
    pid_t pid =
        under_agent ? ls_spawn_run(s->dir, "50", opts, cmd, env) : ls_spawn(cmd, env, s->dir, name);
    char file[64];
    snprintf(file, sizeof file, "%s.err", under_agent ? "run" : name);
    char *log = ls_path_join(s->dir, file);
    ls_wait_listening(s->port, pid, 30, "uvicorn", log);
    free(log);
    /* A service idles between its start and its first request. */
    usleep(200 * 1000);
    return pid;
}

static void get_all(struct service *s, const char *path)
{
    for (int i = 0; i < REQUESTS; i++) {
        char *body;
        int code = ls_http_get(s->port, path, &body, NULL);
        cr_assert_eq(code, 200, "GET %s answered %d: %s", path, code, body);
        cr_assert_str_eq(body, ANSWER);
        free(body);
    }
}

/* Serves REQUESTS of path under loopstall, stops uvicorn with SIGTERM to run (which passes it
 * on), and returns the merged report. */
static json_t *serve_under_loopstall(struct service *s, const char *path, char **summary)
{
    pid_t run = uvicorn_start(s, 1, NULL, "run");
    get_all(s, path);
    kill(run, SIGTERM);
    json_t *report = ls_finish_run(s->dir, run, 30, 0, summary);
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1,
                 "expected uvicorn alone in the report");
    return report;
}

/* A stall's interpreter frame named symbol, anywhere in its call's stack, stack or samples. */
static int has_py(json_t *stall, const char *symbol)
{
    return ls_stall_interp_frame(stall, "python", symbol) != NULL;
}

static void expect_broken_stalls(struct service *s, json_t *report)
{
    cr_assert_eq(ls_report_phase_count(report, "serving"), REQUESTS,
                 "want one serving stall per request to /broken, got:%s",
                 ls_describe_stalls_where(report));
    uint64_t pid = ls_json_u64(ls_report_process(report, 0), "pid");
    char upstream[32];
    snprintf(upstream, sizeof upstream, "127.0.0.1:%d", s->upstream_port);
    for (size_t i = 0; i < ls_report_stall_count(report); i++) {
        json_t *st = ls_report_stall(report, i);
        const char *phase = ls_json_str(st, "phase");
        if (phase && !strcmp(phase, "startup")) continue;
        cr_assert_eq(ls_json_u64(st, "tid"), pid, "the stall is not on the loop (main) thread");
        cr_assert_str_eq(ls_json_str(st, "class"), "blocking");
        /* requests sets a timeout, so CPython's socket waits in poll() before it reads. */
        const char *fn = ls_stall_culprit(st);
        cr_assert(fn && !strcmp(fn, "poll"), "culprit %s, want poll", fn ? fn : "(none)");
        json_t *call = json_array_get(json_object_get(st, "calls"), 0);
        cr_assert_str_eq(ls_json_str(call, "target"), upstream);
        cr_assert_geq(ls_json_u64(call, "wall_ns"), 140 * LS_MS);
        cr_assert(has_py(st, "broken"), "the stack does not reach the endpoint broken()");
    }
}

static void service_free(struct service *s)
{
    ls_tmpdir_cleanup(s->dir);
}

Test(uvicorn_asyncio, the_fixed_endpoint_has_no_serving_stall_and_the_app_import_is_startup,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct service s = service_make("asyncio");
    char *summary = NULL;
    json_t *report = serve_under_loopstall(&s, "/fixed", &summary);
    cr_log_info("uvicorn asyncio /fixed summary: %s", summary);
    cr_assert_eq(ls_report_phase_count(report, "serving"), 0, "serving stalls:%s",
                 ls_describe_stalls_where(report));
    /* uvicorn imports the application inside the loop (Server.serve -> Config.load). The app's
     * exit work runs after asyncio.run has closed the loop: no stall. */
    int import_seen = 0;
    for (size_t i = 0; i < ls_report_stall_count(report); i++) {
        json_t *st = ls_report_stall(report, i);
        cr_assert_str_eq(ls_json_str(st, "phase"), "startup");
        import_seen |= has_py(st, "_find_and_load");
    }
    cr_assert(import_seen, "no startup stall is inside an import:%s",
              ls_describe_stalls_where(report));
    free(summary);
    json_decref(report);
    service_free(&s);
}

Test(uvicorn_asyncio, the_broken_endpoint_stalls_in_poll_on_the_upstream_once_per_request,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct service s = service_make("asyncio");
    char *summary = NULL;
    json_t *report = serve_under_loopstall(&s, "/broken", &summary);
    cr_log_info("uvicorn asyncio /broken summary: %s", summary);
    expect_broken_stalls(&s, report);
    free(summary);
    json_decref(report);
    service_free(&s);
}

Test(uvicorn_uvloop, the_broken_endpoint_stalls_in_poll_on_the_upstream_once_per_request,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct service s = service_make("uvloop");
    char *summary = NULL;
    json_t *report = serve_under_loopstall(&s, "/broken", &summary);
    cr_log_info("uvicorn uvloop /broken summary: %s", summary);
    /* Only the stalls in poll are the endpoint's: any other (the interpreter's shutdown, were
     * the loop's end missed) is not counted here; the next test catches it. */
    size_t in_poll = 0;
    for (size_t i = 0; i < ls_report_stall_count(report); i++) {
        const char *fn = ls_stall_culprit(ls_report_stall(report, i));
        in_poll += fn && !strcmp(fn, "poll");
    }
    cr_assert_eq(in_poll, REQUESTS, "want one stall in poll per request, got:%s",
                 ls_describe_stalls_where(report));
    free(summary);
    json_decref(report);
    service_free(&s);
}

Test(uvicorn_uvloop, the_fixed_endpoint_has_no_serving_stall, .fini = ls_service_kill_all,
     .timeout = 60)
{
    struct service s = service_make("uvloop");
    char *summary = NULL;
    json_t *report = serve_under_loopstall(&s, "/fixed", &summary);
    cr_log_info("uvicorn uvloop /fixed summary: %s", summary);
    /* uvloop runs the application's import before its first wait, where no loop is known yet;
     * nothing after it blocks the loop while it serves, and the app's exit work (150 ms) runs
     * once the loop has ended: libuv closes its epoll fd with syscall(SYS_close), which the
     * agent's syscall() wrapper sees (before it did, that work was a serving stall here). */
    cr_assert_eq(ls_report_phase_count(report, "serving"), 0, "serving stalls:%s",
                 ls_describe_stalls_where(report));
    free(summary);
    json_decref(report);
    service_free(&s);
}

/* uvicorn's log, and the answers, of one run to /fixed and /broken, plain or under loopstall. */
static struct ls_proc_result serve_and_log(struct service *s, int under_agent)
{
    char *opts[] = {"-q", NULL};
    const char *name = under_agent ? "run" : "plain";
    pid_t pid = uvicorn_start(s, under_agent, opts, name);
    get_all(s, "/fixed");
    get_all(s, "/broken");
    kill(pid, SIGTERM);
    struct ls_proc_result r = {.status = ls_wait_exit(pid, 30)};
    char file[64];
    snprintf(file, sizeof file, "%s.out", name);
    char *o = ls_path_join(s->dir, file), *text = ls_file_text(o);
    r.out = ls_without_numbers(text);
    free(text);
    free(o);
    snprintf(file, sizeof file, "%s.err", name);
    char *e = ls_path_join(s->dir, file);
    text = ls_file_text(e);
    /* run's own lines (a hang line when the import runs long on a loaded machine) share the
     * stream; the service's lines are the rest. */
    char *service_lines = ls_without_lines_starting(text, "loopstall: ");
    r.err = ls_without_numbers(service_lines);
    free(service_lines);
    free(text);
    free(e);
    return r;
}

Test(uvicorn_asyncio, serves_logs_and_exits_the_same_under_loopstall_as_without_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct service s = service_make("asyncio");
    struct ls_proc_result plain = serve_and_log(&s, 0);
    struct ls_proc_result agent = serve_and_log(&s, 1);
    cr_assert_eq(plain.status, 0);
    cr_assert_eq(agent.status, plain.status);
    /* Pids, ports and client ports differ between two runs; the lines do not. */
    cr_assert(strstr(plain.err, "Application startup complete."), "%s", plain.err);
    cr_assert_str_eq(agent.err, plain.err);
    cr_assert_str_eq(agent.out, plain.out);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    service_free(&s);
}
