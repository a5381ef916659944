/* test-run-start.c -- what `loopstall run` pays for: nothing it does not use (issue 12).
 *
 * The symbolizer (libdw) is started only for reports with native frames, run's own process never
 * maps libdw, reports nobody asked for are never files, an idle run waits in one system call a
 * tick, and what vfork changed (an exec that fails) is still said.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "ls_test.h"

#define SYMBOLIZER "loopstall-symbolizer"

/* A sanitized build's leak checker cannot run under ptrace: under strace it is turned off. */
static char **no_leak_check(void)
{
    static char var[4096];
    static char *env[2] = {var, NULL};
    const char *had = getenv("ASAN_OPTIONS");
    snprintf(var, sizeof var, "ASAN_OPTIONS=%s%sdetect_leaks=0", had ? had : "", had ? ":" : "");
    return env;
}

/* Runs `strace -f -e trace=execve -o LOG loopstall run -q --json DIR/report.json -- cmd...`
 * and returns the execve log; *report receives the merged report. */
static char *execs_of_run(char *const cmd[], const char *dir, json_t **report)
{
    char *log = ls_path_join(dir, "execve.log"), *json = ls_path_join(dir, "report.json");
    char *argv[32] = {
        (char *)ls_require_program("strace"), "-f",  "-qq", "-e",     "trace=execve", "-o", log,
        (char *)ls_loopstall_bin(),           "run", "-q",  "--json", json,           "--"};
    int n = 13;
    for (int i = 0; cmd[i] && n < 31; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    struct ls_proc_result r = ls_run_argv(argv, no_leak_check(), 120);
    cr_assert_eq(r.status, 0, "run under strace: status %d, stderr: %s", r.status, r.err);
    ls_proc_result_free(&r);
    *report = ls_load_json(json);
    char *text = ls_read_file(log);
    free(log);
    free(json);
    return text;
}

Test(run_start, a_run_without_stalls_never_starts_the_symbolizer_and_one_with_stalls_does)
{
    char *dir = ls_tmpdir();
    json_t *report;
    char *quiet = execs_of_run((char *[]){"/bin/true", NULL}, dir, &report);
    cr_assert(strstr(quiet, "execve(\"/bin/true\""), "strace followed run into the command: %s",
              quiet);
    cr_assert_null(strstr(quiet, SYMBOLIZER), "nothing to name, yet it started: %s", quiet);
    cr_assert_eq(ls_report_stall_count(report), 0);
    json_decref(report);

    char *target = ls_target("uv-stalls");
    char *stalling = execs_of_run((char *[]){target, NULL}, dir, &report);
    cr_assert(strstr(stalling, SYMBOLIZER), "native frames to name, the symbolizer must start");
    /* Its answers reached the report: the sleep's caller is named, with its line. */
    int named = 0;
    for (size_t i = 0; i < ls_report_stall_count(report); i++)
        named |= ls_stall_has_symbol(ls_report_stall(report, i), "on_tick");
    cr_assert(named, "no stall names on_tick:\n%s", ls_describe_stalls(report));
    json_decref(report);
    free(quiet);
    free(stalling);
    free(target);
    ls_tmpdir_cleanup(dir);
}

Test(run_start, run_itself_never_maps_libdw)
{
    /* The command's shell is run's child: it reads run's maps while run waits for it. */
    struct ls_proc_result r =
        ls_cli((char *[]){"run", "-q", "--", "/bin/sh", "-c", "cat /proc/$PPID/maps", NULL}, 60);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "/loopstall\n"), "these are run's maps:\n%s", r.out);
    cr_assert_null(strstr(r.out, "libdw"), "run mapped libdw:\n%s", r.out);
    cr_assert_null(strstr(r.out, "libelf"), "run mapped libelf:\n%s", r.out);
    ls_proc_result_free(&r);
}

/* The lines a shell prints after uv-stalls ended: what is in LOOPSTALL_OUT, then its name. run
 * writes a file when it hears of the end, a moment later: the shell looks for up to 2 s. */
