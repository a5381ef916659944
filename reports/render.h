/* render.h -- one small interface for every report format; one file per format. */
#ifndef LS_RENDER_H
#define LS_RENDER_H

#include <jansson.h>
#include <stdio.h>

/* A format renders a report (render), a review (review), or both; NULL for
 * what it does not render.
 *
 * A review is the verdict of `gate` or `diff` on sites, or a report's sites
 * as found (what `report` and `run` give the review-only formats):
 *   { "kind": "gate" | "diff" | "report", "verdict": "pass" | "fail",
 *     "subject": "head.json", "base": "base.json" (diff), "baseline": "FILE" (gate),
 *     "max_stall_ns": N (gate), "include_startup": false, "startup_left_out": N,
 *     "source_root": "/abs/dir", "tool_version": "...", "command": [...], "threshold_ns": N,
 *     "entries": [ { "state": "new" | "over_budget" | "over_limit" | "accepted" | "worse"
 *                             | "unchanged" | "gone" | "found",
 *                    "fails": true, "problems": ["one sentence each", ...],
 *                    "site": SITE, "was": SITE of the base or baseline ENTRY (optional) } ],
 *     "unused": [ baseline ENTRY that matched no site ],
 *     "counts": { "new": N, ..., "failing": N, "unused": N } }
 * Entries come failures first, then by state, by total time and by id. */
struct ls_renderer {
    const char *name; /* what --format takes */
    const char *ext;  /* the extension -o FILE picks it by */
    int (*render)(json_t *report, FILE *out);
    int (*review)(json_t *review, FILE *out);
};

const struct ls_renderer *ls_renderer_find(const char *name);
/* By a path's extension; NULL when it names no format. */
const struct ls_renderer *ls_renderer_for_path(const char *path);
/* "text, markdown, html, json, chrome, folded, sarif, junit" for error messages. */
const char *ls_renderer_names(void);
/* ".txt, .md, ..." for error messages. */
const char *ls_renderer_extensions(void);
/* The formats that render a review (gate and diff): "text, markdown, sarif, junit". */
const char *ls_review_renderer_names(void);

int render_text(json_t *report, FILE *out);
int render_json(json_t *report, FILE *out);
int render_markdown(json_t *report, FILE *out);
int render_html(json_t *report, FILE *out);
int render_chrome(json_t *report, FILE *out);
int render_folded(json_t *report, FILE *out);

int render_text_review(json_t *review, FILE *out);
int render_markdown_review(json_t *review, FILE *out);
int render_sarif_review(json_t *review, FILE *out);
int render_junit_review(json_t *review, FILE *out);

/* The short summary `run` prints on stderr. */
void ls_render_summary(json_t *report, const char *json_path, FILE *out);

#endif
