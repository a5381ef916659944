/* test-interp-frames.c -- Python and Node programs run under `loopstall run` as they are: the
 * report names the user's functions, files and lines, sites follow them, and diff sees a new one.
 *
 * Python runs on Debian's /usr/bin/python3 (3.11, stripped, static libpython) and on pyenv's
 * 3.12 and 3.13 where they are installed; one that is not is named on stderr and its tests are
 * reported skipped, never passed silently. pyenv's 3.10 is the interpreter the agent does not
 * know. Lines the tests expect are marked "# MARK:NAME" in tests/programs/interp/, so the tests
 * hold however the scripts are edited.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_test.h"

#define PROGRAMS LS_SOURCE_DIR "/tests/programs/interp"

static char *const py_env[] = {"PYTHONDONTWRITEBYTECODE=1", NULL};

/* ---- interpreters ---- */

/* pyenv's directory of versions: $PYENV_ROOT/versions, or ~/.pyenv/versions. */
static void pyenv_versions(char *buf, size_t len)
{
    const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME");
    if (root && root[0])
        snprintf(buf, len, "%s/versions", root);
    else
        snprintf(buf, len, "%s/.pyenv/versions", home ? home : "/root");
}

/* The interpreter of a minor version: Debian's for 3.11, pyenv's newest 3.MINOR.* for the others
 * (a plain release: no "t" free-threaded or "-dev" builds). Skips the test, saying so, when it
 * is not installed. */
static const char *python(int minor)
{
    static char path[4096];
    if (minor == 11) {
        snprintf(path, sizeof path, "/usr/bin/python3");
        cr_assert(access(path, X_OK) == 0, "%s is required: run scripts/setup.sh", path);
        return path;
    }
    char dir[2048], want[16], best[256] = "";
    pyenv_versions(dir, sizeof dir);
    snprintf(want, sizeof want, "3.%d.", minor);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *v = e->d_name;
        if (strncmp(v, want, strlen(want)) != 0 ||
            strspn(v + strlen(want), "0123456789") != strlen(v + strlen(want)))
            continue;
        if (!best[0] || atoi(v + strlen(want)) > atoi(best + strlen(want)))
            snprintf(best, sizeof best, "%s", v);
    }
    if (d) closedir(d);
    if (best[0]) {
        snprintf(path, sizeof path, "%s/%s/bin/python3.%d", dir, best, minor);
        if (access(path, X_OK) == 0) return path;
    }
    fprintf(stderr, "interp-frames: Python 3.%d is absent (no %s/3.%d.*): not tested on it\n",
            minor, dir, minor);
    cr_skip_test("Python 3.%d is absent (no %s/3.%d.*)", minor, dir, minor);
    return NULL;
}

/* The line marked "# MARK:name" (or "// MARK:name") in a program. */
static int mark(const char *program, const char *name)
{
    char *path = ls_path_join(PROGRAMS, program), line[1024], tag[128];
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    snprintf(tag, sizeof tag, "MARK:%s", name);
    int n = 0, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        n++;
        char *at = strstr(line, tag);
        found = at && !isalnum((unsigned char)at[strlen(tag)]);
    }
    fclose(f);
    free(path);
    cr_assert(found, "%s has no %s", program, tag);
    return n;
}

/* ---- runs ---- */

struct run {
    char *dir, *json;
    struct ls_proc_result proc;
    json_t *report;
};

/* `loopstall run -t 50 --json DIR/r.json [opt] -- argv...` (stderr keeps the summary). */
static struct run run_under(const char *opt, char *const cmd[], char *const env[])
{
    struct run r = {.dir = ls_tmpdir()};
    r.json = ls_path_join(r.dir, "r.json");
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)ls_loopstall_bin();
    argv[n++] = "run";
    argv[n++] = "-t";
    argv[n++] = "50";
    argv[n++] = "--json";
    argv[n++] = r.json;
    if (opt) argv[n++] = (char *)opt;
    argv[n++] = "--";
    for (int i = 0; cmd[i] && n < 31; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    r.proc = ls_run_argv(argv, env, 60);
    cr_assert_eq(r.proc.status, 0, "%s under loopstall exited %d; stderr:\n%s", cmd[1],
                 r.proc.status, r.proc.err);
    r.report = ls_load_json(r.json);
    return r;
}

