/* test-pyframes.c -- CPython frames read from memory, on real interpreters, through libpyprobe.
 *
 * Each test runs a script from tests/pyframes/ on one interpreter: Debian's stripped python3.11
 * (libpython linked into the executable) and pyenv's 3.11.7, 3.12.1 and 3.13.0 (libpython in a
 * shared library). An interpreter that is not installed is named on stderr and its tests are
 * reported as skipped, never passed silently. Lines the tests expect are marked in the scripts
 * with "# MARK:NAME", so the tests hold however the scripts are edited.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ls_test.h"

struct python {
    const char *label;   /* as the test output names it */
    const char *version; /* pyenv's directory name, or NULL for Debian's /usr/bin one */
    const char *exe;     /* python3.X */
};

static const struct python debian_311 = {"3.11 (Debian, static libpython)", NULL, "python3.11"};
static const struct python pyenv_311 = {"3.11.7 (pyenv)", "3.11.7", "python3.11"};
static const struct python pyenv_312 = {"3.12.1 (pyenv)", "3.12.1", "python3.12"};
static const struct python pyenv_313 = {"3.13.0 (pyenv)", "3.13.0", "python3.13"};
static const struct python pyenv_310 = {"3.10.13 (pyenv)", "3.10.13", "python3.10"};

static void pyenv_root(char *buf, size_t len)
{
    const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME");
    if (root && root[0])
        snprintf(buf, len, "%s", root);
    else
        snprintf(buf, len, "%s/.pyenv", home ? home : "/root");
}

/* The interpreter's path; Debian's must be there (scripts/setup.sh installs it), a pyenv one
 * that is absent skips the test with its name and where it was looked for. */
static void python_path(const struct python *py, char *buf, size_t len)
{
    if (!py->version) {
        snprintf(buf, len, "/usr/bin/%s", py->exe);
        cr_assert(access(buf, X_OK) == 0, "%s is required: run scripts/setup.sh", buf);
        return;
    }
    char root[2048];
    pyenv_root(root, sizeof root);
    snprintf(buf, len, "%s/versions/%s/bin/%s", root, py->version, py->exe);
    if (access(buf, X_OK) != 0) {
        fprintf(stderr, "pyframes: Python %s is absent (no %s): not tested on it\n", py->label,
                buf);
        cr_skip_test("Python %s is absent (no %s)", py->label, buf);
    }
}

/* One record of the probe's output: tab-separated fields of one line. */
#define FIELDS_MAX 8
struct rec {
    char *f[FIELDS_MAX];
    int n;
};

struct output {
    struct ls_proc_result proc;
    struct rec *recs;
    int nrecs;
};

