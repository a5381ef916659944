/* test-nginx.c -- nginx deployed as Debian does it (started as root, `user www-data;`,
 * `daemon on;`) under `loopstall run`, with the open of one file slowed down. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

#define SLOW_RULE "open+openat+open64+openat64:delay=100ms,path=*/slow.txt"
#define SLOW_GETS 3

/* One nginx deployment in a temporary directory of its own: config, pid file, logs, docroot. */
struct site {
    char *dir;
    char *conf;
    char *pidfile;
    char *errlog;
    int port;
};

/* A config of the test's own: Debian's user and daemon defaults, two workers, 127.0.0.1 only,
 * every path nginx writes inside dir. extra goes into the main context (a bad directive). */
static struct site site_make(const char *extra)
{
    ls_require_program("nginx");
    cr_assert_eq(geteuid(), 0, "this test starts nginx as root (user www-data;): run it as root");
    struct site s = {.dir = ls_tmpdir(), .port = ls_free_port()};
    /* The workers run as www-data: they must be able to reach the docroot. */
    cr_assert_eq(chmod(s.dir, 0755), 0);
    s.pidfile = ls_path_join(s.dir, "nginx.pid");
    s.errlog = ls_path_join(s.dir, "error.log");
    char conf[4096];
    snprintf(conf, sizeof conf,
             "user www-data;\n"
             "daemon on;\n"
             "worker_processes 2;\n"
             "pid %s;\n"
             "error_log %s;\n"
             "%s\n"
             "events { worker_connections 64; }\n"
             "http {\n"
             "  access_log off;\n"
             "  client_body_temp_path %s/body;\n"
             "  proxy_temp_path %s/proxy;\n"
             "  fastcgi_temp_path %s/fastcgi;\n"
             "  uwsgi_temp_path %s/uwsgi;\n"
             "  scgi_temp_path %s/scgi;\n"
             "  server { listen 127.0.0.1:%d; root %s/www; }\n"
             "}\n",
             s.pidfile, s.errlog, extra ? extra : "", s.dir, s.dir, s.dir, s.dir, s.dir, s.port,
             s.dir);
    s.conf = ls_write_in(s.dir, "nginx.conf", conf);
    char *www = ls_path_join(s.dir, "www");
    cr_assert_eq(mkdir(www, 0755), 0);
    free(ls_write_in(www, "slow.txt", "slow file\n"));
    free(ls_write_in(www, "fast.txt", "fast file\n"));
    free(www);
    return s;
}

static void site_free(struct site *s)
{
    free(s->conf);
    free(s->pidfile);
    free(s->errlog);
    ls_tmpdir_cleanup(s->dir);
}

/* nginx -e ERRLOG -p DIR -c CONF [-s SIGNAL]: the start command and the usual way to stop it. */
static void nginx_argv(struct site *s, char **argv, const char *signal)
{
    int n = 0;
    argv[n++] = "nginx";
    argv[n++] = "-e";
    argv[n++] = s->errlog;
    argv[n++] = "-p";
    argv[n++] = s->dir;
    argv[n++] = "-c";
    argv[n++] = s->conf;
    if (signal) {
        argv[n++] = "-s";
        argv[n++] = (char *)signal;
    }
    argv[n] = NULL;
}

/* uid of a process, from /proc (-1 when it is gone). */
static int uid_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *st = ls_file_text(path);
    char *line = strstr(st, "\nUid:");
    int uid = line ? atoi(line + 5) : -1;
    free(st);
    return uid;
}

/* The pids whose parent is ppid, from /proc (the workers of a master). */
static int children_of(pid_t ppid, pid_t *out, int max)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ps -o pid= --ppid %d", (int)ppid);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    int n = 0, pid;
    while (n < max && fscanf(p, "%d", &pid) == 1)
        out[n++] = pid;
    pclose(p);
    return n;
}

