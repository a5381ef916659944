/* html.h -- the parts of the HTML report: escaping, the data its script draws, its tables, and
 * its script and style (embedded at build time from html/). */
#ifndef LS_HTML_H
#define LS_HTML_H

#include <jansson.h>
#include <stdio.h>

/* Writes s escaped for HTML text and for quoted attribute values. */
void ls_html_text(FILE *out, const char *s);
/* Writes v as JSON that cannot end or confuse the <script> element it sits in. */
int ls_html_json(FILE *out, json_t *v);
/* A stall class as a CSS class name: one of the known classes, else "other". */
const char *ls_html_class(const char *cls);

/* What the page's script draws: per process its loops (with their iteration
 * histograms) and stalls, and the flame graph of stall time. A new object. */
json_t *ls_html_model(json_t *report);
/* One loop thread's iteration-time histogram: {"source", "caption", "bars": [[lo, hi, n]...]}
 * with lo inclusive and hi exclusive, in nanoseconds. A new object. */
json_t *ls_html_hist(json_t *proc, json_t *loop);
/* The flame graph of stall time: nested {"name", "ns", "kind", "detail", "children"}, built
 * from the same charged stacks as the folded output. A new object. */
json_t *ls_html_flame(json_t *report);

/* The tables a reader can sort and search with the browser alone: sites, stalls, findings. */
void ls_html_sites_table(FILE *out, json_t *report);
void ls_html_stalls_tables(FILE *out, json_t *report);
void ls_html_findings(FILE *out, json_t *report);

/* html/report.js, html/report.css and the script's hash for the page's
 * Content-Security-Policy, from the build (embed.cmake). */
extern const char ls_html_script[];
extern const char ls_html_style[];
extern const char ls_html_script_sha256[];

#endif
