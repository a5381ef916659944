/* render_html.c -- one self-contained HTML page: loops, stalls with their culprit and stack, sites
 * with advice. */
#include <stdio.h>

#include "advice.h"
#include "format.h"
#include "render.h"

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static void stack_cell(FILE *out, json_t *stack)
{
    size_t i;
    json_t *f;
    char buf[512];
    fputs("<details><summary>stack</summary><ol>", out);
    json_array_foreach(stack, i, f)
    {
        fputs("<li>", out);
        esc(out, ls_fmt_frame(f, buf, sizeof buf));
        fputs("</li>", out);
    }
    fputs("</ol></details>", out);
}

int render_html(json_t *report, FILE *out)
{
    char a[32], b[32], c[32], d[512];
    fputs(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>loopstall report</title><style>"
        "body{font:14px "
        "system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
        "th{background:#f3f3f3}.blocking{color:#b00}.cpu{color:#a60}.mixed{color:#70a}code{font-"
        "size:13px}"
        "</style></head><body><h1>loopstall report</h1><p>Command: <code>",
        out);
    size_t i, k;
    json_t *p, *x;
    json_array_foreach(json_object_get(report, "command"), i, x)
    {
        esc(out, json_string_value(x));
        fputc(' ', out);
    }
    fprintf(out, "</code>; stall threshold %s.</p>\n",
            ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), a, sizeof a));
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        fprintf(out, "<h2>Process %lld <code>",
                (long long)json_integer_value(json_object_get(p, "pid")));
        esc(out, json_string_value(json_array_get(json_object_get(p, "argv"), 0)));
        fputs("</code></h2>\n<table><tr><th>loop "
              "thread</th><th>iterations</th><th>p50</th><th>p99</th><th>max</th></tr>",
              out);
        json_array_foreach(json_object_get(p, "loops"), k, x)
        {
            json_t *it = json_object_get(x, "iteration_ns");
            fprintf(out, "<tr><td>%lld ", (long long)json_integer_value(json_object_get(x, "tid")));
            esc(out, json_string_value(json_object_get(x, "name")));
            fprintf(out, "</td><td>%lld</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                    (long long)json_integer_value(json_object_get(x, "iterations")),
                    ls_fmt_ns(json_integer_value(json_object_get(it, "p50")), a, sizeof a),
                    ls_fmt_ns(json_integer_value(json_object_get(it, "p99")), b, sizeof b),
                    ls_fmt_ns(json_integer_value(json_object_get(it, "max")), c, sizeof c));
        }
        fputs("</table>\n<table><tr><th>stall</th><th>class</th><th>blocked</th><th>cpu</"
              "th><th>culprit</th><th>where</th></tr>",
              out);
        json_t *stalls = ls_stalls_worst_first(p);
        json_array_foreach(stalls, k, x)
        {
            const char *cls = json_string_value(json_object_get(x, "class"));
            json_t *stack = ls_stall_stack_shown(x);
            fprintf(out,
                    "<tr><td>%s%s</td><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td><code>",
                    ls_fmt_ns(json_integer_value(json_object_get(x, "wall_ns")), a, sizeof a),
                    json_is_true(json_object_get(x, "ongoing")) ? " (ongoing)" : "", cls, cls,
                    ls_fmt_ns(json_integer_value(json_object_get(x, "blocked_ns")), b, sizeof b),
                    ls_fmt_ns(json_integer_value(json_object_get(x, "cpu_ns")), c, sizeof c));
            const char *culprit = ls_fmt_culprit(x, d, sizeof d);
            esc(out, culprit ? culprit : "-");
            fputs("</code></td><td>", out);
            stack_cell(out, stack);
            fputs("</td></tr>\n", out);
        }
        json_decref(stalls);
        fputs("</table>\n<table><tr><th>site</th><th>class</th><th>call</th><th>count</"
              "th><th>total</th><th>advice</th></tr>",
              out);
        json_array_foreach(json_object_get(p, "sites"), k, x)
        {
            const char *cls = json_string_value(json_object_get(x, "class"));
            const char *fn = json_string_value(json_object_get(x, "fn"));
            fputs("<tr><td><code>", out);
            esc(out, json_string_value(json_object_get(x, "id")));
            fprintf(out, "</code></td><td class=\"%s\">%s</td><td>", cls, cls);
            esc(out, fn ? fn : "(cpu)");
            fprintf(out, "</td><td>%lld</td><td>%s</td><td>",
                    (long long)json_integer_value(json_object_get(x, "count")),
                    ls_fmt_ns(json_integer_value(json_object_get(x, "total_ns")), a, sizeof a));
            esc(out, ls_advice(cls, fn));
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    fputs("</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
