/* render_markdown.c -- a report, or the verdict of gate and diff, for a pull request or a CI job
 * summary: tables of loops, stalls and sites. */
#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "format.h"
#include "render.h"

int render_markdown(json_t *report, FILE *out)
{
    char a[32], b[32], c[32], d[512], e[1024];
    fprintf(out, "## loopstall report\n\nStall threshold: %s\n",
            ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), a, sizeof a));
    size_t i, k;
    json_t *p, *x;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        ls_fmt_use_process(p); /* frames of the main executable named as the user ran it */
        json_t *argv = json_object_get(p, "argv");
        fprintf(out, "\n### Process %lld `%s`\n\n",
                (long long)json_integer_value(json_object_get(p, "pid")),
                json_string_value(json_array_get(argv, 0)));
        json_t *loops = json_object_get(p, "loops");
        if (json_array_size(loops)) {
            fprintf(out,
                    "| loop thread | iterations | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n");
            json_array_foreach(loops, k, x)
            {
                json_t *it = json_object_get(x, "iteration_ns");
                fprintf(out, "| %lld %s | %lld | %s | %s | %s |\n",
                        (long long)json_integer_value(json_object_get(x, "tid")),
                        json_string_value(json_object_get(x, "name")),
                        (long long)json_integer_value(json_object_get(x, "iterations")),
                        ls_fmt_ns(json_integer_value(json_object_get(it, "p50")), a, sizeof a),
                        ls_fmt_ns(json_integer_value(json_object_get(it, "p99")), b, sizeof b),
                        ls_fmt_ns(json_integer_value(json_object_get(it, "max")), c, sizeof c));
            }
        } else {
            fprintf(out, "No event loop seen.\n");
        }
        json_t *stalls = ls_stalls_worst_first(p);
        if (json_array_size(stalls)) {
            fprintf(out, "\n| stall | class | blocked | cpu | culprit | where "
                         "|\n|---:|---|---:|---:|---|---|\n");
            json_array_foreach(stalls, k, x)
            {
                if (k == 20) break;
                const char *where =
                    ls_fmt_where(ls_stall_stack_shown(x), ls_stall_where_index(x), e, sizeof e);
                const char *culprit = ls_fmt_culprit(x, d, sizeof d);
                fprintf(
                    out, "| %s%s | %s | %s | %s | `%s` | `%s` |\n",
                    ls_fmt_ns(json_integer_value(json_object_get(x, "wall_ns")), a, sizeof a),
                    json_is_true(json_object_get(x, "ongoing")) ? " (ongoing)" : "",
                    json_string_value(json_object_get(x, "class")),
                    ls_fmt_ns(json_integer_value(json_object_get(x, "blocked_ns")), b, sizeof b),
                    ls_fmt_ns(json_integer_value(json_object_get(x, "cpu_ns")), c, sizeof c),
                    culprit ? culprit : "-", where ? where : "-");
            }
        } else if (json_array_size(loops)) {
            fprintf(out, "\nNo stalls.\n");
        }
        json_decref(stalls);
        json_array_foreach(json_object_get(p, "findings"), k, x)
        {
            json_t *where = ls_first_interesting_frame(json_object_get(x, "stack"));
            fprintf(
                out,
                "\n**Unbounded fan-out:** %lld threads alive at once (limit %lld), created by %s. "
                "Cap it: a fixed pool and a bounded queue.\n",
                (long long)json_integer_value(json_object_get(x, "peak_live_threads")),
                (long long)json_integer_value(json_object_get(x, "limit")),
                where ? ls_fmt_frame(where, e, sizeof e) : "an unknown frame");
        }
        json_t *sites = json_object_get(p, "sites");
        if (json_array_size(sites)) {
            fprintf(out, "\n| site | class | call | count | total | advice "
                         "|\n|---|---|---|---:|---:|---|\n");
            json_array_foreach(sites, k, x)
            {
                const char *cls = json_string_value(json_object_get(x, "class"));
                const char *fn = json_string_value(json_object_get(x, "fn"));
                fprintf(out, "| `%s` | %s | %s | %lld | %s | %s |\n",
                        json_string_value(json_object_get(x, "id")), cls, fn ? fn : "(cpu)",
                        (long long)json_integer_value(json_object_get(x, "count")),
                        ls_fmt_ns(json_integer_value(json_object_get(x, "total_ns")), a, sizeof a),
                        ls_site_advice(p, x, e, sizeof e));
            }
        }
    }
    ls_fmt_use_process(NULL);
    return ferror(out) ? -1 : 0;
}

