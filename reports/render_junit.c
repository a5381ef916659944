/* render_junit.c -- JUnit XML: one test case per site, a failure when the gate (or diff) fails it,
 * so that any CI shows stalls as test results. */
#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "format.h"
#include "render.h"

#define STACK_LINES 16 /* frames written under a failure */

/* Writes s with XML's five special characters escaped, and control characters
 * (which XML 1.0 cannot carry at all) as '?'. */
static void xml(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if (c == '\'')
            fputs("&apos;", out);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', out);
        else
            fputc(c, out);
    }
}

static const char *str(json_t *obj, const char *key, const char *otherwise)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : otherwise;
}

/* "blocking getaddrinfo on localhost in resolve (net.c:42) [9581e5d9e3b140df]" */
static void case_name(FILE *out, json_t *site)
{
    char where[512];
    json_t *f = ls_first_interesting_frame(json_object_get(site, "stack"));
    const char *target = str(site, "target", NULL);
    xml(out, str(site, "class", "mixed"));
    fputc(' ', out);
    xml(out, str(site, "fn", "CPU work"));
    if (target) {
        fputs(" on ", out);
        xml(out, target);
    }
    if (f) {
        fputs(" in ", out);
        xml(out, ls_fmt_frame(f, where, sizeof where));
    }
    fputs(" [", out);
    xml(out, str(site, "id", "?"));
    fputc(']', out);
}

static void failure(FILE *out, json_t *entry)
{
    json_t *site = json_object_get(entry, "site");
    char total[32], max[32], frame[512];
    fputs("      <failure type=\"", out);
    xml(out, str(entry, "state", "?"));
    fputs("\" message=\"", out);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(entry, "problems"), i, p)
    {
        if (i) fputs("; ", out);
        xml(out, json_string_value(p));
    }
    if (!json_array_size(json_object_get(entry, "problems"))) fputs("a stall site", out);
    fprintf(out, "\">%lld stall%s, %s in all, the longest %s\n",
            (long long)json_integer_value(json_object_get(site, "count")),
            json_integer_value(json_object_get(site, "count")) == 1 ? "" : "s",
            ls_fmt_ns(json_integer_value(json_object_get(site, "total_ns")), total, sizeof total),
            ls_fmt_ns(json_integer_value(json_object_get(site, "max_ns")), max, sizeof max));
    fputs("advice: ", out);
    xml(out, ls_review_site_advice(site));
    fputc('\n', out);
    json_t *f;
    json_array_foreach(json_object_get(site, "stack"), i, f)
    {
        if (i == STACK_LINES) {
            fprintf(out, "  ... %zu more frames\n",
                    json_array_size(json_object_get(site, "stack")) - i);
            break;
        }
        fputs("  at ", out);
        xml(out, ls_fmt_frame(f, frame, sizeof frame));
        fputc('\n', out);
    }
    fputs("</failure>\n", out);
}

int render_junit_review(json_t *review, FILE *out)
{
    json_t *entries = json_object_get(review, "entries"), *e;
    size_t i, tests = 0, failures = 0;
    /* Sites gone since the base are not in the report judged: nothing to test. */
    json_array_foreach(entries, i, e)
    {
        if (!strcmp(str(e, "state", ""), "gone")) continue;
        tests++;
        failures += json_is_true(json_object_get(e, "fails"));
    }
    char suite[64];
    snprintf(suite, sizeof suite, "loopstall %s", str(review, "kind", "report"));
    /* No site at all is a clean run, said as one passing case: a CI test step that finds no
     * case in a results file takes it for a run that never happened (Jenkins' junit step fails
     * the build on it by default). */
    int clean = tests == 0;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"loopstall\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n"
            "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
            tests + clean, failures, suite, tests + clean, failures);
    if (clean)
        fputs("    <testcase classname=\"loopstall\" name=\"no stall site\" time=\"0.000\"/>\n",
              out);
    json_array_foreach(entries, i, e)
    {
        if (!strcmp(str(e, "state", ""), "gone")) continue;
        json_t *site = json_object_get(e, "site");
        fprintf(out, "    <testcase classname=\"loopstall.%s\" name=\"",
                str(site, "class", "mixed"));
        case_name(out, site);
        /* A test's time is the time the loop lost at this site. */
        fprintf(out, "\" time=\"%.3f\"",
                (double)json_integer_value(json_object_get(site, "total_ns")) / 1e9);
        if (!json_is_true(json_object_get(e, "fails"))) {
            fputs("/>\n", out);
            continue;
        }
        fputs(">\n", out);
        failure(out, e);
        fputs("    </testcase>\n", out);
    }
    json_t *unused = json_object_get(review, "unused"), *u;
    if (json_array_size(unused)) {
        fputs("    <system-out>", out);
        json_array_foreach(unused, i, u)
        {
            fputs("warning: baseline entry ", out);
            xml(out, str(u, "id", "?"));
            fputs(" (", out);
            xml(out, str(u, "reason", ""));
            fputs(") matched no site\n", out);
        }
        fputs("</system-out>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}