static void parse(struct output *o)
{
    int cap = 64;
    o->recs = calloc((size_t)cap, sizeof *o->recs);
    char *save = NULL;
    for (char *line = strtok_r(o->proc.out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (o->nrecs == cap) {
            cap *= 2;
            o->recs = realloc(o->recs, (size_t)cap * sizeof *o->recs);
        }
        struct rec *r = &o->recs[o->nrecs++];
        r->n = 0;
        for (char *p = line; p && r->n < FIELDS_MAX;) {
            r->f[r->n++] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
    }
}

static void output_free(struct output *o)
{
    free(o->recs);
    ls_proc_result_free(&o->proc);
}

static char *script(const char *name)
{
    return ls_path_join(PYFRAMES_SCRIPTS, name);
}

/* Runs `python SCRIPT [ARG]` with the probe, checks it exited 0, parses its output. */
static struct output run_script(const struct python *py, const char *name, const char *arg)
{
    char exe[4096];
    python_path(py, exe, sizeof exe);
    char *path = script(name);
    char *argv[] = {exe, path, (char *)arg, NULL};
    char *env[] = {"PYFRAMES_PROBE=" PYFRAMES_PROBE, "PYTHONDONTWRITEBYTECODE=1",
                   "PYTHONPATH=", NULL};
    struct output o = {.proc = ls_run_argv(argv, env, 60)};
    cr_assert_eq(o.proc.status, 0, "%s %s %s exited %d; stderr:\n%s", py->label, name,
                 arg ? arg : "", o.proc.status, o.proc.err);
    free(path);
    parse(&o);
    return o;
}

static struct rec *find(struct output *o, const char *kind, int nth)
{
    for (int i = 0; i < o->nrecs; i++)
        if (strcmp(o->recs[i].f[0], kind) == 0 && nth-- == 0) return &o->recs[i];
    return NULL;
}

static int count(struct output *o, const char *kind)
{
    int n = 0;
    for (int i = 0; i < o->nrecs; i++)
        n += strcmp(o->recs[i].f[0], kind) == 0;
    return n;
}

/* The number of the line in script name that ends with "# MARK:mark". */
static int mark_line(const char *name, const char *mark)
{
    char *path = script(name), want[128], line[1024];
    snprintf(want, sizeof want, "# MARK:%s\n", mark);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    int n = 0, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        n++;
        size_t l = strlen(line), w = strlen(want);
        found = l >= w && strcmp(line + l - w, want) == 0;
    }
    fclose(f);
    cr_assert(found, "%s has no line marked %s", path, mark);
    free(path);
    return n;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* A py record: py I QUALNAME FILE LINE ENTRY. */
#define PY_QUAL(r)  ((r)->f[2])
#define PY_FILE(r)  ((r)->f[3])
#define PY_LINE(r)  atoi((r)->f[4])
#define PY_ENTRY(r) atoi((r)->f[5])

static void expect_detected(const struct python *py, struct output *o)
{
    struct rec *d = find(o, "detect", 0);
    cr_assert_not_null(d, "%s: the probe said nothing; stdout:\n%s", py->label, o->proc.out);
    cr_assert_str_eq(d->f[1], "ok", "%s: detection refused: %s", py->label, d->f[2]);
    /* Detection ran inside a call from Python: its self-check walked real frames. */
    cr_assert(d->n > 3 && atoi(d->f[3]) > 0, "%s: the self-check proved no frame", py->label);
}

/* One line per frame, for failure messages. */
static const char *frames_text(struct output *o)
{
    static char buf[8192];
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < o->nrecs && used + 256 < sizeof buf; i++)
        if (strcmp(o->recs[i].f[0], "py") == 0 && o->recs[i].n >= 6)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "  %s (%s:%s) entry=%s\n",
                                     PY_QUAL(&o->recs[i]), PY_FILE(&o->recs[i]), o->recs[i].f[4],
                                     o->recs[i].f[5]);
    return buf;
}

static void expect_frame(const struct python *py, struct output *o, int i, const char *qual,
                         const char *file, int line)
{
    struct rec *r = find(o, "py", i);
    cr_assert_not_null(r, "%s: no frame %d; frames:\n%s", py->label, i, frames_text(o));
    cr_assert_str_eq(PY_QUAL(r), qual, "%s: frame %d; frames:\n%s", py->label, i, frames_text(o));
    cr_assert(ends_with(PY_FILE(r), file), "%s: frame %d (%s) is in %s, not %s", py->label, i, qual,
              PY_FILE(r), file);
    cr_assert_eq(PY_LINE(r), line, "%s: frame %d (%s) at line %d, not %d", py->label, i, qual,
                 PY_LINE(r), line);
}

/* The blocking call names Config.load, load_config and handler with their current lines,
 * innermost first, then asyncio's own frames, then the module; the thread state read with the
 * GIL released is the one the interpreter gives with it held. */