static struct run run_python(int minor, const char *script, const char *arg)
{
    char *prog = ls_path_join(PROGRAMS, script);
    char *cmd[] = {(char *)python(minor), prog, (char *)arg, NULL};
    struct run r = run_under(NULL, cmd, py_env);
    cr_assert_str_eq(r.proc.out, "done\n", "%s printed: %s", script, r.proc.out);
    free(prog);
    return r;
}

static struct run run_node(const char *opt, const char *script, const char *arg)
{
    ls_require_program("node");
    char *prog = ls_path_join(PROGRAMS, script);
    char *cmd[] = {"node", prog, (char *)arg, NULL};
    struct run r = run_under(opt, cmd, NULL);
    cr_assert_str_eq(r.proc.out, "done\n", "%s printed: %s", script, r.proc.out);
    free(prog);
    return r;
}

static void run_free(struct run *r)
{
    json_decref(r->report);
    ls_proc_result_free(&r->proc);
    free(r->json);
    ls_tmpdir_cleanup(r->dir);
}

/* ---- report queries ---- */

static json_t *only_process(json_t *report)
{
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1,
                 "expected one process in the report");
    return ls_report_process(report, 0);
}

/* Stalls of the process's main thread (its loop), of class cls or any (NULL), serving ones. */
static json_t *main_stalls(json_t *report, const char *cls)
{
    json_t *p = only_process(report), *out = json_array(), *s;
    json_int_t pid = json_integer_value(json_object_get(p, "pid"));
    size_t i;
    json_array_foreach(json_object_get(p, "stalls"), i, s)
    {
        const char *c = ls_json_str(s, "class"), *phase = ls_json_str(s, "phase");
        if (json_integer_value(json_object_get(s, "tid")) != pid) continue;
        if (phase && !strcmp(phase, "startup")) continue;
        if (!cls || (c && !strcmp(c, cls))) json_array_append(out, s);
    }
    return out;
}

/* Index of the interpreter frame lang/symbol in stack, or -1. */
static long frame_index(json_t *stack, const char *lang, const char *symbol)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *l = ls_json_str(f, "lang"), *s = ls_json_str(f, "symbol");
        if (l && s && !strcmp(l, lang) && !strcmp(s, symbol)) return (long)i;
    }
    return -1;
}

/* Asserts the frame at index i of stack is lang/symbol in script (base name) at line. */
static void assert_frame(json_t *stack, long i, const char *symbol, const char *script, int line)
{
    cr_assert_geq(i, 0, "no frame %s in the stack", symbol);
    json_t *f = json_array_get(stack, (size_t)i);
    const char *file = ls_json_str(f, "file");
    cr_assert(file && strlen(file) >= strlen(script) &&
                  !strcmp(file + strlen(file) - strlen(script), script),
              "%s is in %s, not %s", symbol, file ? file : "(none)", script);
    cr_assert_eq(ls_json_u64(f, "line"), (uint64_t)line, "%s is on line %llu, want %d", symbol,
                 (unsigned long long)ls_json_u64(f, "line"), line);
}

