/* html_tables.c -- the HTML report's tables: stall sites with advice (sortable by the page's
 * script), each process's stalls worst first with their stacks, and other findings. */
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "format.h"
#include "frames.h"
#include "html.h"

static void code(FILE *out, const char *s)
{
    fputs("<code>", out);
    ls_html_text(out, s);
    fputs("</code>", out);
}

/* A number cell the script sorts by its exact value, showing it formatted. */
static void ns_cell(FILE *out, long long ns)
{
    char buf[32];
    fprintf(out, "<td class=\"num\" data-v=\"%lld\">%s</td>", ns, ls_fmt_ns(ns, buf, sizeof buf));
}

static void stack_details(FILE *out, json_t *stack)
{
    size_t i;
    json_t *f;
    char buf[512];
    if (!json_array_size(stack)) return;
    fputs("<details><summary>stack</summary><ol class=\"stack\">", out);
    json_array_foreach(stack, i, f)
    {
        fputs("<li>", out);
        ls_html_text(out, ls_fmt_frame(f, buf, sizeof buf));
        fputs("</li>", out);
    }
    fputs("</ol></details>", out);
}

struct site_row {
    json_t *proc, *site;
};

static int by_total(const void *a, const void *b)
{
    json_int_t x =
        json_integer_value(json_object_get(((const struct site_row *)a)->site, "total_ns"));
    json_int_t y =
        json_integer_value(json_object_get(((const struct site_row *)b)->site, "total_ns"));
    return (y > x) - (y < x);
}

void ls_html_sites_table(FILE *out, json_t *report)
{
    size_t n = 0, i, k;
    json_t *p, *s;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        n += json_array_size(json_object_get(p, "sites"));
    }
    if (!n) {
        fputs("<p class=\"none\">No stall sites: no iteration ran past the threshold.</p>\n", out);
        return;
    }
    struct site_row *rows = calloc(n, sizeof *rows);
    n = 0;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "sites"), k, s)
        {
            rows[n++] = (struct site_row){p, s};
        }
    }
    qsort(rows, n, sizeof *rows, by_total);
    fputs("<table class=\"sortable\" id=\"sites-table\"><thead><tr><th>site</th><th>process</th>"
          "<th>class</th><th>call</th><th class=\"num\">count</th>"
          "<th class=\"num\" aria-sort=\"descending\">total</th><th class=\"num\">max</th>"
          "<th>where</th><th>advice</th></tr></thead><tbody>\n",
          out);
    for (i = 0; i < n; i++) {
        const char *cls = json_string_value(json_object_get(rows[i].site, "class"));
        const char *fn = json_string_value(json_object_get(rows[i].site, "fn"));
        json_t *site_stack = json_object_get(rows[i].site, "stack");
        int cpu = cls && !strcmp(cls, "cpu");
        char where[1024], advice[1024];
        const char *at = ls_fmt_where(
            site_stack, cpu ? ls_cpu_culprit_index(site_stack) : ls_culprit_index(site_stack),
            where, sizeof where);
        long long count = json_integer_value(json_object_get(rows[i].site, "count"));
        fputs("<tr><td>", out);
        code(out, json_string_value(json_object_get(rows[i].site, "id")));
        fprintf(out, "</td><td class=\"num\" data-v=\"%lld\">%lld</td>",
                (long long)json_integer_value(json_object_get(rows[i].proc, "pid")),
                (long long)json_integer_value(json_object_get(rows[i].proc, "pid")));
        fprintf(out, "<td><span class=\"cls %s\">", ls_html_class(cls));
        ls_html_text(out, cls ? cls : "?");
        fputs("</span></td><td>", out);
        code(out, fn ? fn : "(cpu)");
        fprintf(out, "</td><td class=\"num\" data-v=\"%lld\">%lld</td>", count, count);
        ns_cell(out, json_integer_value(json_object_get(rows[i].site, "total_ns")));
        ns_cell(out, json_integer_value(json_object_get(rows[i].site, "max_ns")));
        fputs("<td>", out);
        if (at) code(out, at);
        stack_details(out, json_object_get(rows[i].site, "stack"));
        fputs("</td><td class=\"advice\">", out);
        ls_html_text(out, ls_site_advice(rows[i].proc, rows[i].site, advice, sizeof advice));
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    free(rows);
}

