/* output.c -- symbolize the merged report and write it in each format asked for. */
#include "output.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"
#include "review.h"
#include "symbolize.h"

int ls_outputs_check(struct ls_outputs *o)
{
    if (o->out_path && !o->format) {
        o->format = ls_renderer_for_path(o->out_path);
        if (!o->format && strcmp(o->out_path, "-") != 0) {
            fprintf(stderr,
                    "loopstall: cannot tell the format of -o %s from its extension: use --format "
                    "(%s) or a name ending in %s\n",
                    o->out_path, ls_renderer_names(), ls_renderer_extensions());
            return -1;
        }
    }
    if (o->out_path && !o->format) o->format = ls_renderer_find("text");
    return 0;
}

int ls_write_rendered(json_t *doc, int (*render)(json_t *doc, FILE *out), const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "loopstall: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = render(doc, f);
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

/* A format that renders only reviews (SARIF, JUnit) gets the report's sites, each as found. */
static int write_output(json_t *report, const struct ls_outputs *o)
{
    if (o->format->render) return ls_write_rendered(report, o->format->render, o->out_path);
    char root[PATH_MAX];
    if (ls_source_root(o->source_root, root, sizeof root) != 0) return -1;
    json_t *review = ls_review_of_report(report, root);
    int rc = ls_write_rendered(review, o->format->review, o->out_path);
    json_decref(review);
    return rc;
}

int ls_outputs_write(json_t *report, const struct ls_outputs *o)
{
    struct ls_symbolizer *s = ls_symbolizer_new();
    ls_symbolize_report(s, report);
    ls_symbolizer_free(s);
    ls_finish_report(report);
    int rc = 0;
    if (o->json_path)
        rc |= ls_write_rendered(report, ls_renderer_find("json")->render, o->json_path);
    if (o->out_path) rc |= write_output(report, o);
    return rc ? -1 : 0;
}