/* The ids of the process's sites of class cls, sorted, joined by spaces (static buffer). */
static const char *site_ids(json_t *report, const char *cls)
{
    static char out[2048];
    const char *ids[64];
    size_t n = 0, i;
    json_t *s;
    json_array_foreach(json_object_get(only_process(report), "sites"), i, s)
    {
        const char *c = ls_json_str(s, "class");
        if (n < 64 && c && !strcmp(c, cls)) ids[n++] = ls_json_str(s, "id");
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(ids[b], ids[a]) < 0) {
                const char *t = ids[a];
                ids[a] = ids[b];
                ids[b] = t;
            }
    out[0] = '\0';
    for (size_t k = 0; k < n; k++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", k ? " " : "", ids[k]);
    return out;
}

static struct ls_proc_result diff(const struct run *base, const struct run *head)
{
    char *argv[] = {(char *)ls_loopstall_bin(), "diff", base->json, head->json, NULL};
    return ls_run_argv(argv, NULL, 60);
}

/* Samples of a stall holding the interpreter frame lang/symbol, and all its samples. */
static void samples_with(json_t *stall, const char *lang, const char *symbol, size_t *with,
                         size_t *all)
{
    size_t i;
    json_t *smp;
    *with = *all = 0;
    json_array_foreach(json_object_get(stall, "samples"), i, smp)
    {
        (*all)++;
        *with += frame_index(smp, lang, symbol) >= 0;
    }
}

/* ---- Python ---- */

static void blocking_call_two_frames_below_a_coroutine(int minor)
{
    struct run r = run_python(minor, "nested_sleep.py", NULL);
    json_t *stalls = main_stalls(r.report, "blocking");
    cr_assert_eq(json_array_size(stalls), 1, "expected one blocking stall:%s",
                 ls_describe_stalls(r.report));
    json_t *call = json_array_get(json_object_get(json_array_get(stalls, 0), "calls"), 0);
    json_t *stack = json_object_get(call, "stack");
    long sleep = frame_index(stack, "python", "read_settings");
    long read = frame_index(stack, "python", "load_config");
    long load = frame_index(stack, "python", "handler");
    assert_frame(stack, sleep, "read_settings", "nested_sleep.py",
                 mark("nested_sleep.py", "sleep"));
    assert_frame(stack, read, "load_config", "nested_sleep.py", mark("nested_sleep.py", "read"));
    assert_frame(stack, load, "handler", "nested_sleep.py", mark("nested_sleep.py", "load"));
    cr_assert(sleep < read && read < load, "frames out of order: %ld %ld %ld", sleep, read, load);
    /* The summary's culprit line names them too, innermost first. */
    char line[512];
    snprintf(line, sizeof line,
             "in read_settings (nested_sleep.py:%d) <- load_config (nested_sleep.py:%d) <- "
             "handler (nested_sleep.py:%d)",
             mark("nested_sleep.py", "sleep"), mark("nested_sleep.py", "read"),
             mark("nested_sleep.py", "load"));
    cr_assert(strstr(r.proc.err, line), "the summary lacks \"%s\":\n%s", line, r.proc.err);
    json_decref(stalls);
    run_free(&r);
}

static void two_call_sites_are_two_sites_and_diff_sees_the_new_one(int minor)
{
    struct run base = run_python(minor, "two_sites.py", NULL);
    struct run again = run_python(minor, "two_sites.py", NULL);
    struct run head = run_python(minor, "two_sites.py", "both");
    const char *b = site_ids(base.report, "blocking");
    cr_assert_eq(strlen(b), 16, "one site without the change: %s", b);
    char base_ids[64];
    snprintf(base_ids, sizeof base_ids, "%s", b);
    cr_assert_str_eq(site_ids(again.report, "blocking"), base_ids, "the same run, another id");
    const char *h = site_ids(head.report, "blocking");
    cr_assert_eq(strlen(h), 33, "two sites with the change: %s", h);
    cr_assert(strstr(h, base_ids), "the old site changed its id: %s vs %s", base_ids, h);

    struct ls_proc_result same = diff(&base, &again);
    cr_assert_eq(same.status, 0, "diff of two identical runs:\n%s", same.out);
    struct ls_proc_result d = diff(&base, &head);
    cr_assert_eq(d.status, 1, "diff did not fail on the new call:\n%s", d.out);
    char where[128];
    snprintf(where, sizeof where, "warm_cache (two_sites.py:%d)", mark("two_sites.py", "second"));
    cr_assert(strstr(d.out, where), "diff does not name %s:\n%s", where, d.out);
    cr_assert(strstr(d.out, "1 new, 0 gone"), "%s", d.out);
    ls_proc_result_free(&same);
    ls_proc_result_free(&d);
    run_free(&base);
    run_free(&again);
    run_free(&head);
}

static void a_pure_python_cpu_stall_has_its_function_in_half_its_samples(int minor)
{
    struct run r = run_python(minor, "cpu_loop.py", NULL);
    json_t *stalls = main_stalls(r.report, "cpu");
    cr_assert_geq(json_array_size(stalls), 1, "no CPU stall:%s", ls_describe_stalls(r.report));
    size_t i, sampled = 0;
    json_t *s;
    json_array_foreach(stalls, i, s)
    {
        size_t with, all;
        samples_with(s, "python", "burn", &with, &all);
        if (!all) continue;
        sampled++;
        cr_assert_geq(with * 2, all, "burn is in %zu of %zu samples", with, all);
    }
    cr_assert_gt(sampled, 0, "no CPU stall has samples");
    /* The summary names it, without a line when the samples were on several. */
    cr_assert(strstr(r.proc.err, "cpu in pid") && strstr(r.proc.err, ": in burn (cpu_loop.py"),
              "the summary does not name burn:\n%s", r.proc.err);
    json_decref(stalls);
    run_free(&r);
}

static void a_c_extension_call_shows_the_python_caller_above_the_native_frames(int minor)
{
    struct run r = run_python(minor, "pbkdf2_caller.py", NULL);
    json_t *stalls = main_stalls(r.report, "cpu");
    cr_assert_eq(json_array_size(stalls), 1, "expected one CPU stall:%s",
                 ls_describe_stalls(r.report));
    json_t *stall = json_array_get(stalls, 0);
    size_t i, below_native = 0;
    json_t *smp;
    json_array_foreach(json_object_get(stall, "samples"), i, smp)
    {
        long d = frame_index(smp, "python", "derive");
        if (d <= 0) continue;
        int native_below = 1;
        for (long k = 0; k < d; k++)
            native_below &= !json_object_get(json_array_get(smp, (size_t)k), "lang");
        if (!native_below) continue;
        assert_frame(smp, d, "derive", "pbkdf2_caller.py", mark("pbkdf2_caller.py", "derive"));
        below_native++;
    }
    cr_assert_gt(below_native, 0, "no sample has derive above native frames only");
    json_decref(stalls);
    run_free(&r);
}

#define ON_EVERY_PYTHON(check)                                                                     \
    Test(interp_frames, check##_on_311)                                                            \
    {                                                                                              \
        check(11);                                                                                 \
    }                                                                                              \
    Test(interp_frames, check##_on_312)                                                            \
    {                                                                                              \
        check(12);                                                                                 \
    }                                                                                              \
    Test(interp_frames, check##_on_313)                                                            \
    {                                                                                              \
        check(13);                                                                                 \
    }

ON_EVERY_PYTHON(blocking_call_two_frames_below_a_coroutine)
ON_EVERY_PYTHON(two_call_sites_are_two_sites_and_diff_sees_the_new_one)
ON_EVERY_PYTHON(a_pure_python_cpu_stall_has_its_function_in_half_its_samples)
ON_EVERY_PYTHON(a_c_extension_call_shows_the_python_caller_above_the_native_frames)

/* Five runs of one workload: one set of site ids, and every pair of runs diffs clean. */
static void five_runs_hold_still(struct run *runs, const char *what)
{
    char first[2048];
    snprintf(first, sizeof first, "%s", site_ids(runs[0].report, "cpu"));
    cr_assert(first[0], "%s: no CPU site", what);
    for (int i = 1; i < 5; i++)
        cr_assert_str_eq(site_ids(runs[i].report, "cpu"), first, "%s: run %d has other sites", what,
                         i + 1);
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            if (a == b) continue;
            struct ls_proc_result d = diff(&runs[a], &runs[b]);
            cr_assert_eq(d.status, 0, "%s: diff of runs %d and %d:\n%s", what, a + 1, b + 1, d.out);
            ls_proc_result_free(&d);
        }
}

Test(interp_frames, five_runs_of_a_python_cpu_loop_give_one_site_and_moving_it_gives_another)
{
    struct run runs[5], moved;
    for (int i = 0; i < 5; i++)
        runs[i] = run_python(11, "cpu_loop.py", NULL);
    five_runs_hold_still(runs, "cpu_loop.py");
    moved = run_python(11, "cpu_loop.py", "moved");
    struct ls_proc_result d = diff(&runs[0], &moved);
    cr_assert_eq(d.status, 1, "the loop moved to churn and diff saw nothing:\n%s", d.out);
    cr_assert(strstr(d.out, "churn (cpu_loop.py"), "%s", d.out);
    ls_proc_result_free(&d);
    for (int i = 0; i < 5; i++)
        run_free(&runs[i]);
    run_free(&moved);
}

Test(interp_frames, an_interpreter_the_agent_does_not_know_runs_unharmed_with_native_frames)
{
    char dir[2048], path[4096] = "";
    pyenv_versions(dir, sizeof dir);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "3.10.", 5))
            snprintf(path, sizeof path, "%s/%s/bin/python3.10", dir, e->d_name);
    if (d) closedir(d);
    if (!path[0] || access(path, X_OK) != 0) {
        fprintf(stderr, "interp-frames: Python 3.10 is absent (no %s/3.10.*): not tested on it\n",
                dir);
        cr_skip_test("Python 3.10 is absent");
    }
    char *prog = ls_path_join(PROGRAMS, "nested_sleep.py");
    char *bare_argv[] = {path, prog, NULL};
    struct ls_proc_result bare = ls_run_argv(bare_argv, py_env, 30);
    char *cmd[] = {path, prog, NULL};
    struct run r = run_under(NULL, cmd, py_env);
    cr_assert_eq(bare.status, 0);
    cr_assert_str_eq(r.proc.out, bare.out, "the host's output changed");
    const char *notice = "loopstall: Python 3.10 is not supported: frames stay native\n";
    const char *at = strstr(r.proc.err, notice);
    cr_assert(at, "no notice on stderr:\n%s", r.proc.err);
    cr_assert_null(strstr(at + 1, notice), "the notice came more than once:\n%s", r.proc.err);
    json_t *stalls = main_stalls(r.report, "blocking");
    cr_assert_eq(json_array_size(stalls), 1, "%s", ls_describe_stalls(r.report));
    json_t *stack = json_object_get(
        json_array_get(json_object_get(json_array_get(stalls, 0), "calls"), 0), "stack");
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f) cr_assert_null(json_object_get(f, "lang"), "frame %zu", i);
    cr_assert_gt(json_array_size(stack), 2, "the native stack is there");
    json_decref(stalls);
    ls_proc_result_free(&bare);
    free(prog);
    run_free(&r);
}