/* The review formats' markdown: a verdict for a pull request comment or a CI
 * job summary. A headline, a table of what changed, then each site that needs
 * a reader's attention with its culprit frame, advice and collapsed stack. */

#define MD_STACK_FRAMES 24

static const char *md_str(json_t *obj, const char *key, const char *otherwise)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : otherwise;
}

static long long md_count(json_t *review, const char *state)
{
    return (long long)json_integer_value(json_object_get(json_object_get(review, "counts"), state));
}

/* Text inside a table cell or a code span: pipes would end the cell, backticks the span. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '`')
            fputc('\'', out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static const char *state_words(const char *state)
{
    static const char *const words[][2] = {{"new", "new"},
                                           {"over_budget", "over budget"},
                                           {"over_limit", "over the limit"},
                                           {"worse", "worse"},
                                           {"accepted", "accepted"},
                                           {"unchanged", "unchanged"},
                                           {"gone", "gone"},
                                           {"found", "found"}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(words[i][0], state)) return words[i][1];
    return state;
}

static void md_call(FILE *out, json_t *site)
{
    const char *fn = md_str(site, "fn", NULL), *target = md_str(site, "target", NULL);
    fputc('`', out);
    md_cell(out, fn ? fn : "CPU work");
    fputc('`', out);
    if (target) {
        fputs(" on `", out);
        md_cell(out, target);
        fputc('`', out);
    }
}

static void md_row(FILE *out, json_t *e)
{
    json_t *site = json_object_get(e, "site");
    char t[32], m[32], where[512];
    json_t *f = ls_first_interesting_frame(json_object_get(site, "stack"));
    fprintf(out, "| %s%s%s | `%s` | %s | ", json_is_true(json_object_get(e, "fails")) ? "**" : "",
            state_words(md_str(e, "state", "?")),
            json_is_true(json_object_get(e, "fails")) ? "**" : "", md_str(site, "id", "?"),
            md_str(site, "class", "mixed"));
    md_call(out, site);
    fprintf(out, " | %lld | %s | %s | ",
            (long long)json_integer_value(json_object_get(site, "count")),
            ls_fmt_ns(json_integer_value(json_object_get(site, "total_ns")), t, sizeof t),
            ls_fmt_ns(json_integer_value(json_object_get(site, "max_ns")), m, sizeof m));
    if (f) {
        fputc('`', out);
        md_cell(out, ls_fmt_frame(f, where, sizeof where));
        fputc('`', out);
    } else {
        fputc('-', out);
    }
    fputs(" |\n", out);
}

/* One site in detail: numbers (and what they were), why, the culprit, advice, the stack. */
static void md_detail(FILE *out, json_t *e)
{
    json_t *site = json_object_get(e, "site"), *was = json_object_get(e, "was");
    char t[32], m[32], frame[512];
    const char *cls = md_str(site, "class", "mixed");
    fprintf(out, "\n#### %s: %s ", state_words(md_str(e, "state", "?")), cls);
    md_call(out, site);
    fprintf(out, " (`%s`)\n\n", md_str(site, "id", "?"));
    long long n = (long long)json_integer_value(json_object_get(site, "count"));
    fprintf(out, "%lld stall%s, %s in all, the longest %s", n, n == 1 ? "" : "s",
            ls_fmt_ns(json_integer_value(json_object_get(site, "total_ns")), t, sizeof t),
            ls_fmt_ns(json_integer_value(json_object_get(site, "max_ns")), m, sizeof m));
    if (json_object_get(was, "total_ns")) /* diff: the base's numbers */
        fprintf(out, " (before: %lld, %s in all)",
                (long long)json_integer_value(json_object_get(was, "count")),
                ls_fmt_ns(json_integer_value(json_object_get(was, "total_ns")), t, sizeof t));
    fputs(".\n", out);
    json_t *f = ls_first_interesting_frame(json_object_get(site, "stack"));
    if (f) {
        fputs("Culprit: `", out);
        md_cell(out, ls_fmt_frame(f, frame, sizeof frame));
        fputs("`.\n", out);
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(e, "problems"), i, p)
    {
        fputs(i ? "; " : "Why: ", out);
        md_cell(out, json_string_value(p));
    }
    if (json_array_size(json_object_get(e, "problems"))) fputs(".\n", out);
    fprintf(out, "Advice: %s.\n", ls_review_site_advice(site));
    json_t *stack = json_object_get(site, "stack");
    if (!json_array_size(stack)) return;
    fprintf(out, "\n<details><summary>stack (%zu frames)</summary>\n\n```\n",
            json_array_size(stack));
    json_array_foreach(stack, i, f)
    {
        if (i == MD_STACK_FRAMES) {
            fprintf(out, "... %zu more\n", json_array_size(stack) - i);
            break;
        }
        fprintf(out, "%s\n", ls_fmt_frame(f, frame, sizeof frame));
    }
    fputs("```\n\n</details>\n", out);
}

