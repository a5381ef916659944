/* test-inject.c -- fault injection with the real agent: each filter aimed both ways, errors
 * through real programs' own error paths, repeatable probabilities. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_test.h"

/* Runs inject-probe under the agent with LOOPSTALL_INJECT=rules; returns its stdout. */
static char *probe(const char *rules, const char *arg)
{
    char *dir = ls_tmpdir();
    char inj[4200];
    snprintf(inj, sizeof inj, "LOOPSTALL_INJECT=%s", rules);
    struct ls_preload_env e;
    ls_preload_env(&e, dir, inj);
    char *target = ls_target("inject-probe");
    char *cmd[] = {target, (char *)arg, NULL};
    struct ls_proc_result r = ls_run_argv(cmd, e.env, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    free(target);
    ls_tmpdir_cleanup(dir);
    free(r.err);
    return r.out;
}

/* The elapsed ms and error printed for "<op> <target> <thread>". */
static int line_ms(const char *out, const char *prefix, char *err, size_t errlen)
{
    const char *p = strstr(out, prefix);
    cr_assert_not_null(p, "no line %s in:\n%s", prefix, out);
    int ms = -1;
    const char *m = strstr(p, "ms=");
    sscanf(m, "ms=%d", &ms);
    const char *e = strstr(p, "err=");
    size_t n = strcspn(e + 4, "\n");
    snprintf(err, errlen, "%.*s", (int)n, e + 4);
    return ms;
}

#define DELAYED(out, prefix) (line_ms(out, prefix, err, sizeof err) >= 45)

Test(inject, a_path_glob_delays_only_the_files_it_matches)
{
    char err[64];
    char *out = probe("open:delay=50ms,path=/etc/host*", NULL);
    cr_assert(DELAYED(out, "open /etc/hostname loop"));
    cr_assert_not(DELAYED(out, "open /etc/passwd loop"));
    free(out);
    out = probe("open:delay=50ms,path=/nowhere/*", NULL);
    cr_assert_not(DELAYED(out, "open /etc/hostname loop"));
    free(out);
}

Test(inject, a_thread_role_aims_at_the_loop_or_at_the_other_threads)
{
    char err[64];
    char *out = probe("open:delay=50ms,thread=loop", NULL);
    cr_assert(DELAYED(out, "open /etc/passwd loop"));
    cr_assert_not(DELAYED(out, "open /etc/passwd other"));
    free(out);
    out = probe("read:errno=EIO,thread=other", NULL);
    line_ms(out, "read /etc/passwd other", err, sizeof err);
    cr_assert_str_eq(err, "EIO");
    line_ms(out, "read /etc/passwd loop", err, sizeof err);
    cr_assert_str_eq(err, "0");
    free(out);
}

Test(inject, a_host_glob_fails_only_the_names_it_matches)
{
    char *out = probe("getaddrinfo:errno=EAI_AGAIN,host=LOCAL*", NULL);
    cr_assert(strstr(out, "getaddrinfo localhost loop ms=0 rc=-3"), "%s", out);
    cr_assert(strstr(out, "getaddrinfo 127.0.0.1 loop ms=0 rc=0"), "%s", out);
    free(out);
}

Test(inject, a_peer_filter_delays_connections_to_that_address_only)
{
    char err[64];
    char *out = probe("connect:delay=50ms,peer=127.0.0.1", NULL);
    cr_assert(DELAYED(out, "connect port0 loop"));
    cr_assert(DELAYED(out, "connect port1 loop"));
    free(out);
    out = probe("connect:delay=50ms,peer=127.0.0.2", NULL);
    cr_assert_not(DELAYED(out, "connect port0 loop"));
    free(out);
}

Test(inject, a_delay_lasts_as_long_as_asked_within_a_few_milliseconds)
{
    char err[64];
    char *out = probe("open:delay=120ms,path=/etc/passwd,thread=loop", NULL);
    int ms = line_ms(out, "open /etc/passwd loop", err, sizeof err);
    cr_assert_geq(ms, 119);
    cr_assert_leq(ms, 140, "delay %d ms", ms);
    free(out);
}

Test(inject, a_probability_with_a_seed_fires_the_same_calls_every_run)
{
    char *a = probe("read:errno=EIO,p=0.3,seed=42,path=/dev/zero", "pattern");
    char *b = probe("read:errno=EIO,p=0.3,seed=42,path=/dev/zero", "pattern");
    char *c = probe("read:errno=EIO,p=0.3,seed=43,path=/dev/zero", "pattern");
    cr_assert_str_eq(a, b, "same seed, same pattern");
    cr_assert_str_neq(a, c, "another seed, another pattern");
    int ones = 0;
    for (const char *p = strchr(a, ' ') + 1; *p == '0' || *p == '1'; p++)
        ones += *p == '1';
    cr_assert(ones >= 4 && ones <= 22, "about 30%% of 40 fire: %d", ones);
    free(a);
    free(b);
    free(c);
}

Test(inject, after_and_count_open_a_window_of_exactly_that_many_fires)
{
    char *out = probe("read:errno=EIO,after=5,count=3,path=/dev/zero", "pattern");
    cr_assert_str_eq(out, "pattern 0000011100000000000000000000000000000000\n");
    free(out);
}

Test(inject, an_injected_getaddrinfo_error_reaches_python_as_socket_gaierror)
{
    const char *py = ls_require_program("python3");
    char *cmd[] = {(char *)py, "-c",
                   "import socket\n"
                   "try:\n"
                   "    socket.getaddrinfo('db.internal', 5432)\n"
                   "except socket.gaierror as e:\n"
                   "    print('gaierror', e.errno == socket.EAI_NONAME)\n",
                   NULL};
    char *opts[] = {"--inject", "getaddrinfo:errno=EAI_NONAME,host=*.internal", NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", opts, cmd, &r);
    cr_assert_str_eq(r.out, "gaierror True\n", "stderr: %s", r.err);
    json_t *inj = json_array_get(json_object_get(ls_report_process(report, 0), "injections"), 0);
    cr_assert_eq(ls_json_u64(inj, "fired"), 1);
    json_decref(report);
    ls_proc_result_free(&r);
}

Test(inject, an_injected_econnrefused_reaches_a_node_client_of_a_live_server)
{
    const char *node = ls_require_program("node");
    char *cmd[] = {(char *)node, "-e",
                   "const net = require('net');\n"
                   "const srv = net.createServer(s => s.end()).listen(0, '127.0.0.1', () => {\n"
                   "  const c = net.connect(srv.address().port, '127.0.0.1');\n"
                   "  c.on('connect', () => { console.log('connected'); c.end(); srv.close(); });\n"
                   "  c.on('error', e => { console.log(e.code); srv.close(); });\n"
                   "});\n",
                   NULL};
    char *plain_opts[] = {NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("20", plain_opts, cmd, &r);
    cr_assert_str_eq(r.out, "connected\n", "the server is live: %s", r.err);
    json_decref(report);
    ls_proc_result_free(&r);
    char *opts[] = {"--inject", "connect:errno=ECONNREFUSED,peer=127.0.0.1", NULL};
    report = ls_loopstall_run("20", opts, cmd, &r);
    cr_assert_str_eq(r.out, "ECONNREFUSED\n", "stderr: %s", r.err);
    json_decref(report);
    ls_proc_result_free(&r);
}

Test(inject, a_bad_rule_in_the_environment_disables_injection_with_one_line_and_the_host_runs)
{
    char *dir = ls_tmpdir();
    struct ls_preload_env e;
    ls_preload_env(&e, dir, "LOOPSTALL_INJECT=read:errno=ENOENT");
    char *target = ls_target("inject-probe");
    char *cmd[] = {target, "pattern", NULL};
    struct ls_proc_result r = ls_run_argv(cmd, e.env, 30);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "pattern 0000000000000000000000000000000000000000\n");
    cr_assert(strstr(r.err, "LOOPSTALL_INJECT ignored") && strstr(r.err, "ENOENT"), "%s", r.err);
    cr_assert_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line: %s", r.err);
    ls_proc_result_free(&r);
    free(target);
    ls_tmpdir_cleanup(dir);
}