static void stalls_table(FILE *out, json_t *proc)
{
    size_t k;
    json_t *x;
    char a[32], d[512];
    json_t *stalls = ls_stalls_worst_first(proc);
    fprintf(out, "<h3>Process %lld <code>",
            (long long)json_integer_value(json_object_get(proc, "pid")));
    ls_html_text(out, json_string_value(json_array_get(json_object_get(proc, "argv"), 0)));
    fprintf(out, "</code>: %zu stall%s</h3>\n", json_array_size(stalls),
            json_array_size(stalls) == 1 ? "" : "s");
    if (!json_array_size(stalls)) {
        json_decref(stalls);
        return;
    }
    fputs("<table class=\"sortable stalls\"><thead><tr><th class=\"num\" "
          "aria-sort=\"descending\">stall</th><th class=\"num\">at</th><th>thread</th>"
          "<th>class</th><th class=\"num\">blocked</th><th class=\"num\">cpu</th>"
          "<th>culprit</th><th>where</th></tr></thead><tbody>\n",
          out);
    json_array_foreach(stalls, k, x)
    {
        const char *cls = json_string_value(json_object_get(x, "class"));
        const char *phase = json_string_value(json_object_get(x, "phase"));
        long long wall = json_integer_value(json_object_get(x, "wall_ns"));
        fprintf(out, "<tr><td class=\"num\" data-v=\"%lld\">%s%s</td>", wall,
                ls_fmt_ns(wall, a, sizeof a),
                json_is_true(json_object_get(x, "ongoing")) ? " (ongoing)" : "");
        ns_cell(out, json_integer_value(json_object_get(x, "start_ns")));
        fprintf(out, "<td class=\"num\" data-v=\"%lld\">%lld</td>",
                (long long)json_integer_value(json_object_get(x, "tid")),
                (long long)json_integer_value(json_object_get(x, "tid")));
        fprintf(out, "<td><span class=\"cls %s\">", ls_html_class(cls));
        ls_html_text(out, cls ? cls : "?");
        fputs("</span>", out);
        if (phase && !strcmp(phase, "startup")) fputs(" <span class=\"phase\">startup</span>", out);
        fputs("</td>", out);
        ns_cell(out, json_integer_value(json_object_get(x, "blocked_ns")));
        ns_cell(out, json_integer_value(json_object_get(x, "cpu_ns")));
        fputs("<td>", out);
        const char *culprit = ls_fmt_culprit(x, d, sizeof d);
        code(out, culprit ? culprit : "-");
        fputs("</td><td>", out);
        json_t *stack = ls_stall_stack_shown(x);
        const char *where = ls_fmt_where(stack, ls_stall_where_index(x), d, sizeof d);
        if (where) code(out, where);
        stack_details(out, stack);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    json_decref(stalls);
}

void ls_html_stalls_tables(FILE *out, json_t *report)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        stalls_table(out, p);
    }
}

void ls_html_findings(FILE *out, json_t *report)
{
    size_t i, k;
    json_t *p, *f;
    char buf[512];
    int any = 0;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "findings"), k, f)
        {
            const char *kind = json_string_value(json_object_get(f, "kind"));
            if (!any) fputs("<section id=\"findings\"><h2>Findings</h2><ul>\n", out);
            any = 1;
            json_t *where = ls_first_interesting_frame(json_object_get(f, "stack"));
            fprintf(out,
                    "<li>pid %lld: ", (long long)json_integer_value(json_object_get(p, "pid")));
            if (kind && !strcmp(kind, "unbounded_fanout"))
                fprintf(out, "unbounded fan-out, %lld threads alive at once (limit %lld)",
                        (long long)json_integer_value(json_object_get(f, "peak_live_threads")),
                        (long long)json_integer_value(json_object_get(f, "limit")));
            else
                ls_html_text(out, kind ? kind : "finding");
            if (where) {
                fputs(kind && !strcmp(kind, "unbounded_fanout") ? ", created at " : ", at ", out);
                code(out, ls_fmt_frame(where, buf, sizeof buf));
            }
            fputs("</li>\n", out);
        }
    }
    if (any) fputs("</ul></section>\n", out);
}
