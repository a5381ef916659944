/* test-ci-recipe.c -- the README's CI recipe, run as written on the review example before and
 * after its fix, and every loopstall command of its GitHub and GitLab files checked to be one
 * that ran. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ls_test.h"

#define PROGRAMS LS_SOURCE_DIR "/tests/programs/review/"

static void copy_file(const char *from, const char *to)
{
    char *text = ls_read_file(from);
    ls_write_file(to, text);
    free(text);
}

/* The fenced block that follows "<!-- ci-recipe:NAME -->" in the README (malloc'd). */
static char *readme_block(const char *name)
{
    char *readme = ls_read_file(LS_SOURCE_DIR "/README.md");
    char marker[128];
    snprintf(marker, sizeof marker, "<!-- ci-recipe:%s -->", name);
    char *at = strstr(readme, marker);
    cr_assert_not_null(at, "the README has no %s block", marker);
    char *open = strstr(at, "```");
    cr_assert_not_null(open);
    char *body = strchr(open, '\n') + 1, *close = strstr(body, "\n```");
    cr_assert_not_null(close);
    char *block = strndup(body, (size_t)(close - body) + 1);
    free(readme);
    return block;
}

/* Runs a README block with sh in dir, with loopstall on PATH and the suite's command set. */
static struct ls_proc_result run_block(const char *block, const char *dir)
{
    static char path[8192], suite[4200];
    snprintf(path, sizeof path, "PATH=%s:%s", LS_BIN_DIR, getenv("PATH"));
    snprintf(suite, sizeof suite, "SUITE=%s app.py", ls_require_program("python3"));
    char *env[] = {path, suite, "LOOPSTALL_RULE=getaddrinfo:delay=100ms", NULL};
    char script[16384];
    snprintf(script, sizeof script, "cd '%s' || exit 99\n%s", dir, block);
    return ls_run_argv((char *[]){"/bin/sh", "-c", script, NULL}, env, 180);
}

/* Two checkouts side by side, base/ and head/, each with its app.py; the baseline adopted on
 * base is committed, so head has it too. Returns the directory. */
static char *checkouts(const char *base_program, const char *head_program)
{
    char *dir = ls_tmpdir();
    static const char *const sides[] = {"base", "head"};
    for (int i = 0; i < 2; i++) {
        char *side = ls_path_join(dir, sides[i]);
        cr_assert_eq(mkdir(side, 0700), 0);
        char *app = ls_path_join(side, "app.py");
        copy_file(i ? head_program : base_program, app);
        free(app);
        free(side);
    }
    char *adopt = readme_block("adopt");
    struct ls_proc_result r = run_block(adopt, dir);
    cr_assert_eq(r.status, 0, "adopting: %s", r.err);
    ls_proc_result_free(&r);
    free(adopt);
    char *from = ls_path_join(dir, "base/loopstall-baseline.json");
    char *to = ls_path_join(dir, "head/loopstall-baseline.json");
    copy_file(from, to);
    free(from);
    free(to);
    return dir;
}

/* What the check block leaves in the job's directory, read back; the SARIF already validated. */
struct outputs {
    char *dir, *diff, *gate, *junit, *sarif_path;
    int status;
};

static char *file_in(const char *dir, const char *name)
{
    char *path = ls_path_join(dir, name), *text = ls_read_file(path);
    free(path);
    return text;
}

/* Runs the README's check block on checkouts of base_program and head_program. */
static struct outputs run_check(const char *base_program, const char *head_program)
{
    struct outputs o = {.dir = checkouts(base_program, head_program)};
    char *check = readme_block("check");
    struct ls_proc_result r = run_block(check, o.dir);
    o.status = r.status;
    ls_proc_result_free(&r);
    free(check);
    o.diff = file_in(o.dir, "loopstall-diff.md");
    o.gate = file_in(o.dir, "loopstall-gate.md");
    o.junit = file_in(o.dir, "loopstall-junit.xml");
    o.sarif_path = ls_path_join(o.dir, "loopstall.sarif");
    ls_assert_valid_sarif(o.sarif_path);
    return o;
}

static void outputs_free(struct outputs *o)
{
    free(o->diff);
    free(o->gate);
    free(o->junit);
    free(o->sarif_path);
    ls_tmpdir_cleanup(o->dir);
}

