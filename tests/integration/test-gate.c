/* test-gate.c -- gate and baseline decide on the labs' reports: new sites, budgets, the stall
 * limit, unused and malformed baselines, startup stalls, and formats a CI can read. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ls_test.h"

#define EXAMPLES  LS_SOURCE_DIR "/reports/examples/"
#define POLL_SITE "ae8cc2d3f1750f32" /* d3a-bad: blocking poll x2, max 818.4 ms, 1.63 s in all */
#define CPU_SITE  "55701ffb47eb44ac" /* d3b-bad: cpu x5, max 327.6 ms, 1.50 s in all */

static char *dir, *both;

static struct ls_proc_result cli(char *const args[])
{
    return ls_cli(args, 60);
}

/* The labs' two bad reports merged into one: a blocking site and a CPU site. */
static void setup(void)
{
    dir = ls_tmpdir();
    both = ls_path_join(dir, "both.json");
    struct ls_proc_result r = cli((char *[]){"report", EXAMPLES "d3a-bad.json",
                                             EXAMPLES "d3b-bad.json", "--json", both, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
}

static void teardown(void)
{
    free(both);
    ls_tmpdir_cleanup(dir);
}

/* A baseline file in the test's directory with the given accepted entries. */
static char *baseline_with(const char *entries)
{
    static int n;
    char name[64], text[8192];
    snprintf(name, sizeof name, "baseline-%d.json", n++);
    char *path = ls_path_join(dir, name);
    snprintf(text, sizeof text, "{\"schema\":\"loopstall-baseline/1\",\"accepted\":[%s]}", entries);
    ls_write_file(path, text);
    return path;
}

#define ACCEPT(id, extra) "{\"id\":\"" id "\",\"reason\":\"known\"" extra "}"

static struct ls_proc_result gate(const char *baseline, char *const more[])
{
    char *args[24] = {"gate", both};
    int n = 2;
    if (baseline) {
        args[n++] = "--baseline";
        args[n++] = (char *)baseline;
    }
    for (int i = 0; more && more[i]; i++)
        args[n++] = more[i];
    args[n] = NULL;
    return cli(args);
}

TestSuite(gate, .init = setup, .fini = teardown);

Test(gate, without_a_baseline_every_site_is_new_and_the_gate_fails)
{
    struct ls_proc_result r = gate(NULL, NULL);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "loopstall gate: FAIL: 2 of 2 sites fail"), "%s", r.out);
    cr_assert(strstr(r.out, "+ [" POLL_SITE "] blocking poll"), "%s", r.out);
    cr_assert(strstr(r.out, "+ [" CPU_SITE "] cpu"), "%s", r.out);
    cr_assert(strstr(r.out, "2 new, 0 over budget"), "%s", r.out);
    ls_proc_result_free(&r);
}

Test(gate, the_baseline_made_from_a_report_lets_the_same_report_pass)
{
    char *baseline = ls_path_join(dir, "loopstall-baseline.json");
    struct ls_proc_result r = cli((char *[]){"baseline", both, "-o", baseline, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    json_t *b = ls_load_json(baseline);
    cr_assert_str_eq(ls_json_str(b, "schema"), "loopstall-baseline/1");
    json_t *accepted = json_object_get(b, "accepted");
    cr_assert_eq(json_array_size(accepted), 2);
    cr_assert_str_eq(ls_json_str(json_array_get(accepted, 0), "id"), CPU_SITE, "sorted by id");
    cr_assert_str_eq(ls_json_str(json_array_get(accepted, 1), "id"), POLL_SITE);
    cr_assert_eq(ls_json_u64(json_array_get(accepted, 1), "max_ms"), 1637,
                 "twice the longest stall, 818.4 ms, rounded up");
    json_decref(b);
    r = gate(baseline, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "loopstall gate: pass: 0 of 2 sites fail"), "%s", r.out);
    cr_assert(strstr(r.out, "accepted: seen in both.json when this baseline was made"), "%s",
              r.out);
    cr_assert_str_eq(r.err, "", "no warning");
    ls_proc_result_free(&r);
    free(baseline);
}

Test(gate, an_accepted_site_over_any_of_its_budgets_fails_naming_each_budget)
{
    char *baseline = baseline_with(ACCEPT(POLL_SITE, ",\"max_ms\":500") "," ACCEPT(
        CPU_SITE, ",\"count\":3,\"total_ms\":1000,\"max_ms\":400"));
    struct ls_proc_result r = gate(baseline, NULL);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "its longest stall, 818.4 ms, is over the budget of 500.0 ms"), "%s",
              r.out);
    cr_assert(strstr(r.out, "5 stalls, over the budget of 3"), "%s", r.out);
    cr_assert(strstr(r.out, "1.50 s in all, over the budget of 1.00 s"), "%s", r.out);
    cr_assert_null(strstr(r.out, "327.6 ms, is over"), "the CPU site's 327.6 ms is within 400 ms");
    cr_assert(strstr(r.out, "0 new, 2 over budget, 0 over the limit, 0 accepted"), "%s", r.out);
    ls_proc_result_free(&r);
    free(baseline);
}

