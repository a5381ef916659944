/* render.c -- the table of formats: --format names and -o extensions map here. */
#include "render.h"

#include <string.h>

static const struct ls_renderer renderers[] = {
    {"text", ".txt", render_text, render_text_review},
    {"markdown", ".md", render_markdown, render_markdown_review},
    {"html", ".html", render_html, NULL},
    {"json", ".json", render_json, NULL},
    {"chrome", ".trace.json", render_chrome, NULL},
    {"folded", ".folded", render_folded, NULL},
    {"sarif", ".sarif", NULL, render_sarif_review},
    {"junit", ".xml", NULL, render_junit_review},
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

/* Joins a member of every format (all of them, or those that render reviews) with ", ". */
static const char *joined(char *buf, size_t len, int extensions, int reviews_only)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_RENDERERS && used < len; i++) {
        if (reviews_only && !renderers[i].review) continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                 extensions ? renderers[i].ext : renderers[i].name);
    }
    return buf;
}

const char *ls_renderer_names(void)
{
    static char buf[256];
    return joined(buf, sizeof buf, 0, 0);
}

const char *ls_renderer_extensions(void)
{
    static char buf[256];
    return joined(buf, sizeof buf, 1, 0);
}

const char *ls_review_renderer_names(void)
{
    static char buf[256];
    return joined(buf, sizeof buf, 0, 1);
}