static struct ls_proc_result list_out_dir_after_a_stall(char *const opts[], json_t **report,
                                                        const char *dir)
{
    char *target = ls_target("uv-stalls");
    char *json = ls_path_join(dir, "report.json");
    char *argv[16] = {(char *)ls_loopstall_bin(), "run", "-q", "--json", json};
    int n = 5;
    for (int i = 0; opts[i]; i++)
        argv[n++] = opts[i];
    char *tail[] = {"--",
                    "/bin/sh",
                    "-c",
                    "\"$0\" >/dev/null || exit 1; i=0; while [ $i -lt 40 ] && "
                    "[ -z \"$(ls -A \"$LOOPSTALL_OUT\")\" ]; do sleep 0.05; i=$((i+1)); done; "
                    "ls -A \"$LOOPSTALL_OUT\"; echo \"dir=$LOOPSTALL_OUT\"",
                    target,
                    NULL};
    for (int i = 0; tail[i]; i++)
        argv[n++] = tail[i];
    argv[n] = NULL;
    struct ls_proc_result r = ls_run_argv(argv, NULL, 120);
    cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
    *report = ls_load_json(json);
    free(json);
    free(target);
    return r;
}

Test(run_start, reports_nobody_asked_for_are_never_files_and_still_reach_the_report)
{
    char *dir = ls_tmpdir();
    json_t *report;
    struct ls_proc_result r = list_out_dir_after_a_stall((char *[]){NULL}, &report, dir);
    /* uv-stalls had ended and its report was made, but held in memory: the directory is empty. */
    cr_assert_eq(strncmp(r.out, "dir=", 4), 0, "LOOPSTALL_OUT held files: %s", r.out);
    char *out_dir = strndup(r.out + 4, strcspn(r.out + 4, "\n"));
    struct statfs fs;
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC && access("/dev/shm", W_OK) == 0)
        cr_assert_eq(strncmp(out_dir, "/dev/shm/", 9), 0, "not on tmpfs: %s", out_dir);
    struct stat st;
    cr_assert_neq(stat(out_dir, &st), 0, "%s was left behind", out_dir);
    cr_assert_gt(ls_report_stall_count(report), 0, "uv-stalls' stalls are in the report");
    json_decref(report);
    ls_proc_result_free(&r);

    /* With --dir the same listing shows uv-stalls' file: the listing does see files. */
    char *keep = ls_path_join(dir, "kept");
    r = list_out_dir_after_a_stall((char *[]){"--dir", keep, NULL}, &report, dir);
    cr_assert(strstr(r.out, "loopstall.") && strstr(r.out, ".json\n"), "--dir lists: %s", r.out);
    json_decref(report);
    ls_proc_result_free(&r);
    free(keep);
    free(out_dir);
    ls_tmpdir_cleanup(dir);
}

/* The number strace -c counted for one system call (0 when it was not made). */
static long calls_of(const char *table, const char *name)
{
    for (const char *line = table; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n') line++;
        double pct, secs;
        long usecs, calls;
        char sys[64];
        /* "% time  seconds  usecs/call  calls  errors syscall", errors may be empty. */
        if (sscanf(line, "%lf %lf %ld %ld %*s %63s", &pct, &secs, &usecs, &calls, sys) == 5 &&
            !strcmp(sys, name))
            return calls;
        if (sscanf(line, "%lf %lf %ld %ld %63s", &pct, &secs, &usecs, &calls, sys) == 5 &&
            !strcmp(sys, name))
            return calls;
    }
    return 0;
}

/* strace -c of run alone (no -f) over one idle loop at a 20 ms threshold for `seconds`: how many
 * epoll_wait calls, and how many of every other system call together. */
