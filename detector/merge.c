/* merge.c -- merge per-process reports, then give sites their stable ids. */
#include "merge.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site_id.h"

static int add_document(json_t *out, const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (!doc) {
        fprintf(stderr, "loopstall: %s is not a report: %s (line %d)\n", path, e.text, e.line);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!schema || strcmp(schema, "loopstall/1") != 0) {
        fprintf(stderr, "loopstall: %s is not a report: schema is %s, expected loopstall/1\n", path,
                schema ? schema : "missing");
        json_decref(doc);
        return -1;
    }
    json_t *procs = json_object_get(out, "processes");
    if (json_array_size(procs) == 0) {
        /* The first document gives the report's command and threshold. */
        json_object_set(out, "command", json_object_get(doc, "command"));
        json_object_set(out, "threshold_ns", json_object_get(doc, "threshold_ns"));
        json_object_set(out, "exit_status", json_object_get(doc, "exit_status"));
    }
    json_array_extend(procs, json_object_get(doc, "processes"));
    json_decref(doc);
    return 0;
}

static json_t *empty_report(void)
{
    return json_pack("{s:s, s:s, s:[], s:n, s:I, s:[]}", "schema", "loopstall/1", "tool_version",
                     LOOPSTALL_VERSION, "command", "exit_status", "threshold_ns",
                     (json_int_t)20000000, "processes");
}

static int by_pid(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "pid"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "pid"));
    return (x > y) - (x < y);
}

/* Sorts a JSON array in place with a comparator of (json_t *const *) elements. */
static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof *v, cmp);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

/* Processes in pid order, so parents (usually) come before their children. */
static void sort_processes(json_t *report)
{
    sort_array(json_object_get(report, "processes"), by_pid);
}

json_t *ls_merge_files(char *const *paths, int n)
{
    json_t *out = empty_report();
    for (int i = 0; i < n; i++)
        if (add_document(out, paths[i]) != 0) {
            json_decref(out);
            return NULL;
        }
    sort_processes(out);
    return out;
}

json_t *ls_merge_dir(const char *dir, int *count)
{
    json_t *out = empty_report();
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return out;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "loopstall.", 10) != 0 || len < 15 ||
            strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (add_document(out, path) == 0) (*count)++;
    }
    closedir(d);
    sort_processes(out);
    return out;
}

/* A frame's name for identity: its symbol, or the base name of its module. */
static const char *frame_name(json_t *frame)
{
    const char *s = json_string_value(json_object_get(frame, "symbol"));
    if (s) return s;
    const char *m = json_string_value(json_object_get(frame, "module"));
    if (!m) return NULL;
    const char *slash = strrchr(m, '/');
    return slash ? slash + 1 : m;
}

static void site_id(json_t *site, char id[LS_SITE_ID_LEN])
{
    json_t *stack = json_object_get(site, "stack");
    size_t n = json_array_size(stack);
    const char **names = calloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = frame_name(json_array_get(stack, i));
    ls_site_id(json_string_value(json_object_get(site, "class")),
               json_string_value(json_object_get(site, "fn")), names, n, id);
    free(names);
}

/* A frame as compared between samples: its symbol, else where it is. */
static int same_frame(json_t *a, json_t *b)
{
    const char *sa = json_string_value(json_object_get(a, "symbol"));
    const char *sb = json_string_value(json_object_get(b, "symbol"));
    if (sa || sb) return sa && sb && !strcmp(sa, sb);
    const char *ma = json_string_value(json_object_get(a, "module"));
    const char *mb = json_string_value(json_object_get(b, "module"));
    return ma && mb && !strcmp(ma, mb) &&
           !strcmp(json_string_value(json_object_get(a, "offset")),
                   json_string_value(json_object_get(b, "offset")));
}

/* The stack every sample of a CPU stall shares, from the outermost frame in:
 * the function that was running the whole time, not wherever one sample
 * happened to land. */
