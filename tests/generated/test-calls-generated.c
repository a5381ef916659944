/* test-calls-generated.c -- one test per row of common/calls.def, generated from it: every
 * intercepted function, called for real by calls-probe under the agent, fails in its own
 * convention with each errno it lists, is capped by short= where it has a byte count, keeps
 * errno when it succeeds on a loop thread, and is delayed on the thread a rule names.
 *
 * libfiu's tests/generated/ writes a test file per function from a small spec; here the spec
 * is calls.def itself (expanded below, once per row, into five Criterion tests named
 * "<function>::<behaviour>") and the calling code is calls-probe's table of cases, keyed by
 * name, which fails for a row it has no case for. Each test judges both what the calls
 * returned and what the agent's report says (injections[].fired, the loop's stalls).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "errnames.h"
#include "inject_rule.h"
#include "ls_test.h"
#include "probe.h"

#define MAX_LINES  64
#define MAX_ERRNOS 40

struct line {
    int thread_loop; /* made on the loop thread (else on the second thread) */
    int role_loop;   /* the role the agent must see: loop (else other) */
    long ret;
    int err;
    uint64_t ns;
    int started;
};

struct run {
    int status;
    char *out, *err;
    struct line calls[MAX_LINES];
    int ncalls;
    int harness_loop, harness_other; /* the harness's own calls of the function, by role */
    uint64_t fired[LS_MAX_RULES];    /* summed over every report the run left */
    int nreports;
    json_t *reports[32];
};

/* What calls-probe's table says of a function's case. */
struct case_flags {
    int exists, in_child, adopts;
};

static struct case_flags case_flags(const char *name)
{
    char *argv[] = {LS_CALLS_PROBE, "list", NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    struct case_flags f = {0, 0, 0};
    size_t n = strlen(name);
    for (const char *p = r.out; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= n && strncmp(p, name, n) == 0 && (len == n || p[n] == ' ')) {
            f.exists = 1;
            f.in_child = memmem(p, len, " child", 6) != NULL;
            f.adopts = memmem(p, len, " adopts", 7) != NULL;
        }
        p = end ? end + 1 : p + len;
    }
    ls_proc_result_free(&r);
    cr_assert(f.exists, "common/calls.def row %s has no calling case in tests/generated/cases-*.c",
              name);
    return f;
}

static void parse_lines(struct run *r)
{
    for (const char *p = r->out; p && *p;) {
        const char *end = strchr(p, '\n');
        char th[16], role[16];
        struct line l = {0};
        unsigned long long ns = 0;
        int idx;
        if (sscanf(p, "call %d thread=%15s role=%15s ret=%ld errno=%d ns=%llu started=%d", &idx, th,
                   role, &l.ret, &l.err, &ns, &l.started) == 7) {
            cr_assert_lt(r->ncalls, MAX_LINES);
            l.thread_loop = strcmp(th, "loop") == 0;
            l.role_loop = strcmp(role, "loop") == 0;
            l.ns = ns;
            r->calls[r->ncalls++] = l;
        } else if (sscanf(p, "harness %*s role=%15s", role) == 1) {
            if (strcmp(role, "loop") == 0)
                r->harness_loop++;
            else
                r->harness_other++;
        }
        p = end ? end + 1 : p + strlen(p);
    }
}

/* Loads every report the run left and sums each rule's fires; checks that each report lists
 * the rules as they were given. */
static void read_reports(struct run *r, const char *dir, char *const rules[], int nrules)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "loopstall.", 10) != 0 || n < 5 ||
            strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char *path = ls_path_join(dir, e->d_name);
        json_t *rep = ls_load_json(path);
        free(path);
        cr_assert_lt(r->nreports, 32);
        r->reports[r->nreports++] = rep;
        json_t *procs = json_object_get(rep, "processes");
        for (size_t p = 0; p < json_array_size(procs); p++) {
            json_t *inj = json_object_get(json_array_get(procs, p), "injections");
            cr_assert_eq(json_array_size(inj), (size_t)nrules, "%s lists %zu rules, not %d",
                         e->d_name, json_array_size(inj), nrules);
            for (int i = 0; i < nrules; i++) {
                json_t *one = json_array_get(inj, (size_t)i);
                cr_assert_str_eq(ls_json_str(one, "rule"), rules[i]);
                r->fired[i] += ls_json_u64(one, "fired");
            }
        }
    }
    closedir(d);
}