static void idle_run_calls(const char *dir, const char *seconds, long *waits, long *others)
{
    char *log = ls_path_join(dir, "calls.txt");
    char *argv[] = {(char *)ls_require_program("strace"),
                    "-c",
                    "-o",
                    log,
                    (char *)ls_loopstall_bin(),
                    "run",
                    "-q",
                    "-t",
                    "20",
                    "--",
                    LS_BIN_DIR "/benchmark-idle-loops",
                    "--loops",
                    "1",
                    "--seconds",
                    (char *)seconds,
                    NULL};
    struct ls_proc_result r = ls_run_argv(argv, no_leak_check(), 120);
    cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
    char *table = ls_read_file(log);
    *waits = calls_of(table, "epoll_wait");
    *others = calls_of(table, "total") - *waits;
    cr_assert_eq(calls_of(table, "poll"), 0, "poll beside epoll_wait:\n%s", table);
    ls_proc_result_free(&r);
    free(table);
    free(log);
}

Test(run_start, an_idle_run_dozes_making_a_few_system_calls_a_second_not_one_a_tick)
{
    /* Two runs, 1 s and 3 s of idle loop after the same start and end: awake, the 2 s more
     * would be ~100 ticks of 20 ms, each an epoll_wait. Dozing (detector/doze.h), the
     * collector looks once a second: a few epoll_waits, the doze's futex calls, and the
     * once-a-second check that the loop thread lives. */
    char *dir = ls_tmpdir();
    long waits1, others1, waits3, others3;
    idle_run_calls(dir, "1", &waits1, &others1);
    idle_run_calls(dir, "3", &waits3, &others3);
    cr_assert_leq(waits3 - waits1, 8, "2 s more of idle at 20 ms: %ld -> %ld epoll_wait", waits1,
                  waits3);
    cr_assert_leq(others3 + waits3 - others1 - waits1, 40,
                  "system calls grew with the idle time: %ld -> %ld (epoll_wait %ld -> %ld)",
                  others1 + waits1, others3 + waits3, waits1, waits3);
    ls_tmpdir_cleanup(dir);
}

Test(run_start, a_command_that_cannot_be_executed_is_named_with_the_reason)
{
    char *dir = ls_tmpdir();
    char *script = ls_path_join(dir, "no-interpreter");
    ls_write_file(script, "#!/no/such/interpreter\n");
    cr_assert_eq(chmod(script, 0755), 0);
    struct ls_proc_result r = ls_cli((char *[]){"run", "-q", "--", script, NULL}, 60);
    cr_assert_eq(r.status, 127, "status %d", r.status);
    cr_assert(strstr(r.err, "cannot run") && strstr(r.err, "no-interpreter") &&
                  strstr(r.err, strerror(ENOENT)),
              "stderr: %s", r.err);
    ls_proc_result_free(&r);
    free(script);
    ls_tmpdir_cleanup(dir);
}

/* Runs the symbolizer helper with stdin from a file holding input. */
static struct ls_proc_result symbolizer(const char *dir, const char *input)
{
    char *in = ls_path_join(dir, "questions.json");
    ls_write_file(in, input);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "exec '%s/" SYMBOLIZER "' < '%s'", LS_BIN_DIR, in);
    struct ls_proc_result r = ls_run_argv((char *[]){"/bin/sh", "-c", cmd, NULL}, NULL, 60);
    free(in);
    return r;
}