static void blocking_call_names_its_python_frames(const struct python *py)
{
    struct output o = run_script(py, "blocking.py", NULL);
    expect_detected(py, &o);
    struct rec *held = find(&o, "held", 0), *ts = find(&o, "tstate", 0);
    cr_assert(held && ts, "%s: no thread state in the output", py->label);
    cr_assert_str_eq(ts->f[1], held->f[1],
                     "%s: PyGILState_GetThisThreadState with the GIL "
                     "released is not the thread's state",
                     py->label);

    expect_frame(py, &o, 0, "Config.load", "/blocking.py", mark_line("blocking.py", "Config.load"));
    expect_frame(py, &o, 1, "load_config", "/blocking.py", mark_line("blocking.py", "load_config"));
    expect_frame(py, &o, 2, "handler", "/blocking.py", mark_line("blocking.py", "handler"));
    /* Python calls made by Python run in the same eval-loop call; the coroutine was resumed
     * from C (the task's step), so it starts one. */
    cr_assert_eq(PY_ENTRY(find(&o, "py", 0)), 0, "%s: Config.load marked as an entry", py->label);
    cr_assert_eq(PY_ENTRY(find(&o, "py", 1)), 0, "%s: load_config marked as an entry", py->label);
    cr_assert_eq(PY_ENTRY(find(&o, "py", 2)), 1, "%s: handler not marked as an entry", py->label);

    int n = count(&o, "py"), handle_run = -1, run_until = -1;
    for (int i = 3; i < n - 1; i++) {
        struct rec *r = find(&o, "py", i);
        cr_assert(strstr(PY_FILE(r), "/asyncio/"), "%s: frame %d (%s in %s) is not asyncio's",
                  py->label, i, PY_QUAL(r), PY_FILE(r));
        cr_assert_gt(PY_LINE(r), 0, "%s: frame %d (%s) has no line", py->label, i, PY_QUAL(r));
        if (strcmp(PY_QUAL(r), "Handle._run") == 0) handle_run = i;
        if (strcmp(PY_QUAL(r), "BaseEventLoop.run_until_complete") == 0) run_until = i;
    }
    cr_assert(handle_run == 3 && run_until > handle_run,
              "%s: asyncio's Handle._run then BaseEventLoop.run_until_complete expected below "
              "handler; frames:\n%s",
              py->label, frames_text(&o));
    expect_frame(py, &o, n - 1, "<module>", "/blocking.py", mark_line("blocking.py", "<module>"));
    cr_assert_eq(PY_ENTRY(find(&o, "py", n - 1)), 1, "%s: <module> not an entry", py->label);
    output_free(&o);
}

/* The same from a loop in a threading.Thread: its own state, its own frames, down to
 * Thread._bootstrap. */
static void a_loop_thread_other_than_main_names_its_frames(const struct python *py)
{
    struct output o = run_script(py, "in_thread.py", NULL);
    expect_detected(py, &o);
    struct rec *held = find(&o, "held", 0), *ts = find(&o, "tstate", 0);
    cr_assert(held && ts && strcmp(held->f[1], ts->f[1]) == 0,
              "%s: the loop thread's state read with the GIL released is not its own", py->label);
    expect_frame(py, &o, 0, "load_config", "/in_thread.py",
                 mark_line("in_thread.py", "load_config"));
    expect_frame(py, &o, 1, "handler", "/in_thread.py", mark_line("in_thread.py", "handler"));
    struct rec *last = find(&o, "py", count(&o, "py") - 1);
    cr_assert_str_eq(PY_QUAL(last), "Thread._bootstrap", "%s: frames:\n%s", py->label,
                     frames_text(&o));
    cr_assert(ends_with(PY_FILE(last), "/threading.py"));
    output_free(&o);
}

/* Samples taken in a signal handler while pure Python burns CPU: crunch, at one of its own
 * lines, called from handler, in at least half of them. */
static void cpu_samples_name_the_busy_function(const struct python *py)
{
    struct output o = run_script(py, "busy.py", "0.4");
    int first = mark_line("busy.py", "crunch:first"), last = mark_line("busy.py", "crunch:last");
    struct rec *total = find(&o, "samples", 0);
    cr_assert_not_null(total, "%s: no samples; stdout:\n%s", py->label, o.proc.out);
    int taken = atoi(total->f[1]), in_crunch = 0;
    /* 0.4 s of CPU at one sample per 2 ms of thread CPU time: about 200. */
    cr_assert_geq(taken, 40, "%s: only %d samples", py->label, taken);
    for (int k = 0; k < taken; k++) {
        struct rec *top = NULL, *caller = NULL;
        for (int i = 0; i < o.nrecs; i++) {
            struct rec *r = &o.recs[i];
            if (strcmp(r->f[0], "s") != 0 || atoi(r->f[1]) != k) continue;
            if (atoi(r->f[2]) == 0) top = r;
            if (atoi(r->f[2]) == 1) caller = r;
        }
        if (top && caller && strcmp(top->f[3], "crunch") == 0 &&
            strcmp(caller->f[3], "handler") == 0 && atoi(top->f[5]) >= first &&
            atoi(top->f[5]) <= last)
            in_crunch++;
    }
    cr_assert_geq(2 * in_crunch, taken,
                  "%s: crunch (lines %d-%d, called from handler) in only %d of %d samples",
                  py->label, first, last, in_crunch, taken);
    output_free(&o);
}