/* Runs calls-probe with args, bare or under the agent with rules (joined by ';'). */
static void run_probe(struct run *r, int agent, char *const rules[], int nrules, int strict,
                      char *const args[])
{
    memset(r, 0, sizeof *r);
    char *dir = ls_tmpdir();
    static char inject[LS_MAX_RULES * LS_RULE_TEXT_MAX + 32];
    size_t at = (size_t)snprintf(inject, sizeof inject, "LOOPSTALL_INJECT=");
    for (int i = 0; i < nrules; i++)
        at += (size_t)snprintf(inject + at, sizeof inject - at, "%s%s", i ? ";" : "", rules[i]);
    struct ls_preload_env pe;
    ls_preload_env(&pe, dir, nrules ? inject : NULL);
    char *env[6] = {0};
    int k = 0;
    if (agent) {
        for (int i = 0; pe.env[i]; i++)
            env[k++] = pe.env[i];
        if (strict) env[k++] = "LOOPSTALL_STRICT=1";
    }
    char *argv[8] = {LS_CALLS_PROBE};
    for (int i = 0; args[i] && i < 6; i++)
        argv[i + 1] = args[i];
    struct ls_proc_result pr = ls_run_argv(argv, env, 120);
    r->status = pr.status;
    r->out = pr.out;
    r->err = pr.err;
    cr_assert_eq(r->status, 0, "calls-probe %s %s exited %d:\n%s", args[0], args[1], r->status,
                 r->err);
    parse_lines(r);
    if (agent) read_reports(r, dir, rules, nrules);
    ls_tmpdir_cleanup(dir);
}

static void run_free(struct run *r)
{
    for (int i = 0; i < r->nreports; i++)
        json_decref(r->reports[i]);
    free(r->out);
    free(r->err);
}

/* The names a row lists, and their values. */
static int row_errnos(int fn, char names[][32], int values[])
{
    int n = 0;
    for (const char *p = ls_calls[fn].errnos; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len) break;
        cr_assert_lt(n, MAX_ERRNOS);
        snprintf(names[n], 32, "%.*s", (int)len, p);
        cr_assert_eq(ls_errno_by_name(p, len, &values[n]), 0, "%s lists an unknown error %s",
                     ls_calls[fn].name, names[n]);
        n++;
        p += len;
    }
    return n;
}

/* A rule the parser must refuse, with one line that names the function. */
static void assert_refused(const char *rule, const char *fn)
{
    struct ls_rule r;
    char err[512] = "";
    cr_assert_eq(ls_rule_parse(rule, strlen(rule), &r, err, sizeof err), -EINVAL, "%s was accepted",
                 rule);
    cr_assert(strstr(err, fn) && !strchr(err, '\n'), "the refusal of %s: %s", rule, err);
}

static void assert_accepted(const char *rule)
{
    struct ls_rule r;
    char err[512] = "";
    cr_assert_eq(ls_rule_parse(rule, strlen(rule), &r, err, sizeof err), 0, "%s: %s", rule, err);
}

/* The call failed with value (named name) the way the function itself reports failure. */
static void assert_failed_with(int fn, const struct line *l, const char *name, int value)
{
    const char *f = ls_calls[fn].name;
    switch (ls_calls[fn].fail) {
    case F_MINUS1:
        cr_expect(l->ret == -1 && l->err == value,
                  "%s:errno=%s: expected -1 and errno %d, got %ld and errno %d", f, name, value,
                  l->ret, l->err);
        break;
    case F_NULL:
        cr_expect(l->ret == 0 && l->err == value,
                  "%s:errno=%s: expected NULL and errno %d, got %s and errno %d", f, name, value,
                  l->ret ? "a pointer" : "NULL", l->err);
        break;
    case F_RETERR:
        cr_expect(l->ret == value && l->err == PROBE_SENTINEL,
                  "%s:errno=%s: expected the error number %d returned and errno untouched, got "
                  "%ld and errno %d",
                  f, name, value, l->ret, l->err);
        break;
    case F_EAI:
        cr_expect(l->ret == value, "%s:errno=%s: expected the code %d, got %ld", f, name, value,
                  l->ret);
        /* A caller reads errno after EAI_SYSTEM: it must hold an error. */
        if (value == EAI_SYSTEM)
            cr_expect(l->err == EIO, "%s:errno=EAI_SYSTEM leaves errno %d, not EIO", f, l->err);
        break;
    case F_NONE:
        cr_assert_fail("%s cannot fail, yet a rule made it", f);
    }
}