Test(run_start, the_symbolizer_names_a_function_by_its_module_and_offset)
{
    char *dir = ls_tmpdir();
    char *target = ls_target("uv-stalls");
    char nm[8192];
    snprintf(nm, sizeof nm, "nm '%s' | awk '$3 == \"burn_cpu\" { print $1 }'", target);
    struct ls_proc_result addr = ls_run_argv((char *[]){"/bin/sh", "-c", nm, NULL}, NULL, 30);
    cr_assert_gt(strlen(addr.out), 1, "nm found no burn_cpu in %s", target);
    addr.out[strcspn(addr.out, "\n")] = '\0';
    char input[8192];
    snprintf(input, sizeof input,
             "[{\"module\": \"%s\", \"offset\": \"0x%s\", \"build_id\": null},"
             " {\"module\": \"/no/such/module\", \"offset\": \"0x10\"}]",
             target, addr.out);
    struct ls_proc_result r = symbolizer(dir, input);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    json_t *answers = json_loads(r.out, 0, NULL);
    cr_assert(json_is_array(answers) && json_array_size(answers) == 2, "answers: %s", r.out);
    json_t *first = json_array_get(answers, 0);
    cr_assert_str_eq(ls_json_str(first, "symbol"), "burn_cpu", "answers: %s", r.out);
    cr_assert(strstr(ls_json_str(first, "file"), "uv-stalls.c"), "answers: %s", r.out);
    cr_assert_gt(ls_json_u64(first, "line"), 0);
    cr_assert_eq(json_object_size(json_array_get(answers, 1)), 0, "nothing is known there");
    json_decref(answers);
    ls_proc_result_free(&r);
    ls_proc_result_free(&addr);
    free(target);
    ls_tmpdir_cleanup(dir);
}

Test(run_start, the_symbolizer_refuses_what_is_not_its_input_in_one_line)
{
    char *dir = ls_tmpdir();
    struct ls_proc_result r = symbolizer(dir, "{\"module\": \"/bin/true\"}");
    cr_assert_eq(r.status, 2, "status %d", r.status);
    cr_assert(strstr(r.err, "not an array") && strstr(r.err, "expected"), "stderr: %s", r.err);
    cr_assert_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line: %s", r.err);
    cr_assert_str_empty(r.out);
    ls_proc_result_free(&r);
    ls_tmpdir_cleanup(dir);
}

Test(run_start, a_command_without_its_symbolizer_says_so_once_and_still_writes_the_report)
{
    char *dir = ls_tmpdir();
    char *keep = ls_path_join(dir, "kept");
    char *target = ls_target("uv-stalls");
    struct ls_proc_result r =
        ls_cli((char *[]){"run", "-q", "--dir", keep, "--", target, NULL}, 120);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    ls_proc_result_free(&r);
    /* A copy of the command alone in a directory: no symbolizer beside it, nor in ../libexec. */
    char *alone = ls_path_join(dir, "alone");
    char copy[8192];
    snprintf(copy, sizeof copy, "mkdir '%s' && cp '%s' '%s/'", alone, ls_loopstall_bin(), alone);
    r = ls_run_argv((char *[]){"/bin/sh", "-c", copy, NULL}, NULL, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    char *bin = ls_path_join(alone, "loopstall"), *out = ls_path_join(dir, "unnamed.json");
    r = ls_run_argv((char *[]){bin, "report", keep, "--format", "json", "-o", out, NULL}, NULL, 60);
    cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
    const char *said = strstr(r.err, "cannot name native frames");
    cr_assert(said && strstr(r.err, SYMBOLIZER), "stderr: %s", r.err);
    cr_assert_null(strstr(said + 1, "cannot name native frames"), "said once: %s", r.err);
    json_t *report = ls_load_json(out);
    cr_assert_gt(ls_report_stall_count(report), 0);
    cr_assert_not(ls_stall_has_symbol(ls_report_stall(report, 0), "on_tick"),
                  "no symbolizer, no names");
    json_decref(report);
    ls_proc_result_free(&r);
    /* The command where it was built names the same frames. */
    r = ls_cli((char *[]){"report", keep, "--format", "json", "-o", out, NULL}, 60);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    report = ls_load_json(out);
    int named = 0;
    for (size_t i = 0; i < ls_report_stall_count(report); i++)
        named |= ls_stall_has_symbol(ls_report_stall(report, i), "on_tick");
    cr_assert(named, "%s", ls_describe_stalls(report));
    json_decref(report);
    ls_proc_result_free(&r);
    free(bin);
    free(out);
    free(alone);
    free(target);
    free(keep);
    ls_tmpdir_cleanup(dir);
}