/* ls_py_merge on a real native stack: the natives dladdr names _PyEval_EvalFrameDefault, and
 * only those, give way to the Python frames of their eval-loop call, in order. */
static void merge_puts_python_frames_where_the_eval_loop_was(const struct python *py)
{
    struct output o = run_script(py, "blocking.py", "merged");
    expect_detected(py, &o);
    int nn = count(&o, "native"), np = count(&o, "py"), nm = count(&o, "merge");
    cr_assert_gt(np, 5, "%s: only %d Python frames", py->label, np);
    /* The expected merge, built from what dladdr says and the entry marks. */
    char want[512], got[512];
    size_t w = 0, g = 0;
    int p = 0, evals = 0;
    for (int i = 0; i < nn && w + 16 < sizeof want; i++) {
        struct rec *r = find(&o, "native", i);
        int named_eval = strcmp(r->f[2], "_PyEval_EvalFrameDefault") == 0;
        cr_assert_eq(named_eval, atoi(r->f[3]),
                     "%s: native frame %d (%s): the layout's eval range and dladdr disagree",
                     py->label, i, r->f[2]);
        if (!named_eval) {
            w += (size_t)snprintf(want + w, sizeof want - w, "n%d ", i);
            continue;
        }
        evals++;
        while (p < np) {
            struct rec *f = find(&o, "py", p);
            w += (size_t)snprintf(want + w, sizeof want - w, "p%d ", p++);
            if (PY_ENTRY(f)) break;
        }
    }
    for (int i = 0; i < nm && g + 16 < sizeof got; i++) {
        struct rec *r = find(&o, "merge", i);
        g += (size_t)snprintf(got + g, sizeof got - g, "%s%s ", r->f[2], r->f[3]);
    }
    cr_assert_geq(evals, 2, "%s: %d eval-loop frames in the native stack", py->label, evals);
    cr_assert_eq(p, np, "%s: %d Python frames left over after %d eval-loop frames", py->label,
                 np - p, evals);
    cr_assert_str_eq(got, want, "%s: merge differs", py->label);
    /* The first slot after the probe's own native frames is Config.load. */
    struct rec *first_py = NULL;
    for (int i = 0; i < nm && !first_py; i++)
        if (strcmp(find(&o, "merge", i)->f[2], "p") == 0) first_py = find(&o, "merge", i);
    cr_assert(first_py &&
              strcmp(PY_QUAL(find(&o, "py", atoi(first_py->f[3]))), "Config.load") == 0);
    output_free(&o);
}

/* One layout offset moved by 8 bytes: the self-check refuses it with its reason, and capture and
 * describe on it still return (the script goes on to print everything). */
static void a_wrong_offset_fails_the_self_check(const struct python *py)
{
    static const char *const fields[] = {"ts_frame", "fr_code",     "fr_previous",
                                         "fr_instr", "co_qualname", "co_linetable"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char arg[64];
        snprintf(arg, sizeof arg, "broken:%s:8", fields[i]);
        struct output o = run_script(py, "blocking.py", arg);
        expect_detected(py, &o);
        struct rec *c = find(&o, "check", 0);
        cr_assert_not_null(c, "%s %s: no check result; stdout:\n%s", py->label, arg, o.proc.out);
        cr_assert_neq(atoi(c->f[1]), 0, "%s: the self-check accepted %s moved by 8; frames:\n%s",
                      py->label, fields[i], frames_text(&o));
        cr_assert(strstr(c->f[2], "self-check failed") && strstr(c->f[2], "frames stay native"),
                  "%s %s: reason \"%s\"", py->label, arg, c->f[2]);
        output_free(&o);
    }
}

/* The line-table decoder against co_lines() on every instruction of large stdlib modules. */
static void line_numbers_match_the_interpreters_own(const struct python *py)
{
    struct output o = run_script(py, "linetable.py", NULL);
    struct rec *r = find(&o, "lines", 0);
    cr_assert_not_null(r, "%s: stdout:\n%s\nstderr:\n%s", py->label, o.proc.out, o.proc.err);
    cr_assert_gt(atoi(r->f[2]), 10000, "%s: only %s instructions checked", py->label, r->f[2]);
    struct rec *m = find(&o, "mismatch", 0);
    cr_assert_eq(atoi(r->f[3]), 0, "%s: %s of %s lines differ, e.g. %s", py->label, r->f[3],
                 r->f[2], m ? m->f[1] : "");
    output_free(&o);
}