/* The call succeeded, judged by the function's own convention. */
static int succeeded(int fn, const struct case_flags *cf, const struct line *l)
{
    if (cf->in_child) return l->started; /* an exec that worked never returns: the program ran */
    switch (ls_calls[fn].fail) {
    case F_MINUS1:
        return l->ret >= 0;
    case F_NULL:
        return l->ret != 0;
    default:
        return l->ret == 0;
    }
}

static void check_errnos(int fn)
{
    const char *f = ls_calls[fn].name;
    char rule[LS_RULE_TEXT_MAX];
    char names[MAX_ERRNOS][32];
    int values[MAX_ERRNOS];
    int n = row_errnos(fn, names, values);
    cr_assert_lt(snprintf(rule, sizeof rule, "%s:errno=EDOM", f), (int)sizeof rule,
                 "rule too long");
    assert_refused(rule, f); /* no intercepted call lists EDOM */
    if (n == 0) {
        /* It cannot fail: the row lists nothing, and every errno= is refused. */
        cr_assert_eq(ls_calls[fn].fail, F_NONE, "%s lists no errno but can fail", f);
        cr_assert_lt(snprintf(rule, sizeof rule, "%s:errno=EINTR", f), (int)sizeof rule,
                     "rule too long");
        assert_refused(rule, f);
        return;
    }
    struct case_flags cf = case_flags(f);
    if (cf.in_child) {
        /* A forked child counts its fires from zero: one run per errno. */
        for (int i = 0; i < n; i++) {
            cr_assert_lt(snprintf(rule, sizeof rule, "%s:errno=%s", f, names[i]), (int)sizeof rule,
                         "rule too long");
            assert_accepted(rule);
            char *rules[] = {rule};
            struct run r;
            run_probe(&r, 1, rules, 1, 0, (char *[]){"loop", (char *)f, "1", NULL});
            cr_assert_eq(r.ncalls, 1, "%s", r.out);
            assert_failed_with(fn, &r.calls[0], names[i], values[i]);
            cr_expect_eq(r.fired[0], 1, "%s fired %llu times over %d reports", rule,
                         (unsigned long long)r.fired[0], r.nreports);
            run_free(&r);
        }
        return;
    }
    /* One process: rule i fails call i only (after=i,count=1), then a call goes through. */
    cr_assert_leq(n, LS_MAX_RULES);
    static char texts[LS_MAX_RULES][LS_RULE_TEXT_MAX];
    char *rules[LS_MAX_RULES];
    for (int i = 0; i < n; i++) {
        snprintf(texts[i], sizeof texts[i], "%s:errno=%s,after=%d,count=1", f, names[i], i);
        assert_accepted(texts[i]);
        rules[i] = texts[i];
    }
    char count[16];
    snprintf(count, sizeof count, "%d", n + 1);
    struct run r;
    run_probe(&r, 1, rules, n, 0, (char *[]){"loop", (char *)f, count, NULL});
    cr_assert_eq(r.ncalls, n + 1, "%s", r.out);
    for (int i = 0; i < n; i++)
        assert_failed_with(fn, &r.calls[i], names[i], values[i]);
    cr_expect(succeeded(fn, &cf, &r.calls[n]),
              "%s: once every rule had fired, the call still failed (ret %ld, errno %d)", f,
              r.calls[n].ret, r.calls[n].err);
    for (int i = 0; i < n; i++)
        cr_expect_eq(r.fired[i], 1, "%s fired %llu times", rules[i],
                     (unsigned long long)r.fired[i]);
    run_free(&r);
}