Test(ci_recipe, with_the_fix_as_the_change_the_gate_passes_and_the_old_entry_is_warned_about)
{
    struct outputs o = run_check(PROGRAMS "resolve_on_loop.py", PROGRAMS "resolve_fixed.py");
    char *adopted = ls_path_join(o.dir, "head/loopstall-baseline.json");
    json_t *baseline = ls_load_json(adopted);
    cr_assert_eq(json_array_size(json_object_get(baseline, "accepted")), 1,
                 "the lookup on the loop was accepted when loopstall was adopted");
    json_decref(baseline);
    free(adopted);
    cr_assert_eq(o.status, 0, "the gate passes");
    cr_assert(strstr(o.diff, "## loopstall diff: no new stall site") &&
                  strstr(o.diff, "**0 new, 1 gone, 0 worse**") &&
                  strstr(o.diff, "`getaddrinfo` on `localhost`"),
              "%s", o.diff);
    cr_assert(strstr(o.gate, "## loopstall gate: passed") && strstr(o.gate, "matched no site"),
              "%s", o.gate);
    /* A clean change is one passing case, never an empty file a CI test step would refuse. */
    cr_assert(strstr(o.junit, "tests=\"1\" failures=\"0\"") &&
                  strstr(o.junit, "<testcase classname=\"loopstall\" name=\"no stall site\""),
              "%s", o.junit);
    outputs_free(&o);
}

Test(ci_recipe, with_the_bug_as_the_change_the_gate_fails_and_every_format_says_why)
{
    struct outputs o = run_check(PROGRAMS "resolve_fixed.py", PROGRAMS "resolve_on_loop.py");
    cr_assert_eq(o.status, 1, "the gate fails");
    cr_assert(strstr(o.diff, "## loopstall diff: new stall sites") &&
                  strstr(o.diff, "**1 new, 0 gone, 0 worse**"),
              "%s", o.diff);
    cr_assert(strstr(o.gate, "## loopstall gate: failed") &&
                  strstr(o.gate, "#### new: blocking `getaddrinfo` on `localhost`") &&
                  strstr(o.gate, "Why: not in the baseline.") && strstr(o.gate, "<details>"),
              "%s", o.gate);
    json_t *doc = ls_load_json(o.sarif_path);
    json_t *results = json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "results");
    cr_assert_eq(json_array_size(results), 1);
    cr_assert_str_eq(ls_json_str(json_array_get(results, 0), "ruleId"), "blocking-dns");
    cr_assert_str_eq(ls_json_str(json_array_get(results, 0), "level"), "error");
    /* At the innermost frame in the change's own code: app.py's socket.getaddrinfo line, not the
     * standard library's socket.py below it, with a path relative to --source-root head. */
    json_t *where =
        json_object_get(json_array_get(json_object_get(json_array_get(results, 0), "locations"), 0),
                        "physicalLocation");
    cr_assert_str_eq(ls_json_str(json_object_get(where, "artifactLocation"), "uri"), "app.py");
    cr_assert_eq(ls_json_u64(json_object_get(where, "region"), "startLine"), 9);
    json_decref(doc);
    cr_assert(strstr(o.junit, "tests=\"1\" failures=\"1\"") &&
                  strstr(o.junit, "<failure type=\"new\""),
              "%s", o.junit);
    outputs_free(&o);
}

/* A line of a CI file as the shell runs it: no list dash, no indentation, no "|| true". */
static void strip_ci_line(char *line)
{
    char *p = line;
    while (*p == ' ' || *p == '-')
        p++;
    memmove(line, p, strlen(p) + 1);
    char *tail = strstr(line, " || true");
    if (tail && tail[8] == '\0') *tail = '\0';
}

Test(ci_recipe, every_loopstall_command_of_the_github_and_gitlab_files_is_one_the_tests_run)
{
    char *adopt = readme_block("adopt"), *check = readme_block("check");
    char tested[16384];
    snprintf(tested, sizeof tested, "\n%s%s", adopt, check);
    static const char *const files[] = {"github", "gitlab"};
    for (int i = 0; i < 2; i++) {
        char *yaml = readme_block(files[i]), *save = NULL;
        int commands = 0;
        for (char *line = strtok_r(yaml, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            strip_ci_line(line);
            if (!strstr(line, "loopstall run") && strncmp(line, "loopstall ", 10) != 0) continue;
            char needle[4200];
            snprintf(needle, sizeof needle, "\n%s\n", line);
            cr_assert(strstr(tested, needle), "%s runs a command no test runs: %s", files[i], line);
            commands++;
        }
        cr_assert_geq(commands, 6, "%s: the runs, the diff and the gates", files[i]);
        free(yaml);
    }
    free(adopt);
    free(check);
}