/* ---- Node ---- */

/* sync_in_function.js with its settings file slowed down by 120 ms at open. */
static struct run run_sync_in_function(void)
{
    char *dir = ls_tmpdir(), rule[4200];
    char *settings = ls_path_join(dir, "settings.json");
    FILE *f = fopen(settings, "w");
    cr_assert_not_null(f);
    fputs("{}\n", f);
    fclose(f);
    snprintf(rule, sizeof rule, "--inject=open64:delay=120ms,path=%s", settings);
    struct run r = run_node(rule, "sync_in_function.js", settings);
    free(settings);
    ls_tmpdir_cleanup(dir);
    return r;
}

/* The blocking stall whose culprit call is fn, and that call's stack. */
static json_t *stall_by_call(json_t *stalls, const char *fn)
{
    size_t i;
    json_t *s;
    json_array_foreach(stalls, i, s)
    {
        const char *c = ls_stall_culprit(s);
        if (c && !strcmp(c, fn))
            return json_object_get(json_array_get(json_object_get(s, "calls"), 0), "stack");
    }
    return NULL;
}

Test(interp_frames, node_exec_sync_and_read_file_sync_name_their_function_and_script)
{
    struct run r = run_sync_in_function();
    json_t *stalls = main_stalls(r.report, "blocking");
    json_t *exec = stall_by_call(stalls, "epoll_pwait");
    json_t *read = stall_by_call(stalls, "open64");
    cr_assert(exec && read, "want execSync's nested wait and the slowed open:%s",
              ls_describe_stalls(r.report));
    /* V8 names where a function starts: loadConfig and readSettings are declared on the line
     * before their call. */
    long lc = frame_index(exec, "js", "loadConfig");
    assert_frame(exec, lc, "loadConfig", "sync_in_function.js",
                 mark("sync_in_function.js", "exec") - 1);
    cr_assert_str_eq(ls_json_str(json_array_get(exec, (size_t)lc), "line_is"), "function_start");
    cr_assert_lt(frame_index(exec, "js", "execSync"), lc, "execSync is not below loadConfig");
    long rs = frame_index(read, "js", "readSettings");
    assert_frame(read, rs, "readSettings", "sync_in_function.js",
                 mark("sync_in_function.js", "read") - 1);
    cr_assert(strstr(r.proc.err, "open64 on ") &&
                  strstr(r.proc.err, " in readSettings (function at "
                                     "sync_in_function.js:"),
              "the summary does not name readSettings:\n%s", r.proc.err);
    json_decref(stalls);
    run_free(&r);
}

