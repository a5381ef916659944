/* test-golden.c -- every format of the labs' example reports, and gate and diff verdicts on them,
 * compared with golden files (normalised for pids, times, paths and the version).
 *
 * The inputs are the JSON reports in reports/examples, as `reports/make-examples.sh` wrote them.
 * When a renderer or the examples change on purpose, regenerate the golden files and read their
 * diff: LS_GOLDEN_UPDATE=1 build/bin/test-golden && git diff tests/golden HTML is left out: its
 * renderer has a browser test of its own.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline_file.h"
#include "ls_test.h"
#include "merge.h"
#include "render.h"
#include "review.h"

#define EXAMPLES LS_SOURCE_DIR "/reports/examples"
#define GOLDEN   LS_SOURCE_DIR "/tests/golden"
#define ACTUAL   LS_BIN_DIR "/../tests/golden-actual"

/* Replaces every match of the extended regex pattern; "\N" in with stands for group N (1-9). */
static char *replace_all(char *text, const char *pattern, const char *with)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED), 0, "%s", pattern);
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    const char *p = text;
    regmatch_t m[10];
    int flags = 0;
    while (*p && regexec(&re, p, 10, m, flags) == 0 && m[0].rm_eo > 0) {
        fwrite(p, 1, (size_t)m[0].rm_so, o);
        for (const char *w = with; *w; w++) {
            if (w[0] == '\\' && w[1] >= '1' && w[1] <= '9') {
                regmatch_t g = m[w[1] - '0'];
                if (g.rm_so >= 0) fwrite(p + g.rm_so, 1, (size_t)(g.rm_eo - g.rm_so), o);
                w++;
            } else {
                fputc(*w, o);
            }
        }
        p += m[0].rm_eo;
        flags = REG_NOTBOL;
    }
    fputs(p, o);
    fclose(o);
    regfree(&re);
    free(text);
    return out;
}

/* Pids and tids of the input, numbered in order of appearance. */
struct ids {
    long long v[256];
    int n;
};

static void collect_ids(json_t *v, struct ids *ids)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x)
        {
            if ((!strcmp(key, "pid") || !strcmp(key, "ppid") || !strcmp(key, "tid")) &&
                json_is_integer(x) && ids->n < 256) {
                long long id = json_integer_value(x);
                int seen = 0;
                for (int k = 0; k < ids->n; k++)
                    seen |= ids->v[k] == id;
                if (!seen && id > 1) ids->v[ids->n++] = id;
            }
            collect_ids(x, ids);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) collect_ids(x, ids);
    }
}

/* What changes from one run of the same lab to the next, made constant. */
static char *normalise(char *text, const struct ids *ids)
{
    text = replace_all(text, LS_SOURCE_DIR, "<src>");
    text = replace_all(text, "loopstall " LOOPSTALL_VERSION, "loopstall <version>");
    text =
        replace_all(text, "\"version\": \"" LOOPSTALL_VERSION "\"", "\"version\": \"<version>\"");
    text = replace_all(text, "\"tool_version\": \"" LOOPSTALL_VERSION "\"",
                       "\"tool_version\": \"<version>\"");
    text = replace_all(text, "[0-9]+(\\.[0-9]+)? (ns|us|ms|s)([^a-zA-Z0-9]|$)", "<t>\\3");
    text = replace_all(text, "\"([a-z_0-9]*_ns|ts|dur|p50|p99|max)\": [-0-9.e+]+", "\"\\1\": 0");
    text = replace_all(text, "[0-9]+\\.[0-9]+%", "<n>%");
    text = replace_all(text, "time=\"[0-9.]+\"", "time=\"<t>\"");
    text = replace_all(text, "(;[^\n]*) [0-9]+\n", "\\1 <n>\n"); /* folded stacks' weights */
    for (int k = 0; k < ids->n; k++) {
        char pattern[64], with[32];
        snprintf(pattern, sizeof pattern, "(^|[^0-9a-fx.+])%lld([^0-9]|$)", ids->v[k]);
        snprintf(with, sizeof with, "\\1<pid%d>\\2", k + 1);
        text = replace_all(text, pattern, with);
    }
    return text;
}

/* The example with the checkout it was made in (its labs' sources, or its build's binaries when
 * no frame names a source) renamed to this one, so that the goldens hold <src> wherever the
 * examples were made and wherever the test runs. */
static char *example_here(const char *name, char *tmp_path, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, EXAMPLES "/%s", name);
    char *text = ls_read_file(path);
    const char *labs = strstr(text, "/labs/");
    if (!labs) labs = strstr(text, "/build/bin/");
    if (labs) {
        const char *start = labs;
        while (start > text && start[-1] != '"')
            start--;
        char prefix[4096];
        snprintf(prefix, sizeof prefix, "\"%.*s/", (int)(labs - start), start);
        text = replace_all(text, prefix, "\"" LS_SOURCE_DIR "/");
    }
    snprintf(tmp_path, len, ACTUAL "/input-%s", name);
    ls_write_file(tmp_path, text);
    free(text);
    return tmp_path;
}

