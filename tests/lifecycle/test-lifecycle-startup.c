/* test-lifecycle-startup.c -- what the agent does to a process at start, and what it puts off
 * until the process runs a loop: a process that never runs one catches no signal of ours; a loop
 * host catches the fatal ones (used directly), so that its death by a signal still leaves its
 * report, and so does a host without a loop once an injected fault fired in it; the root of a run
 * killed before any loop still has its argv; a host whose record cannot be mapped runs unobserved
 * and says so once. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "battery.h"

/* The signals whose default action ends a process and that the agent watches used directly. */
static const int fatal_signals[] = {SIGHUP, SIGINT,  SIGQUIT, SIGILL, SIGABRT, SIGBUS,
                                    SIGFPE, SIGSEGV, SIGTERM, SIGSYS, SIGXCPU, SIGXFSZ};

static unsigned long long fatal_mask(void)
{
    unsigned long long m = 0;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        m |= 1ULL << (fatal_signals[i] - 1);
    return m;
}

/* The SigCgt startup-probe printed ("sigcgt HEX"); the test fails when it printed none. */
static unsigned long long printed_sigcgt(const char *out, const char *what)
{
    const char *p = strstr(out, "sigcgt ");
    cr_assert_not_null(p, "%s: the probe printed no SigCgt: %s", what, out);
    return strtoull(p + 7, NULL, 16);
}

static unsigned long long bare_sigcgt(char *const cmd[])
{
    struct ls_proc_result bare = ls_run_argv(cmd, NULL, 30);
    cr_assert_eq(bare.status, 0, "bare: %s", bare.err);
    unsigned long long m = printed_sigcgt(bare.out, "bare");
    ls_proc_result_free(&bare);
    return m;
}

Test(startup, a_process_that_never_runs_a_loop_catches_no_signal_it_would_not_catch_bare)
{
    char *target = ls_target("startup-probe");
    char *cmd[] = {target, "noloop", NULL};
    unsigned long long bare = bare_sigcgt(cmd);
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        unsigned long long m = printed_sigcgt(r.proc.out, bt_way_name[way]);
        cr_assert_eq(m, bare, "%s: SigCgt %llx, %llx without the agent", bt_way_name[way], m, bare);
        bt_free(&r);
    }
    free(target);
}

Test(startup, a_loop_host_catches_the_fatal_signals_used_directly_and_none_of_them_under_run)
{
    char *target = ls_target("startup-probe");
    char *cmd[] = {target, "loop", NULL};
    unsigned long long bare = bare_sigcgt(cmd), fatal = fatal_mask() & ~bare;
    cr_assert_neq(fatal, 0, "the bare probe leaves some fatal signal at its default");
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        unsigned long long m = printed_sigcgt(r.proc.out, bt_way_name[way]);
        if (way == BT_DIRECT)
            cr_assert_eq(m & fatal, fatal, "direct: SigCgt %llx lacks some of %llx", m, fatal);
        else
            cr_assert_eq(m & fatal, 0, "run: SigCgt %llx catches some of %llx", m, fatal);
        bt_free(&r);
    }
    free(target);
}

/* The one process of the report: ended by a signal, with its loop (or none) and its rules. */
static json_t *signalled_process(struct bt_run *r, const char *what)
{
    cr_assert_eq(bt_status(r), 128 + SIGSEGV, "%s: %s", what, r->proc.err);
    cr_assert_not_null(r->report, "%s: no report", what);
    json_t *procs = json_object_get(r->report, "processes");
    cr_assert_eq(json_array_size(procs), 1, "%s: one process", what);
    json_t *p = json_array_get(procs, 0);
    cr_assert_str_eq(ls_json_str(p, "ended"), "signal", "%s", what);
    return p;
}

Test(startup, a_loop_host_killed_by_sigsegv_after_its_first_iterations_still_reports)
{
    char *target = ls_target("startup-probe");
    char *cmd[] = {target, "loop-segv", NULL};
    for (int way = 0; way < BT_WAYS; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        json_t *p = signalled_process(&r, bt_way_name[way]);
        json_t *loops = json_object_get(p, "loops");
        cr_assert_eq(json_array_size(loops), 1, "%s: its loop", bt_way_name[way]);
        /* Three waits returned: two iterations ended, the signal cut the third short. */
        cr_assert_eq(ls_json_u64(json_array_get(loops, 0), "iterations"), 2, "%s",
                     bt_way_name[way]);
        bt_free(&r);
    }
    free(target);
}