/* The size nm gives symbol in file (-D: the dynamic table only), or 0 when it has none. */
static unsigned long long nm_size(const char *file, const char *symbol, int dynamic)
{
    char *argv[] = {"nm", "-S", dynamic ? "-D" : "--defined-only", (char *)file, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 60);
    unsigned long long size = 0;
    char *save = NULL;
    for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long value, sz;
        char type, name[256];
        if (sscanf(line, "%llx %llx %c %255s", &value, &sz, &type, name) == 4 &&
            strcmp(name, symbol) == 0)
            size = sz;
    }
    ls_proc_result_free(&r);
    return size;
}

/* The eval loop's range comes from the symbol's size in the dynamic table; its .cold part, from
 * the full symbol table where the file has one (pyenv's libpython), and is unknown in Debian's
 * stripped python3.11. */
static void the_eval_loop_range_is_the_symbols(const struct python *py)
{
    struct output o = run_script(py, "blocking.py", NULL);
    expect_detected(py, &o);
    struct rec *e = find(&o, "eval", 0);
    cr_assert(e && e->n == 5, "%s: no eval record", py->label);
    unsigned long long start = strtoull(e->f[1], NULL, 16), end = strtoull(e->f[2], NULL, 16);
    unsigned long long cold = strtoull(e->f[3], NULL, 16), cold_end = strtoull(e->f[4], NULL, 16);
    char exe[4096], lib[4096];
    python_path(py, exe, sizeof exe);
    if (py->version) {
        char root[2048];
        pyenv_root(root, sizeof root);
        snprintf(lib, sizeof lib, "%s/versions/%s/lib/lib%s.so.1.0", root, py->version, py->exe);
    } else {
        snprintf(lib, sizeof lib, "%s", exe);
    }
    unsigned long long hot = nm_size(lib, "_PyEval_EvalFrameDefault", 1);
    cr_assert_gt(hot, 0, "%s: nm finds no _PyEval_EvalFrameDefault in %s", py->label, lib);
    cr_assert_eq(end - start, hot, "%s: eval range of %llu bytes, the symbol has %llu", py->label,
                 end - start, hot);
    unsigned long long cold_size = nm_size(lib, "_PyEval_EvalFrameDefault.cold", 0);
    cr_assert_eq(cold_end - cold, cold_size, "%s: cold part of %llu bytes, %s names %llu",
                 py->label, cold_end - cold, lib, cold_size);
    if (cold_size == 0)
        fprintf(stderr,
                "pyframes: %s: %s names no _PyEval_EvalFrameDefault.cold (stripped, or "
                "not split): the cold part is not known\n",
                py->label, lib);
    output_free(&o);
}