static json_t *common_stack(json_t *samples)
{
    json_t *first = json_array_get(samples, 0);
    size_t n0 = json_array_size(first), keep = n0;
    for (size_t s = 1; s < json_array_size(samples); s++) {
        json_t *other = json_array_get(samples, s);
        size_t ni = json_array_size(other), i = 0;
        while (i < n0 && i < ni &&
               same_frame(json_array_get(first, n0 - 1 - i), json_array_get(other, ni - 1 - i)))
            i++;
        if (i < keep) keep = i;
    }
    if (keep == 0) keep = n0;
    json_t *out = json_array();
    for (size_t i = n0 - keep; i < n0; i++)
        json_array_append(out, json_array_get(first, i));
    return out;
}

/* Rebuilds a process's sites from its stalls (when none were dropped, the stalls
 * are all there, ongoing ones included), or re-ids the agent's own sites. */
static void finish_sites(json_t *proc)
{
    size_t i, k;
    json_t *s, *m;
    json_array_foreach(json_object_get(proc, "stalls"), i, s)
    {
        json_t *samples = json_object_get(s, "samples");
        if (!json_array_size(json_object_get(s, "calls")) && json_array_size(samples))
            json_object_set_new(s, "stack", common_stack(samples));
    }
    json_t *merged = json_array();
    if (json_integer_value(json_object_get(proc, "dropped")) == 0) {
        json_array_foreach(json_object_get(proc, "stalls"), i, s)
        {
            const char *cls = json_string_value(json_object_get(s, "class"));
            json_t *call = json_array_get(json_object_get(s, "calls"), 0);
            int by_call = call && cls && strcmp(cls, "cpu") != 0;
            json_t *site = json_pack(
                "{s:s, s:O, s:I, s:O, s:O, s:O}", "class", cls ? cls : "mixed", "fn",
                by_call ? json_object_get(call, "fn") : json_null(), "count", (json_int_t)1,
                "total_ns", json_object_get(s, "wall_ns"), "max_ns", json_object_get(s, "wall_ns"),
                "stack", by_call ? json_object_get(call, "stack") : json_object_get(s, "stack"));
            json_array_append_new(merged, site);
        }
    } else {
        json_array_extend(merged, json_object_get(proc, "sites"));
    }
    /* Strict mode's blocking calls are sites too, so that diff and CI gates see them. */
    json_array_foreach(json_object_get(proc, "blocking_calls"), i, s)
    {
        json_array_append_new(
            merged, json_pack("{s:s, s:O, s:O, s:O, s:O, s:O}", "class", "strict", "fn",
                              json_object_get(s, "fn"), "count", json_object_get(s, "count"),
                              "total_ns", json_object_get(s, "total_ns"), "max_ns",
                              json_object_get(s, "max_ns"), "stack", json_object_get(s, "stack")));
    }
    json_t *joined = json_array();
    json_array_foreach(merged, i, s)
    {
        char id[LS_SITE_ID_LEN];
        site_id(s, id);
        json_object_set_new(s, "id", json_string(id));
        int found = 0;
        json_array_foreach(joined, k, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "id")), id) != 0) continue;
            json_int_t c = json_integer_value(json_object_get(m, "count")) +
                           json_integer_value(json_object_get(s, "count"));
            json_int_t t = json_integer_value(json_object_get(m, "total_ns")) +
                           json_integer_value(json_object_get(s, "total_ns"));
            json_int_t a = json_integer_value(json_object_get(m, "max_ns")),
                       b = json_integer_value(json_object_get(s, "max_ns"));
            json_object_set_new(m, "count", json_integer(c));
            json_object_set_new(m, "total_ns", json_integer(t));
            json_object_set_new(m, "max_ns", json_integer(a > b ? a : b));
            found = 1;
            break;
        }
        if (!found) json_array_append(joined, s);
    }
    json_decref(merged);
    json_object_set_new(proc, "sites", joined);
}

static int by_start(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "start_ns"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "start_ns"));
    return (x > y) - (x < y);
}

void ls_finish_report(json_t *report)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        finish_sites(p);
        sort_array(json_object_get(p, "stalls"), by_start);
    }
}