Test(gate, a_stall_over_max_stall_fails_even_an_accepted_site)
{
    char *baseline = baseline_with(ACCEPT(POLL_SITE, "") "," ACCEPT(CPU_SITE, ""));
    struct ls_proc_result r = gate(baseline, (char *[]){"--max-stall", "400", NULL});
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "sites over --max-stall:\n  ! [" POLL_SITE "]"), "%s", r.out);
    cr_assert(strstr(r.out, "its longest stall, 818.4 ms, is over --max-stall 400.0 ms"), "%s",
              r.out);
    cr_assert(strstr(r.out, "0 new, 0 over budget, 1 over the limit, 1 accepted"), "%s", r.out);
    ls_proc_result_free(&r);
    r = gate(baseline, (char *[]){"--max-stall", "900", NULL});
    cr_assert_eq(r.status, 0, "no stall reaches 900 ms: %s", r.out);
    ls_proc_result_free(&r);
    free(baseline);
}

Test(gate, a_baseline_entry_that_matches_nothing_is_warned_about_and_does_not_fail)
{
    char *baseline =
        baseline_with(ACCEPT(POLL_SITE, "") "," ACCEPT(CPU_SITE, "") ","
                                                                     "{\"id\":"
                                                                     "\"0123456789abcdef"
                                                                     "\",\"reason\":"
                                                                     "\"the old cache "
                                                                     "fsync\"}");
    struct ls_proc_result r = gate(baseline, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    char line[4096];
    snprintf(line, sizeof line,
             "loopstall gate: warning: baseline entry 0123456789abcdef (the old cache fsync) "
             "matched no site in %s: remove it if that stall is gone for good\n",
             both);
    cr_assert_str_eq(r.err, line);
    cr_assert(strstr(r.out, "1 unused baseline entry"), "%s", r.out);
    ls_proc_result_free(&r);
    r = gate(baseline, (char *[]){"--format", "markdown", NULL});
    cr_assert(strstr(r.out, "> **Warning:** baseline entry `0123456789abcdef` (the old cache "
                            "fsync) matched no site"),
              "%s", r.out);
    ls_proc_result_free(&r);
    free(baseline);
}

/* A malformed baseline stops the gate: exit 2 and one line naming the field and what is
 * accepted. */
static void assert_baseline_refused(const char *content, const char *needle)
{
    char *path = ls_path_join(dir, "bad-baseline.json");
    ls_write_file(path, content);
    struct ls_proc_result r = gate(path, NULL);
    cr_assert_eq(r.status, 2, "%s: status %d, %s", content, r.status, r.err);
    cr_assert(strstr(r.err, needle), "%s: stderr lacks \"%s\": %s", content, needle, r.err);
    cr_assert(strstr(r.err, path), "the line names the file: %s", r.err);
    cr_assert_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line: %s", r.err);
    cr_assert_str_eq(r.out, "", "nothing judged");
    ls_proc_result_free(&r);
    free(path);
}

Test(gate, a_malformed_baseline_is_refused_with_the_field_and_what_is_accepted)
{
    assert_baseline_refused("{\"schema\":", "is not a baseline");
    assert_baseline_refused("{\"schema\":\"loopstall/1\",\"accepted\":[]}",
                            "schema: expected \"loopstall-baseline/1\"");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":{}}",
                            "accepted: expected an array of accepted sites");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":[],\"extra\":1}",
                            "unknown field \"extra\": accepted are schema and accepted");
    assert_baseline_refused(
        "{\"schema\":\"loopstall-baseline/1\",\"accepted\":[{\"id\":\"" POLL_SITE "\"}]}",
        "accepted[0].reason: expected a string saying why the site is "
        "accepted");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":[{\"id\":\"poll\","
                            "\"reason\":\"x\"}]}",
                            "accepted[0].id: expected a site id of 16 hex digits");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":[" ACCEPT(
                                POLL_SITE, ",\"max_ms\":-5") "]}",
                            "accepted[0].max_ms: expected milliseconds above 0");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":[" ACCEPT(
                                POLL_SITE, ",\"count\":1.5") "]}",
                            "accepted[0].count: expected a whole number of stalls, at least 1");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":[" ACCEPT(
                                POLL_SITE, ",\"max_msec\":500") "]}",
                            "accepted[0]: unknown field \"max_msec\": accepted are id, reason, "
                            "max_ms, count, total_ms");
    assert_baseline_refused("{\"schema\":\"loopstall-baseline/1\",\"accepted\":[" ACCEPT(
                                CPU_SITE, "") "," ACCEPT(CPU_SITE, "") "]}",
                            "accepted[1].id: " CPU_SITE " is accepted twice (also accepted[0])");
}

