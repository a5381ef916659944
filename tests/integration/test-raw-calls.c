/* test-raw-calls.c -- in a host with no thread of its own, once the agent has its watcher thread
 * there, the agent makes glibc's cancellable system calls itself, without glibc's multi-threaded
 * bookkeeping (preload/raw_calls.h): the kernel sees the very calls glibc makes, with the same
 * arguments, and the host the same results and errno; a host that creates a thread has glibc's
 * cancellation inside read() as before; an interposer preloaded after the agent still gets the
 * host's calls. */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_service.h"
#include "ls_test.h"

/* The probe's log from its first sched_yield to its second (strace -e raw=all, no ASLR). */
static char *probe_log(const char *dir, const char *name, int agent, const char *extra_opt,
                       char **out)
{
    char *probe = ls_target("raw-calls-probe"), *log = ls_path_join(dir, name);
    struct ls_preload_env e; /* its LD_PRELOAD entry, for strace -E */
    ls_preload_env(&e, dir, NULL);
    char *argv[16];
    int n = 0;
    argv[n++] = "setarch";
    argv[n++] = "-R";
    argv[n++] = "strace";
    argv[n++] = "-qq";
    argv[n++] = (char *)extra_opt;
    argv[n++] = "-o";
    argv[n++] = log;
    if (agent) {
        argv[n++] = "-E";
        argv[n++] = e.preload;
    }
    argv[n++] = probe;
    argv[n++] = (char *)dir;
    argv[n++] = "rcp-test";
    argv[n] = NULL;
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    cr_assert_eq(r.status, 0, "the probe under strace: %s%s", r.out, r.err);
    *out = strdup(r.out);
    ls_proc_result_free(&r);
    /* From the line after the first mark to the line of the second. */
    char *whole = ls_file_text(log);
    char *first = strstr(whole, "sched_yield(");
    cr_assert_not_null(first, "the first mark in the log %s", log);
    char *from = strchr(first, '\n');
    char *to = from ? strstr(from, "\nsched_yield(") : NULL;
    cr_assert_not_null(to, "the second mark in the log %s", log);
    char *text = strndup(from + 1, (size_t)(to - from));
    free(whole);
    free(probe);
    free(log);
    return text;
}

Test(raw_calls, a_host_without_threads_makes_the_same_system_calls_and_sees_the_same_results)
{
    ls_require_program("strace");
    ls_require_program("setarch");
    char *dir = ls_tmpdir(), *bare_out, *agent_out;
    char *bare = probe_log(dir, "bare.log", 0, "-eraw=all", &bare_out);
    char *agent = probe_log(dir, "agent.log", 1, "-eraw=all", &agent_out);
    cr_assert_str_eq(agent_out, bare_out, "each call's result and errno, as without the agent");
    cr_assert_gt(strlen(bare), 200, "the probe's calls are in the log:\n%s", bare);
    /* Every call of the probe's, in order, argument for argument. Between them the agent's own
     * (a loop thread's descriptors are learned: newfstatat, fcntl F_GETFL), as without the
     * stand-ins. */
    const char *at = agent;
    for (char *line = bare; *line;) {
        char *end = strchr(line, '\n');
        size_t n = (size_t)(end - line + 1);
        char want[4096];
        snprintf(want, sizeof want, "%.*s", (int)n, line);
        const char *found = strstr(at, want);
        cr_assert_not_null(found, "the probe's call %s is not where glibc made it:\n%s", want,
                           agent);
        at = found + n;
        line = end + 1;
    }
    /* And the calls were the agent's own, not glibc's (strace -k: the stack of each). */
    char *stacks_out;
    char *stacks = probe_log(dir, "stacks.log", 1, "-k", &stacks_out);
    const char *own[] = {"(raw_read+",       "(raw_writev+",     "(raw_open+",    "(raw_openat+",
                         "(raw_pread64+",    "(raw_close+",      "(raw_recv+",    "(raw_send+",
                         "(raw_recvmsg+",    "(raw_connect+",    "(raw_accept4+", "(raw_poll+",
                         "(raw_epoll_wait+", "(raw_epoll_pwait+"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        cr_assert_not_null(strstr(stacks, own[i]), "a system call made in %s:\n%s", own[i], stacks);
    free(stacks);
    free(stacks_out);
    free(bare);
    free(agent);
    free(bare_out);
    free(agent_out);
    ls_tmpdir_cleanup(dir);
}

Test(raw_calls, a_host_that_creates_a_thread_can_cancel_it_inside_read_as_without_the_agent)
{
    char *target = ls_target("cancel-reader");
    char *cmd[] = {target, NULL};
    struct ls_proc_result bare = ls_run_argv(cmd, NULL, 20);
    cr_assert_str_eq(bare.out, "cancelled\n", "without the agent: %s%s", bare.out, bare.err);
    char *dir = ls_tmpdir();
    struct ls_preload_env e;
    ls_preload_env(&e, dir, NULL);
    struct ls_proc_result direct = ls_run_argv(cmd, e.env, 20);
    cr_assert_str_eq(direct.out, "cancelled\n", "preloaded: %s%s", direct.out, direct.err);
    struct ls_proc_result run;
    json_t *report = ls_loopstall_run("50", NULL, cmd, &run);
    cr_assert_str_eq(run.out, "cancelled\n", "under run: %s%s", run.out, run.err);
    json_decref(report);
    ls_proc_result_free(&bare);
    ls_proc_result_free(&direct);
    ls_proc_result_free(&run);
    ls_tmpdir_cleanup(dir);
    free(target);
}

Test(raw_calls, an_interposer_preloaded_after_the_agent_still_gets_the_hosts_reads)
{
    char *agent = strdup(ls_agent_path()), *lib_dir = dirname(agent);
    char preload[8400], *dir = ls_tmpdir();
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s:%s/libcount-reads-lib.so", ls_agent_path(),
             lib_dir);
    char *probe = ls_target("raw-calls-probe");
    char *cmd[] = {probe, dir, "rcp-interposer", NULL};
    char *env[] = {preload, NULL};
    struct ls_proc_result r = ls_run_argv(cmd, env, 20);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    /* The probe's two reads: the pipe's, and one of a bad descriptor. */
    cr_assert_not_null(strstr(r.err, "count-reads: 2\n"), "the interposer's count: %s", r.err);
    ls_proc_result_free(&r);
    free(probe);
    free(agent);
    ls_tmpdir_cleanup(dir);
}
