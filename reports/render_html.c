/* render_html.c -- one self-contained HTML page: per loop thread a timeline of its stalls and a
 * histogram of its iteration times, a flame graph of stall time, the sites with advice and the
 * stalls with their stacks. No network: the script, style and data are in the page. */
#include <stdio.h>

#include "format.h"
#include "html.h"
#include "render.h"

/* "2 stalls over 20.0 ms in 2 loops (1 process); worst: 818.4 ms blocking, poll on ... at ...". */
static void headline(FILE *out, json_t *report)
{
    size_t i, nstalls = 0, nloops = 0, nprocs = 0, nfindings = 0;
    json_t *p, *worst = NULL;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        nprocs++;
        nloops += json_array_size(json_object_get(p, "loops"));
        nstalls += json_array_size(json_object_get(p, "stalls"));
        nfindings += json_array_size(json_object_get(p, "findings"));
        json_t *w = ls_stalls_worst_first(p);
        json_t *first = json_array_get(w, 0);
        if (first && (!worst || json_integer_value(json_object_get(first, "wall_ns")) >
                                    json_integer_value(json_object_get(worst, "wall_ns"))))
            worst = first;
        json_decref(w); /* the stall itself stays in the report */
    }
    char thr[32], wall[32], culprit[512], frame[1024];
    /* A run with a finding and no stall (an unbounded fan-out) is not a good one either. */
    fprintf(out, "<p class=\"verdict %s\"><strong>%zu stall%s</strong>",
            nstalls || nfindings ? "bad" : "good", nstalls, nstalls == 1 ? "" : "s");
    fprintf(out, " over %s in %zu loop%s (%zu process%s)",
            ls_fmt_ns(json_integer_value(json_object_get(report, "threshold_ns")), thr, sizeof thr),
            nloops, nloops == 1 ? "" : "s", nprocs, nprocs == 1 ? "" : "es");
    if (worst) {
        const char *cls = json_string_value(json_object_get(worst, "class"));
        const char *c = ls_fmt_culprit(worst, culprit, sizeof culprit);
        const char *where = ls_fmt_where(ls_stall_stack_shown(worst), ls_stall_where_index(worst),
                                         frame, sizeof frame);
        fprintf(out, "; worst: %s <span class=\"cls %s\">",
                ls_fmt_ns(json_integer_value(json_object_get(worst, "wall_ns")), wall, sizeof wall),
                ls_html_class(cls));
        ls_html_text(out, cls ? cls : "?");
        fputs("</span>", out);
        if (c) {
            fputs(", <code>", out);
            ls_html_text(out, c);
            fputs("</code>", out);
        }
        if (where) {
            fputs(" at <code>", out);
            ls_html_text(out, where);
            fputs("</code>", out);
        }
    }
    if (nfindings)
        fprintf(out, "; <a href=\"#findings\">%zu finding%s</a>", nfindings,
                nfindings == 1 ? "" : "s");
    fputs("</p>\n", out);
}

static void command_line(FILE *out, json_t *report)
{
    size_t i;
    json_t *x;
    fputs("<p class=\"meta\">Command: <code>", out);
    json_array_foreach(json_object_get(report, "command"), i, x)
    {
        if (i) fputc(' ', out);
        ls_html_text(out, json_string_value(x));
    }
    fputs("</code>", out);
    json_t *status = json_object_get(report, "exit_status");
    if (json_is_integer(status))
        fprintf(out, " &middot; exit status %lld", (long long)json_integer_value(status));
    fputs(" &middot; loopstall ", out);
    ls_html_text(out, json_string_value(json_object_get(report, "tool_version")));
    fputs("</p>\n", out);
}

/* One block per process for the script to draw its timeline and histograms into. */
static void process_blocks(FILE *out, json_t *report)
{
    size_t i;
    json_t *p;
    char up[32];
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        fprintf(out, "<div class=\"proc\"><h3>Process %lld <code>",
                (long long)json_integer_value(json_object_get(p, "pid")));
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(p, "argv"), k, a)
        {
            if (k) fputc(' ', out);
            ls_html_text(out, json_string_value(a));
        }
        fputs("</code>", out);
        json_int_t uptime = json_integer_value(json_object_get(p, "uptime_ns"));
        if (uptime)
            fprintf(out, " <span class=\"ran\">&middot; ran %s</span>",
                    ls_fmt_ns(uptime, up, sizeof up));
        fprintf(out,
                "</h3>\n<div class=\"timeline\" data-proc=\"%zu\"></div>\n"
                "<div class=\"hists\" data-proc=\"%zu\"></div></div>\n",
                i, i);
    }
}

int render_html(json_t *report, FILE *out)
{
    const char *exe = json_string_value(json_array_get(json_object_get(report, "command"), 0));
    /* The policy lets nothing load and only this page's own script run, so that
     * a report that got past the escaping still could not do anything. */
    fprintf(out,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:; script-src 'sha256-%s'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<link rel=\"icon\" href=\"data:,\">\n<title>loopstall: ",
            ls_html_script_sha256);
    ls_html_text(out, exe ? exe : "report");
    fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n<header><h1>loopstall report</h1>\n",
            ls_html_style);
    headline(out, report);
    command_line(out, report);
    fputs("</header>\n<section id=\"timelines\"><h2>Loop threads over time</h2>\n"
          "<p class=\"legend\"><span class=\"key blocking\"></span>blocking "
          "<span class=\"key cpu\"></span>cpu <span class=\"key mixed\"></span>mixed "
          "<span class=\"key startup\"></span>startup (before the loop first went idle): "
          "one mark per stall, at least 2 px wide; hover a mark for its culprit. "
          "Histograms: iteration times on a log scale, counts on a log scale.</p>\n",
          out);
    process_blocks(out, report);
    fputs("</section>\n<section id=\"flame\"><h2>Where the stall time went</h2>\n"
          "<p class=\"legend\">Every stall's wall time on the stacks it was spent in (the same "
          "stacks as <code>--format folded</code>), callers above callees, widest first. Click "
          "a frame to zoom, the top row to zoom out.</p>\n"
          "<div class=\"toolbar\"><input type=\"search\" id=\"flame-search\" "
          "placeholder=\"search frames\" aria-label=\"search frames\"> "
          "<button type=\"button\" id=\"flame-reset\">reset zoom</button> "
          "<span id=\"flame-found\"></span></div>\n<div id=\"flame-graph\"></div>\n</section>\n"
          "<section id=\"sites\"><h2>Stall sites</h2>\n"
          "<p class=\"legend\">Stalls grouped by cause over the run; click a heading to "
          "sort.</p>\n",
          out);
    ls_html_sites_table(out, report);
    fputs("</section>\n", out);
    ls_html_findings(out, report);
    fputs("<section id=\"stalls\"><h2>Stalls, worst first</h2>\n", out);
    ls_html_stalls_tables(out, report);
    fputs("</section>\n<script type=\"application/json\" id=\"ls-data\">", out);
    json_t *model = ls_html_model(report);
    int rc = ls_html_json(out, model);
    json_decref(model);
    fprintf(out, "</script>\n<script>%s</script>\n</body></html>\n", ls_html_script);
    return rc || ferror(out) ? -1 : 0;
}