Test(gate, a_baseline_that_is_missing_or_a_fifo_is_refused_at_once)
{
    char *fifo = ls_path_join(dir, "fifo-baseline.json");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    struct ls_proc_result r = gate(fifo, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "cannot read the baseline: it is a FIFO"), "%s", r.err);
    ls_proc_result_free(&r);
    r = gate(LS_SOURCE_DIR "/no/such/baseline.json", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "No such file or directory"), "%s", r.err);
    ls_proc_result_free(&r);
    free(fifo);
}

Test(gate, bad_options_and_reports_are_bad_input)
{
    struct ls_proc_result r = gate(NULL, (char *[]){"--format", "html", NULL});
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "accepted formats are text, markdown, sarif, junit"), "%s", r.err);
    ls_proc_result_free(&r);
    r = gate(NULL, (char *[]){"--max-stall", "soon", NULL});
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "bad --max-stall \"soon\": expected milliseconds above 0"), "%s",
              r.err);
    ls_proc_result_free(&r);
    r = cli((char *[]){"gate", NULL});
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "expected one report"), "%s", r.err);
    ls_proc_result_free(&r);
    char *bad = ls_path_join(dir, "bad.json");
    ls_write_file(bad, "{\"schema\":\"loopstall/1\",\"processes\":[{\"stalls\":[{\"class\":1}]}]}");
    r = cli((char *[]){"gate", bad, NULL});
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "processes[0].stalls[0].class: expected a string"), "%s", r.err);
    ls_proc_result_free(&r);
    free(bad);
}

/* One process with a stall at startup (reading its config) and one while serving. */
#define PHASED                                                                                     \
    "{\"schema\":\"loopstall/1\",\"threshold_ns\":20000000,\"processes\":[{\"pid\":9,\"stalls\":[" \
    "{\"tid\":9,\"start_ns\":1,\"wall_ns\":60000000,\"class\":\"blocking\",\"phase\":\"startup\"," \
    "\"calls\":[{\"fn\":\"read\",\"target\":\"/etc/app.conf\",\"stack\":[{\"symbol\":"             \
    "\"load_config\",\"module\":\"/usr/bin/app\",\"offset\":\"0x10\"}]}]},"                        \
    "{\"tid\":9,\"start_ns\":9,\"wall_ns\":30000000,\"class\":\"blocking\",\"phase\":\"serving\"," \
    "\"calls\":[{\"fn\":\"fsync\",\"target\":\"/var/lib/app/db\",\"stack\":[{\"symbol\":"          \
    "\"commit\",\"module\":\"/usr/bin/app\",\"offset\":\"0x20\"}]}]}]}]}"