static void md_headline(FILE *out, json_t *review)
{
    const char *kind = md_str(review, "kind", "report");
    int fail = !strcmp(md_str(review, "verdict", ""), "fail");
    if (!strcmp(kind, "diff")) {
        fprintf(out, "## loopstall diff: %s\n\n",
                md_count(review, "new") ? "new stall sites" : "no new stall site");
        fprintf(out, "`%s` against `%s`: **%lld new, %lld gone, %lld worse**, %lld unchanged.\n",
                md_str(review, "subject", "head"), md_str(review, "base", "base"),
                md_count(review, "new"), md_count(review, "gone"), md_count(review, "worse"),
                md_count(review, "unchanged"));
        return;
    }
    char limit[32];
    fprintf(out, "## loopstall %s: %s\n\n", kind, fail ? "failed" : "passed");
    fprintf(out,
            "`%s`: **%lld of %zu site%s fail%s** (%lld new, %lld over budget, %lld over the "
            "limit), %lld accepted.",
            md_str(review, "subject", "the report"), md_count(review, "failing"),
            json_array_size(json_object_get(review, "entries")),
            json_array_size(json_object_get(review, "entries")) == 1 ? "" : "s",
            md_count(review, "failing") == 1 ? "s" : "", md_count(review, "new"),
            md_count(review, "over_budget"), md_count(review, "over_limit"),
            md_count(review, "accepted"));
    const char *baseline = md_str(review, "baseline", NULL);
    if (baseline) fprintf(out, " Baseline `%s`.", baseline);
    json_t *max = json_object_get(review, "max_stall_ns");
    if (max)
        fprintf(out, " Stall limit %s.", ls_fmt_ns(json_integer_value(max), limit, sizeof limit));
    long long startup = (long long)json_integer_value(json_object_get(review, "startup_left_out"));
    if (startup) fprintf(out, " %lld startup stall%s left out.", startup, startup == 1 ? "" : "s");
    fputc('\n', out);
}

int render_markdown_review(json_t *review, FILE *out)
{
    md_headline(out, review);
    json_t *entries = json_object_get(review, "entries"), *e, *u;
    size_t i;
    json_array_foreach(json_object_get(review, "unused"), i, u)
    {
        fprintf(out, "\n> **Warning:** baseline entry `%s` (", md_str(u, "id", "?"));
        md_cell(out, md_str(u, "reason", ""));
        fputs(") matched no site: remove it if that stall is gone for good.\n", out);
    }
    if (!json_array_size(entries)) {
        fputs("\nNo stall site.\n", out);
        return ferror(out) ? -1 : 0;
    }
    fputs("\n|  | site | class | call | stalls | total | longest | where |\n"
          "|---|---|---|---|---:|---:|---:|---|\n",
          out);
    json_array_foreach(entries, i, e) md_row(out, e);
    /* In detail: what needs a reader (fails, got worse, went away); accepted and unchanged
     * sites are in the table only. */
    json_array_foreach(entries, i, e)
    {
        const char *state = md_str(e, "state", "");
        if (json_is_true(json_object_get(e, "fails")) || !strcmp(state, "worse") ||
            !strcmp(state, "gone"))
            md_detail(out, e);
    }
    return ferror(out) ? -1 : 0;
}