static void check_short(int fn)
{
    const char *f = ls_calls[fn].name;
    char rule[LS_RULE_TEXT_MAX];
    if (ls_calls[fn].count == LS_COUNT_NONE) {
        cr_assert_lt(snprintf(rule, sizeof rule, "%s:short=%d", f, PROBE_SHORT), (int)sizeof rule,
                     "rule too long");
        assert_refused(rule, f);
        return;
    }
    /* Capped once (count=1), then the same call moves everything it asks for. */
    cr_assert_lt(snprintf(rule, sizeof rule, "%s:short=%d,count=1", f, PROBE_SHORT),
                 (int)sizeof rule, "rule too long");
    char *rules[] = {rule};
    struct run r;
    run_probe(&r, 1, rules, 1, 0, (char *[]){"loop", (char *)f, "2", NULL});
    cr_assert_eq(r.ncalls, 2, "%s", r.out);
    cr_expect_eq(r.calls[0].ret, PROBE_SHORT, "%s asked for %d bytes moved %ld", rule, PROBE_ASK,
                 r.calls[0].ret);
    cr_expect_eq(r.calls[1].ret, PROBE_ASK, "after its one fire, %s moved %ld of %d bytes", rule,
                 r.calls[1].ret, PROBE_ASK);
    cr_expect_eq(r.fired[0], 1, "%s fired %llu times", rule, (unsigned long long)r.fired[0]);
    run_free(&r);
}

static void check_keeps_errno(int fn)
{
    const char *f = ls_calls[fn].name;
    struct case_flags cf = case_flags(f);
    char *args[] = {"loop", (char *)f, "1", NULL};
    /* Without the agent: what the function itself leaves in errno when it succeeds. */
    struct run bare;
    run_probe(&bare, 0, NULL, 0, 0, args);
    cr_assert_eq(bare.ncalls, 1, "%s", bare.out);
    cr_assert(succeeded(fn, &cf, &bare.calls[0]),
              "the calling case for %s fails without the agent (ret %ld, errno %d)", f,
              bare.calls[0].ret, bare.calls[0].err);

    /* Under the agent, nothing injected: the wrapper's own path. */
    struct run plain;
    run_probe(&plain, 1, NULL, 0, 0, args);
    cr_assert_eq(plain.ncalls, 1, "%s", plain.out);
    cr_expect(succeeded(fn, &cf, &plain.calls[0]), "%s failed under the agent (ret %ld, errno %d)",
              f, plain.calls[0].ret, plain.calls[0].err);
    cr_expect_eq(plain.calls[0].err, bare.calls[0].err,
                 "%s on a loop thread left errno %d under the agent, %d without it", f,
                 plain.calls[0].err, bare.calls[0].err);

    /* A delay that fires, in strict mode: rule matching, the sleep, keeping the call with its
     * target and stack, the strict note: every out-of-line step the call can take. */
    char rule[LS_RULE_TEXT_MAX];
    cr_assert_lt(snprintf(rule, sizeof rule, "%s:delay=1ms", f), (int)sizeof rule, "rule too long");
    char *rules[] = {rule};
    struct run slow;
    run_probe(&slow, 1, rules, 1, 1, args);
    cr_assert_eq(slow.ncalls, 1, "%s", slow.out);
    cr_expect(succeeded(fn, &cf, &slow.calls[0]), "%s failed under %s (ret %ld, errno %d)", f, rule,
              slow.calls[0].ret, slow.calls[0].err);
    cr_expect_eq(slow.calls[0].err, bare.calls[0].err,
                 "%s under %s left errno %d, %d without the agent", f, rule, slow.calls[0].err,
                 bare.calls[0].err);
    cr_expect_eq(slow.fired[0], 1, "%s fired %llu times over %d reports", rule,
                 (unsigned long long)slow.fired[0], slow.nreports);
    run_free(&bare);
    run_free(&plain);
    run_free(&slow);
}

/* 1 when some stall's call in the reports is fn, marked as injected by rule. */
static int stall_names_rule(const struct run *r, const char *fn, const char *rule)
{
    for (int i = 0; i < r->nreports; i++) {
        for (size_t s = 0; s < ls_report_stall_count(r->reports[i]); s++) {
            json_t *calls = json_object_get(ls_report_stall(r->reports[i], s), "calls");
            for (size_t k = 0; k < json_array_size(calls); k++) {
                json_t *c = json_array_get(calls, k);
                const char *cr = ls_json_str(c, "rule");
                if (cr && strcmp(cr, rule) == 0 && strcmp(ls_json_str(c, "fn"), fn) == 0) return 1;
            }
        }
    }
    return 0;
}

