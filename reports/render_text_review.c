/* render_text_review.c -- the verdicts of gate and diff as text for a terminal or a CI log. */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "render.h"

static const char *str(json_t *obj, const char *key, const char *otherwise)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : otherwise;
}

static long long count(json_t *review, const char *state)
{
    return (long long)json_integer_value(json_object_get(json_object_get(review, "counts"), state));
}

/* "[id] blocking getaddrinfo x3, total 304.1 ms, in resolve (net.c:42)", as diff has always
 * written it; with_max adds the longest stall and the target (gate). */
static void site_line(FILE *out, const char *lead, json_t *site, int with_max)
{
    char t[32], m[32], where[512];
    json_t *f = ls_first_interesting_frame(json_object_get(site, "stack"));
    const char *target = str(site, "target", NULL);
    fprintf(out, "%s[%s] %s %s", lead, str(site, "id", "?"), str(site, "class", "mixed"),
            str(site, "fn", "(cpu)"));
    if (with_max && target) fprintf(out, " on %s", target);
    fprintf(out, " x%lld, total %s", (long long)json_integer_value(json_object_get(site, "count")),
            ls_fmt_ns(json_integer_value(json_object_get(site, "total_ns")), t, sizeof t));
    if (with_max)
        fprintf(out, ", max %s",
                ls_fmt_ns(json_integer_value(json_object_get(site, "max_ns")), m, sizeof m));
    if (f) fprintf(out, ", in %s", ls_fmt_frame(f, where, sizeof where));
    fputc('\n', out);
}

/* Every entry of one state under a heading (written only when there is one);
 * with_max also says why each one fails or is accepted. */
static void section(FILE *out, json_t *review, const char *state, const char *heading,
                    const char *lead, int with_max)
{
    size_t i, shown = 0;
    json_t *e;
    json_array_foreach(json_object_get(review, "entries"), i, e)
    {
        if (strcmp(str(e, "state", ""), state) != 0) continue;
        if (!shown++) fprintf(out, "%s\n", heading);
        site_line(out, lead, json_object_get(e, "site"), with_max);
        if (!with_max) continue; /* diff's lines stay as they always were */
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(e, "problems"), k, p)
            fprintf(out, "      %s\n", json_string_value(p));
        const char *reason = str(json_object_get(e, "was"), "reason", NULL);
        if (reason && !strcmp(state, "accepted")) fprintf(out, "      accepted: %s\n", reason);
    }
}

static void unused(FILE *out, json_t *review)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(review, "unused"), i, u)
        fprintf(out, "warning: baseline entry %s (%s) matched no site\n", str(u, "id", "?"),
                str(u, "reason", ""));
}

static void diff_text(FILE *out, json_t *review)
{
    char heading[4200];
    snprintf(heading, sizeof heading, "new stall sites in %s:", str(review, "subject", "head"));
    section(out, review, "new", heading, "  + ", 0);
    section(out, review, "gone", "stall sites gone:", "  - ", 0);
    section(out, review, "worse", "stall sites that got worse (head shown):", "  ~ ", 0);
    fprintf(out, "%lld new, %lld gone, %lld worse\n", count(review, "new"), count(review, "gone"),
            count(review, "worse"));
}

static void gate_text(FILE *out, json_t *review)
{
    char limit[32];
    int fail = !strcmp(str(review, "verdict", ""), "fail");
    size_t sites = json_array_size(json_object_get(review, "entries"));
    fprintf(out, "loopstall gate: %s: %lld of %zu site%s fail%s in %s", fail ? "FAIL" : "pass",
            count(review, "failing"), sites, sites == 1 ? "" : "s",
            count(review, "failing") == 1 ? "s" : "", str(review, "subject", "the report"));
    const char *baseline = str(review, "baseline", NULL);
    fprintf(out, " (%s%s", baseline ? "baseline " : "no baseline", baseline ? baseline : "");
    json_t *max = json_object_get(review, "max_stall_ns");
    if (max)
        fprintf(out, ", --max-stall %s", ls_fmt_ns(json_integer_value(max), limit, sizeof limit));
    fputs(")\n", out);
    section(out, review, "new", "new sites:", "  + ", 1);
    section(out, review, "over_budget", "sites over their budget:", "  ! ", 1);
    section(out, review, "over_limit", "sites over --max-stall:", "  ! ", 1);
    section(out, review, "accepted", "sites the baseline accepts:", "    ", 1);
    unused(out, review);
    long long startup = (long long)json_integer_value(json_object_get(review, "startup_left_out"));
    if (startup)
        fprintf(out, "%lld startup stall%s left out (--include-startup judges them)\n", startup,
                startup == 1 ? "" : "s");
    fprintf(out,
            "%lld new, %lld over budget, %lld over the limit, %lld accepted, %lld unused "
            "baseline entr%s\n",
            count(review, "new"), count(review, "over_budget"), count(review, "over_limit"),
            count(review, "accepted"), count(review, "unused"),
            count(review, "unused") == 1 ? "y" : "ies");
}

int render_text_review(json_t *review, FILE *out)
{
    if (!strcmp(str(review, "kind", ""), "diff"))
        diff_text(out, review);
    else
        gate_text(out, review);
    return ferror(out) ? -1 : 0;
}
