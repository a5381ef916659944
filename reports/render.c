/* render.c -- the table of formats: --format names and -o extensions map here. */
#include "render.h"

#include <string.h>

static const struct ls_renderer renderers[] = {
    {"text", ".txt", render_text},
    {"markdown", ".md", render_markdown},
    {"json", ".json", render_json},
    {"html", ".html", render_html},
    {"chrome", ".trace.json", render_chrome},
    {"folded", ".folded", render_folded},
};

#define N_RENDERERS (sizeof renderers / sizeof renderers[0])

const struct ls_renderer *ls_renderer_find(const char *name)
{
    for (size_t i = 0; i < N_RENDERERS; i++)
        if (!strcmp(renderers[i].name, name)) return &renderers[i];
    return NULL;
}

const struct ls_renderer *ls_renderer_for_path(const char *path)
{
    /* The longest matching extension wins: r.trace.json is chrome, r.json is json. */
    const struct ls_renderer *best = NULL;
    size_t len = strlen(path);
    for (size_t i = 0; i < N_RENDERERS; i++) {
        size_t el = strlen(renderers[i].ext);
        if (len > el && !strcmp(path + len - el, renderers[i].ext) &&
            (!best || el > strlen(best->ext)))
            best = &renderers[i];
    }
    return best;
}

const char *ls_renderer_names(void)
{
    return "text, markdown, html, json, chrome, folded";
}
