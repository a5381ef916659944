/* test-haproxy.c -- HAProxy (two threads) in front of a slow backend under `loopstall run`: a
 * slow backend does not stall an asynchronous proxy, a connect made blocking does. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

#define PYTHON     "/usr/bin/python3"
#define BACKEND_MS "150"
#define REQUESTS   3
#define THREADS    2

struct proxy {
    char *dir;
    char *cfg;
    int port, backend_port;
};

static struct proxy proxy_make(void)
{
    ls_require_program("haproxy");
    struct proxy p = {.dir = ls_tmpdir(), .port = ls_free_port()};
    p.backend_port = ls_free_port();
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "global\n"
             "  nbthread %d\n"
             "defaults\n"
             "  mode http\n"
             "  timeout connect 5s\n"
             "  timeout client 10s\n"
             "  timeout server 10s\n"
             "frontend fe\n"
             "  bind 127.0.0.1:%d\n"
             "  default_backend be\n"
             "backend be\n"
             "  server slow 127.0.0.1:%d\n",
             THREADS, p.port, p.backend_port);
    p.cfg = ls_write_in(p.dir, "haproxy.cfg", cfg);
    char port[16];
    snprintf(port, sizeof port, "%d", p.backend_port);
    char *backend[] = {PYTHON, LS_SERVICES_DIR "/slow_upstream.py", port, BACKEND_MS, NULL};
    ls_spawn(backend, NULL, p.dir, "backend");
    char *log = ls_path_join(p.dir, "backend.err");
    ls_wait_listening(p.backend_port, 0, 15, "the slow backend", log);
    free(log);
    return p;
}

static void proxy_free(struct proxy *p)
{
    free(p->cfg);
    ls_tmpdir_cleanup(p->dir);
}

/* haproxy -db (in the foreground) -f CFG, plain or under `loopstall run -t 50 [opts]`. */
static pid_t proxy_start(struct proxy *p, int under_agent, char *const opts[])
{
    char *cmd[] = {"haproxy", "-db", "-f", p->cfg, NULL};
    pid_t pid = under_agent ? ls_spawn_run(p->dir, "50", opts, cmd, NULL)
                            : ls_spawn(cmd, NULL, p->dir, "plain");
    char *log = ls_path_join(p->dir, under_agent ? "run.err" : "plain.err");
    ls_wait_listening(p->port, pid, 15, "haproxy", log);
    free(log);
    usleep(200 * 1000); /* idle before the first client, as a service is */
    return pid;
}

/* REQUESTS through the proxy, one after the other; each takes the backend's time at least. */
static char *proxy_requests(struct proxy *p)
{
    char *all = calloc(1, 4096);
    for (int i = 0; i < REQUESTS; i++) {
        char *body;
        double ms;
        int code = ls_http_get(p->port, "/", &body, &ms);
        cr_assert_eq(code, 200, "GET through haproxy answered %d", code);
        cr_assert_str_eq(body, "slow upstream answer");
        cr_assert_geq(ms, 140.0, "a request took %.1f ms: the backend is not the slow one", ms);
        strcat(all, body);
        free(body);
    }
    return all;
}

/* Serves, then stops haproxy with SIGTERM (through run, which passes it on). */
static json_t *serve_under_loopstall(struct proxy *p, char *const opts[], char **summary)
{
    pid_t run = proxy_start(p, 1, opts);
    free(proxy_requests(p));
    kill(run, SIGTERM);
    /* HAProxy's own answer to SIGTERM (the test below checks it is the same without us). */
    json_t *report = ls_finish_run(p->dir, run, 20, 128 + SIGTERM, summary);
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1);
    cr_assert_eq(ls_report_loop_count(report), THREADS, "want both haproxy threads as loops");
    return report;
}

Test(haproxy, a_slow_backend_does_not_stall_the_proxy_threads, .fini = ls_service_kill_all,
     .timeout = 60)
{
    struct proxy p = proxy_make();
    char *summary = NULL;
    json_t *report = serve_under_loopstall(&p, NULL, &summary);
    cr_log_info("haproxy slow backend summary: %s", summary);
    cr_assert_eq(ls_report_stall_count(report), 0, "stalls:%s", ls_describe_stalls_where(report));
    free(summary);
    json_decref(report);
    proxy_free(&p);
}

Test(haproxy, a_blocking_connect_to_the_backend_stalls_the_thread_that_made_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct proxy p = proxy_make();
    char backend[32], rule[96];
    snprintf(backend, sizeof backend, "127.0.0.1:%d", p.backend_port);
    snprintf(rule, sizeof rule, "connect:delay=80ms,peer=%s", backend);
    char *opts[] = {"--inject", rule, NULL};
    char *summary = NULL;
    json_t *report = serve_under_loopstall(&p, opts, &summary);
    cr_log_info("haproxy blocking connect summary: %s", summary);
    cr_assert_eq(ls_report_stall_count(report), REQUESTS, "want one stall per request:%s",
                 ls_describe_stalls_where(report));
    for (size_t i = 0; i < REQUESTS; i++) {
        json_t *st = ls_report_stall(report, i);
        cr_assert_not_null(ls_report_loop_of_tid(report, ls_json_u64(st, "tid")),
                           "the stall is on a thread that is not a loop");
        cr_assert_str_eq(ls_json_str(st, "class"), "blocking");
        json_t *call = json_array_get(json_object_get(st, "calls"), 0);
        cr_assert_str_eq(ls_json_str(call, "fn"), "connect");
        cr_assert_str_eq(ls_json_str(call, "target"), backend);
        cr_assert_geq(ls_json_u64(st, "wall_ns"), 79 * LS_MS);
        /* haproxy ends on SIGTERM: the frames must still say which module they are in. */
        json_t *top = json_array_get(json_object_get(call, "stack"), 0);
        cr_assert_not_null(top, "the connect has no stack");
        const char *module = ls_json_str(top, "module");
        cr_assert(module && strstr(module, "haproxy"),
                  "the connect's caller is in module %s, want haproxy's executable",
                  module ? module : "null");
    }
    free(summary);
    json_decref(report);
    proxy_free(&p);
}

static struct ls_proc_result serve_and_stop(struct proxy *p, int under_agent)
{
    char *opts[] = {"-q", NULL};
    pid_t pid = proxy_start(p, under_agent, opts);
    char *answers = proxy_requests(p);
    kill(pid, SIGTERM);
    struct ls_proc_result r = {.status = ls_wait_exit(pid, 20)};
    char *o = ls_path_join(p->dir, under_agent ? "run.out" : "plain.out");
    char *e = ls_path_join(p->dir, under_agent ? "run.err" : "plain.err");
    char *text = ls_file_text(o);
    r.out = malloc(strlen(text) + strlen(answers) + 1);
    strcpy(r.out, text);
    strcat(r.out, answers);
    char *err = ls_file_text(e);
    r.err = ls_without_numbers(err); /* haproxy's messages carry its pid */
    free(err);
    free(text);
    free(answers);
    free(o);
    free(e);
    return r;
}

Test(haproxy, proxies_prints_and_exits_the_same_under_loopstall_as_without_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct proxy p = proxy_make();
    struct ls_proc_result plain = serve_and_stop(&p, 0);
    struct ls_proc_result agent = serve_and_stop(&p, 1);
    cr_assert_eq(plain.status, 128 + SIGTERM, "haproxy's own status on SIGTERM is %d",
                 plain.status);
    cr_assert_eq(agent.status, plain.status);
    cr_assert_str_eq(agent.out, plain.out);
    cr_assert_str_eq(agent.err, plain.err);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    proxy_free(&p);
}
