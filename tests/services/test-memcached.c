/* test-memcached.c -- memcached with four worker threads under `loopstall run`, its workers'
 * replies slowed down, four clients at once: each client's stalls are on its own worker. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_service.h"
#include "ls_test.h"

#define WORKERS "4"
#define CLIENTS 4
/* memcached's workers answer with sendmsg; the main thread, which accepts, never does. */
#define REPLY_RULE "sendmsg:delay=60ms,thread=loop"

struct cache {
    char *dir;
    int port;
    char portstr[16];
};

static struct cache cache_make(void)
{
    ls_require_program("memcached");
    struct cache c = {.dir = ls_tmpdir(), .port = ls_free_port()};
    snprintf(c.portstr, sizeof c.portstr, "%d", c.port);
    return c;
}

/* As Debian runs it: started as root, it becomes memcache (-u); TCP on 127.0.0.1 only. */
static pid_t cache_start(struct cache *c, int under_agent, char *const opts[])
{
    // clang-format off
    char *cmd[] = {"memcached", "-t", WORKERS, "-p", c->portstr, "-l", "127.0.0.1", "-U", "0",
                   "-u", "memcache", NULL};
    // clang-format on
    pid_t pid = under_agent ? ls_spawn_run(c->dir, "50", opts, cmd, NULL)
                            : ls_spawn(cmd, NULL, c->dir, "plain");
    char *log = ls_path_join(c->dir, under_agent ? "run.err" : "plain.err");
    ls_wait_listening(c->port, pid, 15, "memcached", log);
    free(log);
    usleep(200 * 1000); /* idle before the first client, as a service is */
    return pid;
}

/* CLIENTS connections open at once (memcached hands them to its workers in turn), then a set
 * and a get on each, one after the other. Returns every reply; ports[i] is client i's port. */
static char *use_cache(struct cache *c, int ports[CLIENTS])
{
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = ls_tcp_connect(c->port);
        ports[i] = ls_local_port(fds[i]);
    }
    char *all = calloc(1, 4096);
    for (int i = 0; i < CLIENTS; i++) {
        char req[128], want[128];
        snprintf(req, sizeof req, "set key%d 0 0 6\r\nvalue%d\r\n", i, i);
        char *r = ls_tcp_exchange(fds[i], req, "\r\n");
        cr_assert_str_eq(r, "STORED\r\n");
        strcat(all, r);
        free(r);
        snprintf(req, sizeof req, "get key%d\r\n", i);
        snprintf(want, sizeof want, "VALUE key%d 0 6\r\nvalue%d\r\nEND\r\n", i, i);
        r = ls_tcp_exchange(fds[i], req, "END\r\n");
        cr_assert_str_eq(r, want);
        strcat(all, r);
        free(r);
    }
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    return all;
}

Test(memcached, each_client_stalls_only_the_worker_thread_that_serves_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct cache c = cache_make();
    char *opts[] = {"--inject", REPLY_RULE, NULL};
    pid_t run = cache_start(&c, 1, opts);
    int ports[CLIENTS];
    free(use_cache(&c, ports));
    kill(run, SIGTERM);
    char *summary = NULL;
    json_t *report = ls_finish_run(c.dir, run, 20, 0, &summary);
    cr_log_info("memcached summary: %s", summary);
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1);
    uint64_t pid = ls_json_u64(ls_report_process(report, 0), "pid");
    cr_assert_eq(ls_report_loop_count(report), 1 + CLIENTS, "the main thread and %d workers",
                 CLIENTS);
    cr_assert_eq(ls_report_stall_count(report), 2 * CLIENTS, "want a set and a get per client:%s",
                 ls_describe_stalls_where(report));

    uint64_t tid_of[CLIENTS] = {0};
    for (int i = 0; i < CLIENTS; i++) {
        char peer[32];
        snprintf(peer, sizeof peer, "127.0.0.1:%d", ports[i]);
        int mine = 0;
        for (size_t k = 0; k < ls_report_stall_count(report); k++) {
            json_t *st = ls_report_stall(report, k);
            json_t *call = json_array_get(json_object_get(st, "calls"), 0);
            cr_assert_str_eq(ls_json_str(call, "fn"), "sendmsg");
            if (strcmp(ls_json_str(call, "target"), peer)) continue;
            mine++;
            uint64_t tid = ls_json_u64(st, "tid");
            if (!tid_of[i]) tid_of[i] = tid;
            cr_assert_eq(tid, tid_of[i], "client %d's stalls are on threads %llu and %llu", i,
                         (unsigned long long)tid_of[i], (unsigned long long)tid);
        }
        cr_assert_eq(mine, 2, "client %d (%s) has %d stalls, want 2:%s", i, peer, mine,
                     ls_describe_stalls_where(report));
        cr_assert_neq(tid_of[i], pid, "client %d was stalled on the accepting main thread", i);
        cr_assert_not_null(ls_report_loop_of_tid(report, tid_of[i]),
                           "thread %llu is not a loop of the report",
                           (unsigned long long)tid_of[i]);
        for (int j = 0; j < i; j++)
            cr_assert_neq(tid_of[i], tid_of[j], "clients %d and %d stalled the same worker", j, i);
    }
    free(summary);
    json_decref(report);
    ls_tmpdir_cleanup(c.dir);
}

/* memcached's output, status and replies, plain or under `loopstall run -q`. */
static struct ls_proc_result serve_and_stop(struct cache *c, int under_agent)
{
    char *opts[] = {"-q", NULL};
    pid_t pid = cache_start(c, under_agent, opts);
    int ports[CLIENTS];
    char *replies = use_cache(c, ports);
    kill(pid, SIGTERM);
    struct ls_proc_result r = {.status = ls_wait_exit(pid, 20)};
    char *o = ls_path_join(c->dir, under_agent ? "run.out" : "plain.out");
    char *e = ls_path_join(c->dir, under_agent ? "run.err" : "plain.err");
    char *text = ls_file_text(o);
    r.out = malloc(strlen(text) + strlen(replies) + 1);
    strcpy(r.out, text);
    strcat(r.out, replies);
    r.err = ls_file_text(e);
    free(text);
    free(replies);
    free(o);
    free(e);
    return r;
}

Test(memcached, answers_prints_and_exits_the_same_under_loopstall_as_without_it,
     .fini = ls_service_kill_all, .timeout = 60)
{
    struct cache c = cache_make();
    struct ls_proc_result plain = serve_and_stop(&c, 0);
    struct ls_proc_result agent = serve_and_stop(&c, 1);
    cr_assert_eq(agent.status, plain.status);
    cr_assert_str_eq(agent.out, plain.out);
    cr_assert_str_eq(agent.err, plain.err);
    ls_proc_result_free(&plain);
    ls_proc_result_free(&agent);
    ls_tmpdir_cleanup(c.dir);
}