Test(interp_frames, node_a_second_identical_run_gives_the_same_site_ids)
{
    struct run a = run_sync_in_function(), b = run_sync_in_function();
    char ids[2048];
    snprintf(ids, sizeof ids, "%s", site_ids(a.report, "blocking"));
    cr_assert_eq(strlen(ids), 33, "two blocking sites: %s", ids);
    cr_assert_str_eq(site_ids(b.report, "blocking"), ids);
    struct ls_proc_result d = diff(&a, &b);
    cr_assert_eq(d.status, 0, "%s", d.out);
    ls_proc_result_free(&d);
    run_free(&a);
    run_free(&b);
}

Test(interp_frames, node_a_js_busy_loop_has_its_function_in_half_its_samples)
{
    struct run r = run_node(NULL, "cpu_work.js", "spin");
    json_t *stalls = main_stalls(r.report, "cpu");
    cr_assert_geq(json_array_size(stalls), 1, "%s", ls_describe_stalls(r.report));
    size_t i, sampled = 0;
    json_t *s;
    json_array_foreach(stalls, i, s)
    {
        size_t with, all;
        samples_with(s, "js", "spin", &with, &all);
        if (!all) continue;
        sampled++;
        cr_assert_geq(with * 2, all, "spin is in %zu of %zu samples", with, all);
    }
    cr_assert_gt(sampled, 0, "no CPU stall has samples");
    json_decref(stalls);
    run_free(&r);
}

Test(interp_frames, node_five_runs_of_pbkdf2_and_gzip_give_one_site_and_moving_it_gives_another)
{
    struct run runs[5], moved;
    for (int i = 0; i < 5; i++)
        runs[i] = run_node(NULL, "cpu_work.js", NULL);
    five_runs_hold_still(runs, "cpu_work.js");
    moved = run_node(NULL, "cpu_work.js", "moved");
    struct ls_proc_result d = diff(&runs[0], &moved);
    cr_assert_eq(d.status, 1, "the work moved to digestAndPack and diff saw nothing:\n%s", d.out);
    cr_assert(strstr(d.out, "digestAndPack (function at cpu_work.js"), "%s", d.out);
    ls_proc_result_free(&d);
    for (int i = 0; i < 5; i++)
        run_free(&runs[i]);
    run_free(&moved);
}
