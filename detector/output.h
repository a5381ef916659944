/* output.h -- finishing a merged report: symbolize, ids, and write what the options asked for. */
#ifndef LS_OUTPUT_H
#define LS_OUTPUT_H

#include <jansson.h>

#include "render.h"

struct ls_outputs {
    const char *json_path;            /* --json FILE, or NULL */
    const char *out_path;             /* -o FILE ("-" is stdout), or NULL */
    const struct ls_renderer *format; /* --format, or picked by -o's extension */
    const char *source_root;          /* --source-root DIR for SARIF paths, or NULL: "." */
};

/* Validates -o/--format together; returns 0 or prints one line and returns -1. */
int ls_outputs_check(struct ls_outputs *o);
/* Symbolizes, assigns site ids, then writes --json and -o. 0, or the LS_LOST_* of each that
 * could not be written (its message printed). */
enum { LS_LOST_JSON = 1, LS_LOST_OUTPUT = 2 };
int ls_outputs_write(json_t *report, const struct ls_outputs *o);

/* Writes render(doc) to path ("-": stdout). 0, or -1 after a message naming the path. */
int ls_write_rendered(json_t *doc, int (*render)(json_t *doc, FILE *out), const char *path);

#endif
