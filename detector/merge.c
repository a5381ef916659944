/* merge.c -- per-process report files in, one loopstall/1 report out; sites are made in sites.c. */
#include "merge.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

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
        ls_sites_finish_process(p);
        sort_array(json_object_get(p, "stalls"), by_start);
    }
}
