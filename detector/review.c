/* review.c -- verdicts on sites (gate, diff, or a report's sites as found) as the one document the
 * review formats render.
 *
 * gate.c and diff.c decide; this file keeps their verdicts in one shape, in a
 * stable order, so that text, markdown, SARIF and JUnit say the same thing
 * and the same input always gives the same output.
 */
#include "review.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

json_t *ls_review_new(const char *kind, const char *subject, json_t *report,
                      const char *source_root)
{
    json_t *command = json_object_get(report, "command");
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:O, s:[], s:[], s:{}}", "kind", kind, "subject",
                     subject, "tool_version", LOOPSTALL_VERSION, "source_root", source_root,
                     "command", json_is_array(command) ? json_incref(command) : json_array(),
                     "threshold_ns", json_object_get(report, "threshold_ns"), "entries", "unused",
                     "counts");
}

void ls_review_add(json_t *review, const char *state, int fails, json_t *site, json_t *was,
                   json_t *problems)
{
    json_t *e = json_pack("{s:s, s:b, s:O, s:o}", "state", state, "fails", fails, "site", site,
                          "problems", problems ? problems : json_array());
    if (was) json_object_set(e, "was", was);
    json_array_append_new(json_object_get(review, "entries"), e);
}

static int state_rank(const char *state)
{
    static const char *const order[] = {"new",   "over_budget", "over_limit", "worse",
                                        "found", "accepted",    "unchanged",  "gone"};
    for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
        if (!strcmp(order[i], state)) return i;
    return INT_MAX;
}

static json_int_t site_int(json_t *entry, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(entry, "site"), key));
}

/* Failures first, then by state, the largest total time, and the id. */
static int entry_order(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int fx = json_is_true(json_object_get(x, "fails")),
        fy = json_is_true(json_object_get(y, "fails"));
    if (fx != fy) return fy - fx;
    int rx = state_rank(json_string_value(json_object_get(x, "state")));
    int ry = state_rank(json_string_value(json_object_get(y, "state")));
    if (rx != ry) return rx < ry ? -1 : 1;
    json_int_t tx = site_int(x, "total_ns"), ty = site_int(y, "total_ns");
    if (tx != ty) return tx > ty ? -1 : 1;
    const char *ix = json_string_value(json_object_get(json_object_get(x, "site"), "id"));
    const char *iy = json_string_value(json_object_get(json_object_get(y, "site"), "id"));
    return strcmp(ix ? ix : "", iy ? iy : "");
}

void ls_review_close(json_t *review)
{
    json_t *entries = json_object_get(review, "entries"),
           *counts = json_object_get(review, "counts");
    size_t n = json_array_size(entries), failing = 0;
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(entries, i));
    qsort(v, n, sizeof *v, entry_order);
    json_array_clear(entries);
    static const char *const states[] = {"new",      "over_budget", "over_limit", "worse",
                                         "accepted", "unchanged",   "gone",       "found"};
    for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
        json_object_set_new(counts, states[k], json_integer(0));
    for (size_t i = 0; i < n; i++) {
        const char *state = json_string_value(json_object_get(v[i], "state"));
        json_object_set_new(counts, state,
                            json_integer(json_integer_value(json_object_get(counts, state)) + 1));
        failing += json_is_true(json_object_get(v[i], "fails"));
        json_array_append_new(entries, v[i]);
    }
    free(v);
    json_object_set_new(counts, "failing", json_integer((json_int_t)failing));
    json_object_set_new(
        counts, "unused",
        json_integer((json_int_t)json_array_size(json_object_get(review, "unused"))));
    json_object_set_new(review, "verdict", json_string(failing ? "fail" : "pass"));
}

json_t *ls_review_of_report(json_t *report, const char *source_root)
{
    json_t *review = ls_review_new("report", "the report", report, source_root);
    json_t *sites = ls_sites_by_id(report, LS_ALL_PHASES), *site;
    const char *id;
    json_object_foreach(sites, id, site) ls_review_add(review, "found", 1, site, NULL, NULL);
    json_decref(sites);
    ls_review_close(review);
    return review;
}

int ls_source_root(const char *given, char *out, size_t len)
{
    char resolved[PATH_MAX];
    if (!realpath(given ? given : ".", resolved)) {
        fprintf(stderr, "loopstall: --source-root %s: %s\n", given ? given : ".", strerror(errno));
        return -1;
    }
    snprintf(out, len, "%s", resolved);
    return 0;
}

static int by_id_member(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
    return strcmp(x ? x : "", y ? y : "");
}

void ls_review_sort_by_id(json_t *array)
{
    size_t n = json_array_size(array);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(array, i));
    qsort(v, n, sizeof *v, by_id_member);
    json_array_clear(array);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(array, v[i]);
    free(v);
}

int ls_review_format(const char *cmd, const char *name, const char *out_path,
                     const struct ls_renderer **r)
{
    *r = name ? ls_renderer_find(name)
              : (out_path && strcmp(out_path, "-") != 0 ? ls_renderer_for_path(out_path)
                                                        : ls_renderer_find("text"));
    if (*r && (*r)->review) return 0;
    if (name)
        fprintf(stderr, "loopstall %s: unknown format \"%s\": accepted formats are %s\n", cmd, name,
                ls_review_renderer_names());
    else
        fprintf(stderr,
                "loopstall %s: cannot tell the format of -o %s from its extension: use --format "
                "(%s) or a .txt, .md, .sarif or .xml name\n",
                cmd, out_path, ls_review_renderer_names());
    return -1;
}