Test(gate, startup_stalls_are_left_out_unless_include_startup_is_given)
{
    char *phased = ls_path_join(dir, "phased.json"), *none = ls_path_join(dir, "none.json");
    ls_write_file(phased, PHASED);
    ls_write_file(none, "{\"schema\":\"loopstall/1\",\"processes\":[{\"pid\":9,\"stalls\":[]}]}");
    struct ls_proc_result r = cli((char *[]){"gate", phased, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "1 of 1 site fails"), "%s", r.out);
    cr_assert(strstr(r.out, "fsync"), "%s", r.out);
    cr_assert_null(strstr(r.out, "read on /etc/app.conf"), "the startup read is not judged: %s",
                   r.out);
    cr_assert(strstr(r.out, "1 startup stall left out (--include-startup judges them)"), "%s",
              r.out);
    ls_proc_result_free(&r);
    r = cli((char *[]){"gate", phased, "--include-startup", NULL});
    cr_assert(strstr(r.out, "2 of 2 sites fail") && strstr(r.out, "] blocking read on /etc/app"),
              "%s", r.out);
    ls_proc_result_free(&r);
    /* A baseline made without the flag accepts what the gate judges without it. */
    char *baseline = ls_path_join(dir, "phased-baseline.json");
    r = cli((char *[]){"baseline", phased, "-o", baseline, NULL});
    ls_proc_result_free(&r);
    r = cli((char *[]){"gate", phased, "--baseline", baseline, NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.err, "", "no unused entry for the startup site");
    ls_proc_result_free(&r);
    /* diff follows the same rule. */
    r = cli((char *[]){"diff", none, phased, NULL});
    cr_assert(strstr(r.out, "1 new, 0 gone"), "%s", r.out);
    ls_proc_result_free(&r);
    r = cli((char *[]){"diff", none, phased, "--include-startup", NULL});
    cr_assert(strstr(r.out, "2 new, 0 gone"), "%s", r.out);
    ls_proc_result_free(&r);
    free(phased);
    free(none);
    free(baseline);
}

Test(gate, the_starting_baseline_is_the_same_whatever_order_the_stalls_came_in)
{
    /* The same three stalls in two orders, in two files. */
    const char *stalls[] = {
        "{\"tid\":1,\"start_ns\":%d,\"wall_ns\":30000000,\"class\":\"blocking\",\"calls\":[{"
        "\"fn\":\"fsync\",\"stack\":[{\"symbol\":\"commit\",\"module\":\"/a\",\"offset\":"
        "\"0x1\"}]}]}",
        "{\"tid\":1,\"start_ns\":%d,\"wall_ns\":40000000,\"class\":\"cpu\",\"calls\":[],"
        "\"stack\":[{\"symbol\":\"hash\",\"module\":\"/a\",\"offset\":\"0x2\"}]}",
        "{\"tid\":1,\"start_ns\":%d,\"wall_ns\":50000000,\"class\":\"blocking\",\"calls\":[{"
        "\"fn\":\"getaddrinfo\",\"stack\":[{\"symbol\":\"resolve\",\"module\":\"/a\","
        "\"offset\":\"0x3\"}]}]}"};
    char *out[2];
    for (int order = 0; order < 2; order++) {
        char text[4096] = "{\"schema\":\"loopstall/1\",\"processes\":[{\"pid\":1,\"stalls\":[";
        for (int i = 0; i < 3; i++) {
            char one[1024];
            int k = order ? 2 - i : i;
            snprintf(one, sizeof one, stalls[k], (i + 1) * 1000);
            strcat(text, i ? "," : "");
            strcat(text, one);
        }
        strcat(text, "]}]}");
        char name[32];
        snprintf(name, sizeof name, "order-%d.json", order);
        char *path = ls_path_join(dir, name);
        ls_write_file(path, text);
        struct ls_proc_result r = cli((char *[]){"baseline", path, NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        out[order] = strdup(r.out);
        ls_proc_result_free(&r);
        free(path);
    }
    /* The reason names the report; with that aside, the files are identical. */
    char *a = strstr(out[0], "\"accepted\""), *b = strstr(out[1], "\"accepted\"");
    cr_assert(a && b);
    for (char *p = a; (p = strstr(p, "order-0.json")); p++)
        p[6] = '1';
    cr_assert_str_eq(a, b);
    free(out[0]);
    free(out[1]);
}

Test(gate, sarif_output_validates_against_the_official_schema_with_levels_by_budget)
{
    char *baseline = baseline_with(ACCEPT(POLL_SITE, ",\"max_ms\":500") "," ACCEPT(CPU_SITE, ""));
    char *sarif = ls_path_join(dir, "gate.sarif");
    struct ls_proc_result r = gate(baseline, (char *[]){"-o", sarif, NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    ls_proc_result_free(&r);
    ls_assert_valid_sarif(sarif);
    json_t *doc = ls_load_json(sarif);
    json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
    json_t *results = json_object_get(run, "results");
    cr_assert_eq(json_array_size(results), 2, "one result per site");
    json_t *over = json_array_get(results, 0), *ok = json_array_get(results, 1);
    cr_assert_str_eq(ls_json_str(over, "ruleId"), "blocking-poll");
    cr_assert_str_eq(ls_json_str(over, "level"), "error", "over its budget");
    cr_assert_str_eq(ls_json_str(over, "baselineState"), "updated");
    cr_assert_str_eq(ls_json_str(ok, "ruleId"), "cpu");
    cr_assert_str_eq(ls_json_str(ok, "level"), "note", "accepted within budget");
    const char *text = ls_json_str(json_object_get(over, "message"), "text");
    cr_assert(strstr(text, "blocking poll on 127.0.0.1:") && strstr(text, "2 stalls") &&
                  strstr(text, "1.63 s in all") && strstr(text, "the longest 818.4 ms"),
              "duration, count, call and target: %s", text);
    cr_assert_not_null(json_object_get(over, "codeFlows"), "the stack as a code flow");
    json_decref(doc);
    /* The sites of a plain report, and a diff, in SARIF too. */
    r = cli((char *[]){"report", both, "-o", sarif, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    ls_assert_valid_sarif(sarif);
    r = cli(
        (char *[]){"diff", EXAMPLES "d3a-good.json", both, "--format", "sarif", "-o", sarif, NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    ls_proc_result_free(&r);
    ls_assert_valid_sarif(sarif);
    /* And run -o, on a program that stalls three ways; JUnit from the same kind of run. */
    char *target = ls_target("uv-stalls"), *xml = ls_path_join(dir, "run.xml");
    r = cli((char *[]){"run", "-q", "-t", "20", "-o", sarif, "--", target, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    ls_assert_valid_sarif(sarif);
    doc = ls_load_json(sarif);
    results = json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "results");
    cr_assert_eq(json_array_size(results), 3, "a sleep, a CPU burn, a read");
    json_decref(doc);
    r = cli(
        (char *[]){"run", "-q", "-t", "20", "--format", "junit", "-o", xml, "--", target, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    char *junit = ls_read_file(xml);
    cr_assert(strstr(junit, "tests=\"3\" failures=\"3\""), "%s", junit);
    free(junit);
    free(xml);
    free(target);
    free(sarif);
    free(baseline);
}

Test(gate, a_broken_sarif_document_is_caught_by_the_validator)
{
    /* The validator must be able to say no, or the test above proves nothing. */
    char *sarif = ls_path_join(dir, "broken.sarif");
    struct ls_proc_result r = cli((char *[]){"gate", both, "-o", sarif, NULL});
    ls_proc_result_free(&r);
    char *text = ls_read_file(sarif);
    char *level = strstr(text, "\"level\": \"error\"");
    cr_assert_not_null(level);
    memcpy(level + 10, "fatal", 5); /* "error" -> "fatal", not a SARIF level */
    ls_write_file(sarif, text);
    char *argv[] = {"/usr/bin/python3", LS_SOURCE_DIR "/tests/schemas/validate.py",
                    LS_SOURCE_DIR "/tests/schemas/sarif-schema-2.1.0.json", sarif, NULL};
    r = ls_run_argv(argv, NULL, 60);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "'fatal' is not one of"), "%s", r.out);
    ls_proc_result_free(&r);
    free(text);
    free(sarif);
}

Test(gate, junit_output_has_one_test_case_per_site_failing_those_the_gate_fails)
{
    char *baseline = baseline_with(ACCEPT(CPU_SITE, ""));
    char *xml = ls_path_join(dir, "gate.xml");
    struct ls_proc_result r = gate(baseline, (char *[]){"-o", xml, NULL});
    cr_assert_eq(r.status, 1, "%s", r.err);
    ls_proc_result_free(&r);
    /* Parsed by a real XML parser: it is well-formed, and says what the gate said. */
    char *argv[] = {
        "/usr/bin/python3", "-c",
        "import sys, xml.etree.ElementTree as E\n"
        "s = E.parse(sys.argv[1]).getroot().find('testsuite')\n"
        "print(s.get('tests'), s.get('failures'))\n"
        "for c in s.findall('testcase'):\n"
        "    f = c.find('failure')\n"
        "    print(c.get('name').split('[')[1].rstrip(']'), f.get('type') if f is not None "
        "else 'pass')\n",
        xml, NULL};
    r = ls_run_argv(argv, NULL, 60);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "2 1\n" POLL_SITE " new\n" CPU_SITE " pass\n");
    ls_proc_result_free(&r);
    free(xml);
    free(baseline);
}
