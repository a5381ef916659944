/* output.c -- symbolize the merged report and write it in each format asked for. */
#include "output.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge.h"
#include "review.h"
#include "symbolize.h"

/* Whether path can be written: a file that is there and writable, or a new one in a directory
 * that is there and writable. Asked before the command starts (access(2): the real user, as
 * run writes), so that a report that could not be written is a bad option, not a lost run. */
static int check_writable(const char *opt, const char *path)
{
    struct stat st;
    if (!*path) {
        fprintf(stderr, "loopstall: %s wants a file's name, not an empty one\n", opt);
        return -1;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "loopstall: %s %s is a directory: it wants a file's name\n", opt, path);
            return -1;
        }
        if (access(path, W_OK) != 0) {
            fprintf(stderr, "loopstall: %s %s cannot be written: %s\n", opt, path, strerror(errno));
            return -1;
        }
        return 0;
    }
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir) n = sizeof dir - 1;
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "loopstall: %s %s cannot be written: no directory %s\n", opt, path, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "loopstall: %s %s cannot be written: directory %s: %s\n", opt, path, dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

int ls_outputs_check(struct ls_outputs *o)
{
    if (o->json_path && check_writable("--json", o->json_path) != 0) return -1;
    if (o->out_path && strcmp(o->out_path, "-") != 0 && check_writable("-o", o->out_path) != 0)
        return -1;
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
    int err = rc ? errno : 0;
    if ((f == stdout ? fflush(f) : fclose(f)) != 0) {
        rc = -1;
        if (!err) err = errno;
    }
    if (rc) {
        fprintf(stderr, "loopstall: writing %s failed (%s): what it was to hold is lost\n", path,
                err ? strerror(err) : "the renderer stopped");
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
    int lost = 0;
    if (o->json_path && ls_write_rendered(report, ls_renderer_find("json")->render, o->json_path))
        lost |= LS_LOST_JSON;
    if (o->out_path && write_output(report, o)) lost |= LS_LOST_OUTPUT;
    return lost;
}
