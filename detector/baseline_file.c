/* baseline_file.c -- the baseline file (loopstall-baseline/1): accepted sites, read strictly and
 * written deterministically.
 *
 *   { "schema": "loopstall-baseline/1",
 *     "accepted": [ { "id": "9581e5d9e3b140df", "reason": "why this stall is acceptable",
 *                     "max_ms": 250, "count": 3, "total_ms": 600,      (budgets, each optional)
 *                     "class": "blocking", "fn": "getaddrinfo", "target": "localhost",
 *                     "where": "resolve (net.c:42)" } ] }           (for people; not judged)
 *
 * The file lives in the user's repository and is edited by hand, so a field
 * the gate does not know (a typo such as "max_msec") is refused rather than
 * ignored: an ignored budget would let a regression through in silence.
 */
#include "baseline_file.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "regular_file.h"

static const char *const entry_fields[] = {"id",    "reason", "max_ms", "count", "total_ms",
                                           "class", "fn",     "target", "where", NULL};

static int known(const char *const *names, const char *key)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], key)) return 1;
    return 0;
}

static int is_site_id(const char *s)
{
    if (!s || strlen(s) != 16) return 0;
    for (int i = 0; i < 16; i++)
        if (!strchr("0123456789abcdef", s[i])) return 0;
    return 1;
}

static int positive_number(json_t *v)
{
    return json_is_number(v) && json_number_value(v) > 0 && isfinite(json_number_value(v));
}

/* One accepted site: its fields checked, then indexed by id. */
static int check_entry(json_t *e, size_t i, json_t *by_id, const char *where)
{
    const char *key;
    json_t *v;
    if (!json_is_object(e)) {
        fprintf(stderr, "%s: accepted[%zu]: expected an object with an id and a reason\n", where,
                i);
        return -1;
    }
    json_object_foreach(e, key, v)
    {
        if (known(entry_fields, key)) continue;
        fprintf(stderr,
                "%s: accepted[%zu]: unknown field \"%s\": accepted are id, reason, max_ms, count, "
                "total_ms, class, fn, target, where\n",
                where, i, key);
        return -1;
    }
    const char *id = json_string_value(json_object_get(e, "id"));
    if (!is_site_id(id)) {
        fprintf(stderr,
                "%s: accepted[%zu].id: expected a site id of 16 hex digits, as reports "
                "and `loopstall baseline` write them\n",
                where, i);
        return -1;
    }
    const char *reason = json_string_value(json_object_get(e, "reason"));
    if (!reason || !reason[0]) {
        fprintf(stderr,
                "%s: accepted[%zu].reason: expected a string saying why the site is "
                "accepted\n",
                where, i);
        return -1;
    }
    static const char *const ms_budgets[] = {"max_ms", "total_ms"};
    for (int k = 0; k < 2; k++) {
        v = json_object_get(e, ms_budgets[k]);
        if (v && !positive_number(v)) {
            fprintf(stderr, "%s: accepted[%zu].%s: expected milliseconds above 0, e.g. 250\n",
                    where, i, ms_budgets[k]);
            return -1;
        }
    }
    v = json_object_get(e, "count");
    if (v && !(json_is_integer(v) && json_integer_value(v) >= 1)) {
        fprintf(stderr, "%s: accepted[%zu].count: expected a whole number of stalls, at least 1\n",
                where, i);
        return -1;
    }
    static const char *const labels[] = {"class", "fn", "target", "where"};
    for (int k = 0; k < 4; k++) {
        v = json_object_get(e, labels[k]);
        if (v && !json_is_string(v) && !json_is_null(v)) {
            fprintf(stderr, "%s: accepted[%zu].%s: expected a string or null\n", where, i,
                    labels[k]);
            return -1;
        }
    }
    json_t *twice = json_object_get(by_id, id);
    if (twice) {
        fprintf(stderr, "%s: accepted[%zu].id: %s is accepted twice (also accepted[%lld])\n", where,
                i, id, (long long)json_integer_value(json_object_get(twice, "index")));
        return -1;
    }
    json_t *copy = json_deep_copy(e);
    json_object_set_new(copy, "index", json_integer((json_int_t)i));
    json_object_set_new(by_id, id, copy);
    return 0;
}

