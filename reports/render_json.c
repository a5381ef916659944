/* render_json.c -- the merged report itself, schema loopstall/1. */
#include <stdio.h>

#include "render.h"

int render_json(json_t *report, FILE *out)
{
    if (json_dumpf(report, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0) return -1;
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}