/* Serves the slow file SLOW_GETS times and the fast one twice; checks every answer. */
static void serve_requests(int port)
{
    for (int i = 0; i < SLOW_GETS + 2; i++) {
        const char *path = i < SLOW_GETS ? "/slow.txt" : "/fast.txt";
        char *body;
        int code = ls_http_get(port, path, &body, NULL);
        cr_assert_eq(code, 200, "GET %s answered %d", path, code);
        cr_assert_str_eq(body, i < SLOW_GETS ? "slow file\n" : "fast file\n");
        free(body);
    }
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

Test(nginx, workers_that_became_www_data_report_their_slow_opens_after_nginx_s_stop,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct site s = site_make(NULL);
    char *cmd[10], *stop[10];
    nginx_argv(&s, cmd, NULL);
    nginx_argv(&s, stop, "stop");
    char *opts[] = {"--inject", SLOW_RULE, NULL};
    pid_t run = ls_spawn_run(s.dir, "50", opts, cmd, NULL);
    pid_t master = ls_read_pidfile(s.pidfile, 15);
    ls_wait_listening(s.port, 0, 15, "nginx", s.errlog);

    /* The deployment is the one the test says: a root master, workers that are www-data. */
    pid_t workers[8];
    int nworkers = children_of(master, workers, 8);
    cr_assert_eq(nworkers, 2, "nginx's master has %d workers, want 2", nworkers);
    cr_assert_eq(uid_of(master), 0);
    for (int i = 0; i < nworkers; i++)
        cr_assert_eq(uid_of(workers[i]), 33, "worker %d is not www-data", (int)workers[i]);

    serve_requests(s.port);
    struct ls_proc_result r = ls_run_argv(stop, NULL, 10);
    cr_assert_eq(r.status, 0, "nginx -s stop: %s", r.err);
    ls_proc_result_free(&r);

    char *summary = NULL;
    /* nginx's own status is its front process's, which exits 0 once the daemon is running. */
    json_t *report = ls_finish_run(s.dir, run, 20, 0, &summary);
    cr_assert(ls_wait_gone(master, 5), "run returned while nginx's master still runs");
    cr_log_info("nginx summary: %s", summary);
    cr_assert_eq(json_array_size(json_object_get(report, "losses")), 0, "run lost reports");

    size_t nstalls = ls_report_stall_count(report);
    cr_assert_eq(nstalls, SLOW_GETS, "want one stall per slow GET, got:%s",
                 ls_describe_stalls_where(report));
    size_t i;
    json_t *p;
    int worker_stalls = 0;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        int64_t pid = json_integer_value(json_object_get(p, "pid"));
        size_t k;
        json_t *st;
        json_array_foreach(json_object_get(p, "stalls"), k, st)
        {
            int is_worker = 0;
            for (int w = 0; w < nworkers; w++)
                is_worker |= workers[w] == pid;
            cr_assert(is_worker, "a stall in pid %lld, which is no worker", (long long)pid);
            worker_stalls++;
            cr_assert_str_eq(ls_json_str(st, "class"), "blocking");
            const char *fn = ls_stall_culprit(st);
            cr_assert(fn && !strncmp(fn, "open", 4), "culprit %s is not an open", fn);
            json_t *call = json_array_get(json_object_get(st, "calls"), 0);
            const char *target = ls_json_str(call, "target");
            cr_assert(target && ends_with(target, "/www/slow.txt"), "the open names %s", target);
            cr_assert_geq(ls_json_u64(call, "injected_ns"), 99 * LS_MS);
            uint64_t wall = ls_json_u64(st, "wall_ns");
            cr_assert(wall >= 99 * LS_MS && wall < 1000 * LS_MS, "stall of %.1f ms", wall / 1e6);
        }
        /* The master waits in sigsuspend, never in epoll: only workers are loops. */
        if (pid == master)
            cr_assert_eq(json_array_size(json_object_get(p, "loops")), 0, "the master is a loop");
    }
    cr_assert_eq(worker_stalls, SLOW_GETS);
    cr_assert(summary && strstr(summary, "3 stalls"), "summary: %s", summary);
    free(summary);
    json_decref(report);
    site_free(&s);
}

/* Runs nginx's start command, plain or under `loopstall run -q`, serves the requests, stops it;
 * returns the start command's result (its output and exit status). */
static struct ls_proc_result start_serve_stop(struct site *s, int under_agent)
{
    char *cmd[16], *stop[10];
    nginx_argv(s, cmd + 3, NULL);
    nginx_argv(s, stop, "stop");
    char **argv = cmd + 3;
    if (under_agent) {
        cmd[0] = (char *)ls_loopstall_bin();
        cmd[1] = "run";
        cmd[2] = "-q";
        argv = cmd;
    }
    /* With the agent, run returns only when nginx has stopped: start it in the background. */
    pid_t pid = ls_spawn(argv, NULL, s->dir, under_agent ? "agent" : "plain");
    pid_t master = ls_read_pidfile(s->pidfile, 15);
    ls_wait_listening(s->port, 0, 15, "nginx", s->errlog);
    serve_requests(s->port);
    struct ls_proc_result r = ls_run_argv(stop, NULL, 10);
    cr_assert_eq(r.status, 0, "nginx -s stop: %s", r.err);
    ls_proc_result_free(&r);
    struct ls_proc_result out = {.status = ls_wait_exit(pid, 20)};
    cr_assert(ls_wait_gone(master, 10), "nginx's master did not stop");
    unlink(s->pidfile);
    char *o = ls_path_join(s->dir, under_agent ? "agent.out" : "plain.out");
    char *e = ls_path_join(s->dir, under_agent ? "agent.err" : "plain.err");
    out.out = ls_file_text(o);
    out.err = ls_file_text(e);
    free(o);
    free(e);
    return out;
}

Test(nginx, serves_prints_and_exits_the_same_under_loopstall_as_without_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct site s = site_make(NULL);
    struct ls_proc_result plain = start_serve_stop(&s, 0);
    struct ls_proc_result agent = start_serve_stop(&s, 1);
    cr_assert_eq(agent.status, plain.status);
    cr_assert_str_eq(agent.out, plain.out);
    cr_assert_str_eq(agent.err, plain.err);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    site_free(&s);
}

Test(nginx, a_bad_config_fails_with_nginx_own_message_and_status_under_loopstall,
     .fini = ls_service_kill_all, .timeout = 30)
{
    struct site s = site_make("no_such_directive on;");
    char *cmd[16];
    nginx_argv(&s, cmd + 3, NULL);
    struct ls_proc_result plain = ls_run_argv(cmd + 3, NULL, 10);
    cmd[0] = (char *)ls_loopstall_bin();
    cmd[1] = "run";
    cmd[2] = "-q";
    struct ls_proc_result agent = ls_run_argv(cmd, NULL, 10);
    cr_assert_eq(plain.status, 1, "nginx accepted a bad config: %s", plain.err);
    cr_assert_eq(agent.status, plain.status, "under loopstall: %d, without: %d", agent.status,
                 plain.status);
    cr_assert(strstr(plain.err, "unknown directive \"no_such_directive\""), "%s", plain.err);
    cr_assert_str_eq(agent.err, plain.err);
    cr_assert_str_eq(agent.out, plain.out);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    site_free(&s);
}