json_t *ls_baseline_load(const char *path, const char *prefix)
{
    char where[4200], why[512];
    snprintf(where, sizeof where, "%s: %s", prefix, path);
    int unreadable;
    json_t *doc = ls_json_load_regular(path, &unreadable, why, sizeof why);
    if (!doc) {
        if (unreadable)
            fprintf(stderr, "%s: cannot read the baseline: %s\n", where, why);
        else
            fprintf(stderr, "%s is not a baseline: %s\n", where, why);
        return NULL;
    }
    json_t *by_id = NULL;
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    json_t *accepted = json_object_get(doc, "accepted");
    const char *key;
    json_t *v;
    if (!json_is_object(doc)) {
        fprintf(stderr, "%s: expected an object with \"schema\" and \"accepted\"\n", where);
        goto out;
    }
    json_object_foreach(doc, key, v)
    {
        if (strcmp(key, "schema") != 0 && strcmp(key, "accepted") != 0) {
            fprintf(stderr, "%s: unknown field \"%s\": accepted are schema and accepted\n", where,
                    key);
            goto out;
        }
    }
    if (!schema || strcmp(schema, LS_BASELINE_SCHEMA) != 0) {
        fprintf(stderr, "%s: schema: expected \"" LS_BASELINE_SCHEMA "\"\n", where);
        goto out;
    }
    if (!json_is_array(accepted)) {
        fprintf(stderr, "%s: accepted: expected an array of accepted sites (it may be empty)\n",
                where);
        goto out;
    }
    by_id = json_object();
    size_t i;
    json_array_foreach(accepted, i, v)
    {
        if (check_entry(v, i, by_id, where) != 0) {
            json_decref(by_id);
            by_id = NULL;
            break;
        }
    }
out:
    json_decref(doc);
    return by_id;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ls_baseline_from_sites(json_t *sites_by_id, const char *report_name)
{
    size_t n = json_object_size(sites_by_id), k = 0;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    const char *id;
    json_t *site;
    json_object_foreach(sites_by_id, id, site) ids[k++] = id;
    qsort(ids, n, sizeof *ids, by_id);
    json_t *accepted = json_array();
    const char *base = strrchr(report_name, '/') ? strrchr(report_name, '/') + 1 : report_name;
    for (size_t i = 0; i < n; i++) {
        site = json_object_get(sites_by_id, ids[i]);
        char reason[512], frame[512];
        snprintf(reason, sizeof reason, "seen in %s when this baseline was made", base);
        /* Twice the longest stall, in whole milliseconds: room for a noisy machine,
         * none for a site that gets markedly worse. */
        json_int_t max_ms = (json_int_t)ceil(
            2.0 * (double)json_integer_value(json_object_get(site, "max_ns")) / 1e6);
        json_t *entry =
            json_pack("{s:s, s:s, s:I, s:O, s:O}", "id", ids[i], "reason", reason, "max_ms",
                      max_ms < 1 ? (json_int_t)1 : max_ms, "class", json_object_get(site, "class"),
                      "fn", json_object_get(site, "fn"));
        json_t *target = json_object_get(site, "target");
        if (json_is_string(target)) json_object_set(entry, "target", target);
        json_t *f = ls_first_interesting_frame(json_object_get(site, "stack"));
        if (f)
            json_object_set_new(entry, "where", json_string(ls_fmt_frame(f, frame, sizeof frame)));
        json_array_append_new(accepted, entry);
    }
    free(ids);
    return json_pack("{s:s, s:o}", "schema", LS_BASELINE_SCHEMA, "accepted", accepted);
}

int ls_baseline_write(json_t *baseline, FILE *out)
{
    if (json_dumpf(baseline, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) return -1;
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}