#define ON_EACH_PYTHON(check)                                                                      \
    Test(pyframes, check##_on_311_debian)                                                          \
    {                                                                                              \
        check(&debian_311);                                                                        \
    }                                                                                              \
    Test(pyframes, check##_on_311_pyenv)                                                           \
    {                                                                                              \
        check(&pyenv_311);                                                                         \
    }                                                                                              \
    Test(pyframes, check##_on_312)                                                                 \
    {                                                                                              \
        check(&pyenv_312);                                                                         \
    }                                                                                              \
    Test(pyframes, check##_on_313)                                                                 \
    {                                                                                              \
        check(&pyenv_313);                                                                         \
    }

ON_EACH_PYTHON(blocking_call_names_its_python_frames)
ON_EACH_PYTHON(a_loop_thread_other_than_main_names_its_frames)
ON_EACH_PYTHON(cpu_samples_name_the_busy_function)
ON_EACH_PYTHON(merge_puts_python_frames_where_the_eval_loop_was)
ON_EACH_PYTHON(a_wrong_offset_fails_the_self_check)
ON_EACH_PYTHON(line_numbers_match_the_interpreters_own)
ON_EACH_PYTHON(the_eval_loop_range_is_the_symbols)

/* A host that loaded libpython RTLD_LOCAL: dlsym(RTLD_DEFAULT) cannot see the interpreter, the
 * list of loaded objects can. The thread has a state but no Python frame yet. */
static void a_libpython_loaded_locally_is_found(const struct python *py)
{
    char exe[4096], root[2048], lib[4096], home[4200];
    python_path(py, exe, sizeof exe);
    pyenv_root(root, sizeof root);
    snprintf(lib, sizeof lib, "%s/versions/%s/lib/lib%s.so.1.0", root, py->version, py->exe);
    snprintf(home, sizeof home, "PYTHONHOME=%s/versions/%s", root, py->version);
    char *host = ls_path_join(PYFRAMES_BIN, "embed-local");
    char *argv[] = {host, lib, NULL}, *env[] = {home, NULL};
    struct output o = {.proc = ls_run_argv(argv, env, 60)};
    cr_assert_eq(o.proc.status, 0, "%s: embed-local exited %d: %s", py->label, o.proc.status,
                 o.proc.err);
    parse(&o);
    struct rec *d = find(&o, "detect", 0), *ts = find(&o, "tstate", 0), *held = find(&o, "held", 0);
    cr_assert(d && strcmp(d->f[1], "ok") == 0, "%s: stdout:\n%s", py->label, o.proc.out);
    cr_assert(ts && held, "%s: stdout:\n%s", py->label, o.proc.out);
    cr_assert_eq(strtoull(ts->f[1], NULL, 16), strtoull(held->f[1], NULL, 16),
                 "%s: thread state %s, the interpreter says %s", py->label, ts->f[1], held->f[1]);
    cr_assert_eq(count(&o, "py"), 0);
    cr_assert_not_null(find(&o, "host ok", 0));
    free(host);
    output_free(&o);
}

Test(pyframes, a_libpython_loaded_locally_is_found_on_312)
{
    a_libpython_loaded_locally_is_found(&pyenv_312);
}

Test(pyframes, a_libpython_loaded_locally_is_found_on_313)
{
    a_libpython_loaded_locally_is_found(&pyenv_313);
}

Test(pyframes, python_310_gets_the_one_line_notice_and_runs_on)
{
    struct output o = run_script(&pyenv_310, "unsupported.py", NULL);
    struct rec *d = find(&o, "detect", 0);
    cr_assert(d && strcmp(d->f[1], "refused") == 0, "stdout:\n%s", o.proc.out);
    cr_assert_str_eq(d->f[2], "Python 3.10 is not supported: frames stay native");
    cr_assert_not_null(find(&o, "host ok", 0), "the script did not go on: %s", o.proc.out);
    cr_assert_eq(count(&o, "py"), 0);
    output_free(&o);
}

/* Runs one of the fake programs and returns the reason detection gave. */
static char *fake_reason(const char *name)
{
    char *path = ls_path_join(PYFRAMES_BIN, name);
    char *argv[] = {path, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    cr_assert_eq(r.status, 0, "%s exited %d: %s", name, r.status, r.err);
    cr_assert(strstr(r.out, "host ok\n"), "%s did not go on: %s", name, r.out);
    const char *d = strstr(r.out, "detect\trefused\t");
    cr_assert_not_null(d, "%s: detection did not refuse: %s", name, r.out);
    d += strlen("detect\trefused\t");
    char *reason = strndup(d, strcspn(d, "\n"));
    ls_proc_result_free(&r);
    free(path);
    return reason;
}

Test(pyframes, a_fake_py_version_of_an_unknown_minor_gets_the_notice)
{
    char *why = fake_reason("fake-py314");
    cr_assert_str_eq(why, "Python 3.14 is not supported: frames stay native");
    free(why);
}

Test(pyframes, a_known_py_version_with_no_interpreter_behind_it_is_refused)
{
    char *why = fake_reason("fake-py313");
    cr_assert(strstr(why, "exports no PyGILState_GetThisThreadState") &&
                  strstr(why, "frames stay native"),
              "reason: %s", why);
    free(why);
}

Test(pyframes, a_program_that_is_not_python_is_told_so)
{
    char *why = fake_reason("not-python");
    cr_assert_str_eq(why, "not a Python process");
    free(why);
}