/* Compares text with the golden file (or writes it, in update mode). Returns 0 when equal. */
static int check_golden(const char *golden, char *text, const struct ids *ids)
{
    text = normalise(text, ids);
    char gpath[4200], apath[4200];
    snprintf(gpath, sizeof gpath, GOLDEN "/%s", golden);
    snprintf(apath, sizeof apath, ACTUAL "/%s", golden);
    ls_write_file(apath, text);
    int rc = 0;
    if (getenv("LS_GOLDEN_UPDATE")) {
        ls_write_file(gpath, text);
    } else {
        char *want = access(gpath, R_OK) == 0 ? ls_read_file(gpath) : NULL;
        if (!want || strcmp(want, text) != 0) {
            cr_log_error("%s differs: diff -u %s %s (LS_GOLDEN_UPDATE=1 rewrites it)", golden,
                         gpath, apath);
            rc = -1;
        }
        free(want);
    }
    free(text);
    return rc;
}

static char *render_to_text(int (*fn)(json_t *, FILE *), json_t *doc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(fn(doc, f), 0);
    fclose(f);
    return buf;
}

static json_t *load_report(const char *name, struct ids *ids)
{
    char tmp[4200];
    char *paths[] = {example_here(name, tmp, sizeof tmp)};
    json_t *report = ls_merge_files(paths, 1);
    cr_assert_not_null(report, "%s", name);
    ls_finish_report(report);
    collect_ids(report, ids);
    return report;
}

static int is_report_example(const char *name)
{
    size_t n = strlen(name);
    if (n < 6 || strcmp(name + n - 5, ".json") != 0 || strstr(name, ".trace.json")) return 0;
    char path[4200];
    snprintf(path, sizeof path, EXAMPLES "/%s", name);
    json_t *doc = json_load_file(path, 0, NULL);
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    int yes = schema && !strcmp(schema, "loopstall/1");
    json_decref(doc);
    return yes;
}

static const char *const formats[][2] = {
    {"text", "txt"},      {"markdown", "md"}, {"json", "json"}, {"chrome", "trace.json"},
    {"folded", "folded"}, {"sarif", "sarif"}, {"junit", "xml"}};

Test(golden, every_format_of_every_lab_example_matches_its_golden_file)
{
    cr_assert_eq(system("mkdir -p '" ACTUAL "'"), 0);
    DIR *d = opendir(EXAMPLES);
    cr_assert_not_null(d);
    struct dirent *e;
    int examples = 0, failed = 0;
    while ((e = readdir(d))) {
        if (!is_report_example(e->d_name)) continue;
        examples++;
        struct ids ids = {.n = 0};
        json_t *report = load_report(e->d_name, &ids);
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(e->d_name) - 5), e->d_name);
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            const struct ls_renderer *r = ls_renderer_find(formats[f][0]);
            char *text;
            if (r->render) {
                text = render_to_text(r->render, report);
            } else {
                json_t *review = ls_review_of_report(report, LS_SOURCE_DIR);
                text = render_to_text(r->review, review);
                json_decref(review);
            }
            char golden[512];
            snprintf(golden, sizeof golden, "%s.%s", stem, formats[f][1]);
            failed += check_golden(golden, text, &ids) != 0;
        }
        json_decref(report);
    }
    closedir(d);
    cr_assert_geq(examples, 10, "the labs' examples are there");
    cr_assert_eq(failed, 0, "%d golden files differ (see the lines above)", failed);
}

static void check_review_formats(const char *stem, json_t *review, const struct ids *ids)
{
    static const char *const review_formats[][2] = {
        {"text", "txt"}, {"markdown", "md"}, {"sarif", "sarif"}, {"junit", "xml"}};
    int failed = 0;
    for (size_t f = 0; f < 4; f++) {
        char golden[512];
        snprintf(golden, sizeof golden, "%s.%s", stem, review_formats[f][1]);
        failed += check_golden(
            golden, render_to_text(ls_renderer_find(review_formats[f][0])->review, review), ids);
    }
    cr_assert_eq(failed, 0, "%d golden files differ (see the lines above)", failed);
}

Test(golden, a_gate_with_a_baseline_on_a_lab_report_matches_its_golden_files)
{
    cr_assert_eq(system("mkdir -p '" ACTUAL "'"), 0);
    struct ids ids = {.n = 0};
    json_t *report = load_report("d3b-bad.json", &ids);
    /* Accepted, but over a count budget, plus an entry that matches nothing. */
    json_t *baseline = ls_baseline_load(GOLDEN "/gate-d3b-bad.baseline.json", "test-golden");
    cr_assert_not_null(baseline);
    json_t *review = ls_gate_review(report, "d3b-bad.json", baseline, "gate-d3b-bad.baseline.json",
                                    250 * 1000000LL, LS_SERVING_ONLY, LS_SOURCE_DIR);
    cr_assert_str_eq(json_string_value(json_object_get(review, "verdict")), "fail");
    check_review_formats("gate-d3b-bad", review, &ids);
    json_decref(review);
    json_decref(baseline);
    json_decref(report);
}

Test(golden, a_diff_of_two_lab_reports_matches_its_golden_files)
{
    cr_assert_eq(system("mkdir -p '" ACTUAL "'"), 0);
    struct ids ids = {.n = 0};
    json_t *good = load_report("d3a-good.json", &ids), *bad = load_report("d3a-bad.json", &ids);
    json_t *review =
        ls_diff_review(good, bad, "d3a-good.json", "d3a-bad.json", LS_SERVING_ONLY, LS_SOURCE_DIR);
    check_review_formats("diff-d3a-good-d3a-bad", review, &ids);
    json_decref(review);
    json_decref(good);
    json_decref(bad);
}