static void check_delay(int fn, enum ls_role role)
{
    const char *f = ls_calls[fn].name;
    struct case_flags cf = case_flags(f);
    int want_loop = role == LS_ROLE_LOOP;
    char rule[LS_RULE_TEXT_MAX];
    cr_assert_lt(snprintf(rule, sizeof rule, "%s:delay=%dms,thread=%s", f, PROBE_DELAY_MS,
                          want_loop ? "loop" : "other"),
                 (int)sizeof rule, "rule too long");
    char *rules[] = {rule};
    struct run r;
    run_probe(&r, 1, rules, 1, 0, (char *[]){"roles", (char *)f, NULL});
    cr_assert_eq(r.ncalls, 2, "%s", r.out);
    /* The fire count says how many calls were delayed; the delayed ones took the delay. A
     * delay on the wrong thread shows as a count that is right and a call that was quick. */
    uint64_t expected = (uint64_t)(want_loop ? r.harness_loop : r.harness_other);
    for (int i = 0; i < r.ncalls; i++) {
        const struct line *l = &r.calls[i];
        if (l->role_loop != want_loop) continue;
        expected++;
        cr_expect_geq(l->ns, PROBE_DELAY_MS * LS_MS, "%s: the call on the %s thread took %.1f ms",
                      rule, l->thread_loop ? "loop" : "other", (double)l->ns / 1e6);
    }
    cr_expect_eq(r.fired[0], expected, "%s fired %llu times, for %llu calls on that role\n%s", rule,
                 (unsigned long long)r.fired[0], (unsigned long long)expected, r.out);
    /* The loop's report shows the delay inside its iteration, where the call is one made
     * inside it (not the loop's own wait, not a child that became another image). */
    if (!cf.in_child && !cf.adopts) {
        if (want_loop)
            cr_expect(stall_names_rule(&r, f, rule),
                      "no stall of the loop shows %s delayed by %s:\n%s", f, rule,
                      ls_describe_stalls(r.reports[0]));
        else
            cr_expect(!stall_names_rule(&r, f, rule), "a stall of the loop shows %s delayed by %s",
                      f, rule);
    }
    run_free(&r);
}

Test(calls_def, every_row_has_a_calling_case_and_every_case_is_a_row)
{
    char *argv[] = {LS_CALLS_PROBE, "list", NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int rows = 0;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        if (ls_calls[fn].hook) continue;
        rows++;
        char want[64];
        snprintf(want, sizeof want, "\n%s", ls_calls[fn].name);
        size_t n = strlen(want);
        const char *p = r.out - 1;
        int found =
            strncmp(r.out, want + 1, n - 1) == 0 && (r.out[n - 1] == '\n' || r.out[n - 1] == ' ');
        while (!found && (p = strstr(p + 1, want)))
            found = p[n] == '\n' || p[n] == ' ';
        cr_expect(found, "no calling case for %s", ls_calls[fn].name);
    }
    int cases = 0;
    for (const char *p = r.out; *p; p++)
        cases += *p == '\n';
    cr_expect_eq(cases, rows, "%d cases for %d rows", cases, rows);
    ls_proc_result_free(&r);
}

/* Five tests for every row that is not a lifecycle hook. */
#define ROW_TESTS(name)                                                                            \
    Test(name, fails_with_each_errno_it_lists_in_its_own_convention)                               \
    {                                                                                              \
        check_errnos(LS_FN_##name);                                                                \
    }                                                                                              \
    Test(name, short_caps_its_byte_count_or_is_refused_without_one)                                \
    {                                                                                              \
        check_short(LS_FN_##name);                                                                 \
    }                                                                                              \
    Test(name, keeps_errno_when_it_succeeds_on_a_loop_thread)                                      \
    {                                                                                              \
        check_keeps_errno(LS_FN_##name);                                                           \
    }                                                                                              \
    Test(name, a_delay_for_the_loop_thread_lands_there_only)                                       \
    {                                                                                              \
        check_delay(LS_FN_##name, LS_ROLE_LOOP);                                                   \
    }                                                                                              \
    Test(name, a_delay_for_other_threads_lands_there_only)                                         \
    {                                                                                              \
        check_delay(LS_FN_##name, LS_ROLE_OTHER);                                                  \
    }

#define LS_CALL_GEN(name, ...)  ROW_TESTS(name)
#define LS_CALL_HAND(name, ...) ROW_TESTS(name)
#define LS_CALL_HOOK(...)
#define LS_CALL(how, ...) LS_CALL_##how(__VA_ARGS__)
#include "calls.def"
#undef LS_CALL
