/* output.c -- symbolize the merged report and write it in each format asked for. */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"
#include "symbolize.h"

int ls_outputs_check(struct ls_outputs *o)
{
    if (o->out_path && !o->format) {
        o->format = ls_renderer_for_path(o->out_path);
        if (!o->format && strcmp(o->out_path, "-") != 0) {
            fprintf(stderr,
                    "loopstall: cannot tell the format of -o %s from its extension: use --format "
                    "(%s) or a .txt, .md, .html, .json, .trace.json or .folded name\n",
                    o->out_path, ls_renderer_names());
            return -1;
        }
    }
    if (o->out_path && !o->format) o->format = ls_renderer_find("text");
    return 0;
}

static int write_file(json_t *report, const char *path, const struct ls_renderer *r)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "loopstall: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = r->render(report, f);
    if (f == stdout)
        rc |= fflush(f);
    else
        rc |= fclose(f);
    if (rc) {
        fprintf(stderr, "loopstall: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

int ls_outputs_write(json_t *report, const struct ls_outputs *o)
{
    struct ls_symbolizer *s = ls_symbolizer_new();
    ls_symbolize_report(s, report);
    ls_symbolizer_free(s);
    ls_finish_report(report);
    int rc = 0;
    if (o->json_path) rc |= write_file(report, o->json_path, ls_renderer_find("json"));
    if (o->out_path) rc |= write_file(report, o->out_path, o->format);
    return rc ? -1 : 0;
}
