/* render.c -- the table of formats: --format names and -o extensions map here. */
#include "render.h"

#include <string.h>

static const struct ls_renderer renderers[] = {
    {"text", ".txt", render_text},
    {"markdown", ".md", render_markdown},
    {"json", ".json", render_json},
};

#define N_RENDERERS (sizeof renderers / sizeof renderers[0])

const struct ls_renderer *ls_renderer_find(const char *name)
{
    for (size_t i = 0; i < N_RENDERERS; i++)
        if (!strcmp(renderers[i].name, name))
            return &renderers[i];
    return NULL;
}

const struct ls_renderer *ls_renderer_for_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < N_RENDERERS; i++)
        if (!strcmp(renderers[i].ext, dot))
            return &renderers[i];
    return NULL;
}

const char *ls_renderer_names(void)
{
    return "text, markdown, json";
}
