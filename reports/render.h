/* render.h -- one small interface for every report format; one file per format. */
#ifndef LS_RENDER_H
#define LS_RENDER_H

#include <jansson.h>
#include <stdio.h>

struct ls_renderer {
    const char *name; /* what --format takes */
    const char *ext;  /* the extension -o FILE picks it by */
    int (*render)(json_t *report, FILE *out);
};

const struct ls_renderer *ls_renderer_find(const char *name);
/* By a path's extension; NULL when it names no format. */
const struct ls_renderer *ls_renderer_for_path(const char *path);
/* "text, markdown, html, json, chrome, folded" for error messages. */
const char *ls_renderer_names(void);

int render_text(json_t *report, FILE *out);
int render_json(json_t *report, FILE *out);
int render_markdown(json_t *report, FILE *out);
int render_html(json_t *report, FILE *out);
int render_chrome(json_t *report, FILE *out);
int render_folded(json_t *report, FILE *out);

/* The short summary `run` prints on stderr. */
void ls_render_summary(json_t *report, const char *json_path, FILE *out);

#endif