Test(startup, a_host_without_a_loop_killed_by_sigsegv_after_an_injected_fault_still_reports_it)
{
    char *target = ls_target("startup-probe");
    char *cmd[] = {target, "noloop-segv", NULL};
    char *env[] = {"LOOPSTALL_INJECT=nanosleep:delay=1ms", NULL};
    struct bt_run r;
    bt_run(&r, BT_DIRECT, "20", cmd, env, 30);
    json_t *p = signalled_process(&r, "direct");
    cr_assert_eq(json_array_size(json_object_get(p, "loops")), 0, "direct: no loop");
    json_t *rules = json_object_get(p, "injections");
    cr_assert_eq(json_array_size(rules), 1, "direct: the rule");
    cr_assert_eq(ls_json_u64(json_array_get(rules, 0), "fired"), 1, "direct: fired once");
    bt_free(&r);
    free(target);
}

/* The pid of run's child (the command), once it runs target; 0 if it never did within 5 s. */
static pid_t command_of(pid_t run, const char *target)
{
    char path[64], exe[4096];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)run, (int)run);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        int child = 0;
        int got = f && fscanf(f, "%d", &child) == 1;
        if (f) fclose(f);
        if (got) {
            char link[64];
            snprintf(link, sizeof link, "/proc/%d/exe", child);
            ssize_t n = readlink(link, exe, sizeof exe - 1);
            if (n > 0 && (exe[n] = '\0', !strcmp(exe, target))) return child;
        }
        usleep(10000);
    }
    return 0;
}

Test(startup, the_root_of_a_run_killed_before_it_ran_a_loop_still_has_its_argv)
{
    char *target = ls_target("startup-probe");
    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "run.json");
    pid_t run = fork();
    cr_assert_geq(run, 0);
    if (run == 0) {
        execl(ls_loopstall_bin(), ls_loopstall_bin(), "run", "-q", "--json", json, "--", target,
              "sleep", "10000", (char *)NULL);
        _exit(127);
    }
    pid_t host = command_of(run, target);
    if (host) usleep(300000); /* its agent has long handed its record over */
    if (host) kill(host, SIGKILL);
    int st;
    waitpid(run, &st, 0);
    cr_assert_neq(host, 0, "run never started the probe");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL, "run's status %x", st);
    json_t *report = ls_load_json(json);
    json_t *p = ls_report_process(report, 0);
    cr_assert_not_null(p, "the root has a report");
    json_t *argv = json_object_get(p, "argv");
    cr_assert_eq(json_array_size(argv), 3, "argv of 3");
    cr_assert_str_eq(json_string_value(json_array_get(argv, 0)), target);
    cr_assert_str_eq(json_string_value(json_array_get(argv, 1)), "sleep");
    cr_assert_str_eq(json_string_value(json_array_get(argv, 2)), "10000");
    cr_assert_str_eq(ls_json_str(p, "exe"), target);
    json_decref(report);
    free(json);
    ls_tmpdir_cleanup(dir);
    free(target);
}

/* Lines of text that contain what. */
static int lines_with(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void assert_unobserved(const char *mode)
{
    char *target = ls_target("startup-probe");
    char *cmd[] = {target, "limited", (char *)mode, NULL};
    unsigned long long bare = bare_sigcgt(cmd);
    for (int way = 0; way < BT_WAYS; way++) {
        const char *w = bt_way_name[way];
        struct bt_run r;
        bt_run(&r, way, "20", cmd, NULL, 30);
        cr_assert_eq(bt_status(&r), 0, "%s %s: %s", mode, w, r.proc.err);
        cr_assert_eq(printed_sigcgt(r.proc.out, w), bare, "%s %s: no handler of ours", mode, w);
        cr_assert_eq(lines_with(r.proc.err, "loopstall: no memory for the record"), 1,
                     "%s %s: said once: %s", mode, w, r.proc.err);
        if (way == BT_DIRECT) {
            cr_assert_null(r.report, "%s direct: no report of an unobserved process", mode);
        } else {
            json_t *losses = json_object_get(r.report, "losses");
            cr_assert_eq(json_array_size(losses), 1, "%s run: the loss is in the report", mode);
            const char *line = json_string_value(json_array_get(losses, 0));
            cr_assert(line && strstr(line, "could not share its record (ENOMEM)"), "%s run: %s",
                      mode, line ? line : "(none)");
        }
        bt_free(&r);
    }
    free(target);
}

Test(startup, a_host_without_a_loop_whose_record_cannot_be_mapped_runs_unobserved_and_says_so)
{
    assert_unobserved("noloop");
}

Test(startup, a_loop_host_whose_record_cannot_be_mapped_runs_unobserved_and_says_so)
{
    assert_unobserved("loop");
}
