/* merge.c -- per-process report files in, one loopstall/1 report out; sites are made in sites.c.
 *
 * Every file is opened only if it is a regular file (regular_file.c) and
 * checked field by field (schema.c) before it joins the report. Frames repeat
 * across stalls and across processes (a fork of 2,000 workers runs the same
 * code), so each distinct frame is kept once and shared: memory grows with
 * what differs, not with the number of files.
 */
#include "merge.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "regular_file.h"
#include "schema.h"
#include "sites.h"

/* A report being built: the merged document and the distinct frames seen so far. */
struct merger {
    json_t *report;
    json_t *frames; /* canonical text of a frame -> the one frame object kept for it */
};

static json_t *empty_report(void)
{
    return json_pack("{s:s, s:s, s:[], s:n, s:I, s:[]}", "schema", "loopstall/1", "tool_version",
                     LOOPSTALL_VERSION, "command", "exit_status", "threshold_ns",
                     (json_int_t)20000000, "processes");
}

static void merger_init(struct merger *m)
{
    m->report = empty_report();
    m->frames = json_object();
}

/* Appends to a fixed buffer; a key that does not fit is made another way. */
struct key_buf {
    char text[2048];
    size_t used;
    int full;
};

static void key_add(struct key_buf *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void key_add(struct key_buf *k, const char *fmt, ...)
{
    if (k->full) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(k->text + k->used, sizeof k->text - k->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof k->text - k->used)
        k->full = 1;
    else
        k->used += (size_t)n;
}

/* A frame's identity as text. The members a frame is known to have are joined
 * directly (each string length-prefixed, so no two frames can give the same
 * text); a frame with members of its own, or too long a one, is known by its
 * whole JSON text. A frame outside any module is told apart by process too:
 * the perf map that may name it is per process. malloc'd, or NULL. */
static char *frame_key(json_t *f, json_int_t pid)
{
    static const char *const members[] = {"symbol", "module",  "offset", "build_id", "file",
                                          "line",   "address", "lang",   "line_is"};
    struct key_buf k = {.used = 0};
    size_t known = 0;
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(f, members[i]);
        known += v != NULL;
        if (!v)
            key_add(&k, "-|");
        else if (json_is_string(v))
            key_add(&k, "%zu:%s|", json_string_length(v), json_string_value(v));
        else if (json_is_integer(v))
            key_add(&k, "i%lld|", (long long)json_integer_value(v));
        else if (json_is_null(v))
            key_add(&k, "n|");
        else
            k.full = 1;
    }
    char *key = NULL;
    if (!k.full && known == json_object_size(f)) {
        if (json_is_string(json_object_get(f, "module"))) return strdup(k.text);
        if (asprintf(&key, "%s pid %lld", k.text, (long long)pid) < 0) key = NULL;
        return key;
    }
    char *text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
    if (text && asprintf(&key, "json:%s pid %lld", text, (long long)pid) < 0) key = NULL;
    free(text);
    return key;
}

/* Replaces each frame of stack by the first equal frame seen. */
static void share_frames(struct merger *m, json_t *stack, json_int_t pid)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        char *key = frame_key(f, pid);
        if (!key) continue;
        json_t *have = json_object_get(m->frames, key);
        if (!have)
            json_object_set(m->frames, key, f);
        else if (have != f)
            json_array_set(stack, i, have);
        free(key);
    }
}

static void share_process_frames(struct merger *m, json_t *proc)
{
    static const char *const aggregates[] = {"sites", "folded", "blocking_calls", "findings"};
    json_int_t pid = json_integer_value(json_object_get(proc, "pid"));
    size_t i, k;
    json_t *s, *x;
    json_array_foreach(json_object_get(proc, "stalls"), i, s)
    {
        share_frames(m, json_object_get(s, "stack"), pid);
        json_array_foreach(json_object_get(s, "calls"), k, x)
            share_frames(m, json_object_get(x, "stack"), pid);
        json_array_foreach(json_object_get(s, "samples"), k, x) share_frames(m, x, pid);
    }
    for (size_t a = 0; a < sizeof aggregates / sizeof aggregates[0]; a++)
        json_array_foreach(json_object_get(proc, aggregates[a]), i, s)
            share_frames(m, json_object_get(s, "stack"), pid);
}

/* Loads one file: a regular file holding a loopstall/1 document whose every
 * field has its type. NULL after one line on stderr naming what is wrong. */
static json_t *load_document(const char *path)
{
    char why[512];
    int unreadable;
    json_t *doc = ls_json_load_regular(path, &unreadable, why, sizeof why);
    if (!doc) {
        if (unreadable)
            fprintf(stderr, "loopstall: %s: cannot read it as a report: %s\n", path, why);
        else
            fprintf(stderr, "loopstall: %s is not a report: %s\n", path, why);
        return NULL;
    }
    if (ls_report_check(doc, path) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The same for a document held in memory. */
static json_t *load_text(const struct ls_report_text *t)
{
    json_error_t e;
    json_t *doc = json_loadb(t->text, t->len, JSON_REJECT_DUPLICATES, &e);
    if (!doc) {
        fprintf(stderr, "loopstall: %s is not a report: %s (line %d)\n", t->name, e.text, e.line);
        return NULL;
    }
    if (ls_report_check(doc, t->name) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Adds one loaded document's processes (and losses) to the report; takes doc. */
static void merger_add_document(struct merger *m, json_t *doc)
{
    json_t *procs = json_object_get(m->report, "processes");
    if (json_array_size(procs) == 0) {
        /* The first document gives the report's command and threshold. */
        static const char *const header[] = {"command", "threshold_ns", "exit_status"};
        for (size_t i = 0; i < sizeof header / sizeof header[0]; i++) {
            json_t *v = json_object_get(doc, header[i]);
            if (v) json_object_set(m->report, header[i], v);
        }
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "processes"), i, p)
    {
        share_process_frames(m, p);
        json_array_append(procs, p);
    }
    /* A merged report read again keeps the reports run could not get (its sentences only). */
    json_t *l;
    json_array_foreach(json_object_get(doc, "losses"), i, l)
    {
        if (!json_is_string(l)) continue;
        if (!json_object_get(m->report, "losses"))
            json_object_set_new(m->report, "losses", json_array());
        json_array_append(json_object_get(m->report, "losses"), l);
    }
    json_decref(doc);
}

static int merger_add_file(struct merger *m, const char *path)
{
    json_t *doc = load_document(path);
    if (!doc) return -1;
    merger_add_document(m, doc);
    return 0;
}

/* The files the agent leaves: loopstall.<pid>.json and the like. */
static int is_agent_file(const char *name)
{
    size_t len = strlen(name);
    return strncmp(name, "loopstall.", 10) == 0 && len >= 15 &&
           strcmp(name + len - 5, ".json") == 0;
}

/* Adds every agent file in dir; one that cannot be read is named and skipped. */
static int merger_add_dir(struct merger *m, const char *dir)
{
    int count = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_agent_file(e->d_name)) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (merger_add_file(m, path) == 0) count++;
    }
    closedir(d);
    return count;
}

struct indexed {
    json_t *v;
    size_t at;
    json_int_t key;
};

static int by_key_then_place(const void *a, const void *b)
{
    const struct indexed *x = a, *y = b;
    if (x->key != y->key) return (x->key > y->key) - (x->key < y->key);
    return (x->at > y->at) - (x->at < y->at);
}

/* Sorts a JSON array of objects in place by an integer member, keeping the
 * order of equal ones (qsort alone is not stable). */
static void sort_by(json_t *arr, const char *member)
{
    size_t n = json_array_size(arr);
    struct indexed *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(arr, i);
        v[i] = (struct indexed){json_incref(x), i, json_integer_value(json_object_get(x, member))};
    }
    qsort(v, n, sizeof *v, by_key_then_place);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i].v);
    free(v);
}

/* Frees the bookkeeping and hands over the report (NULL on failure). */
static json_t *merger_finish(struct merger *m, int ok)
{
    json_decref(m->frames);
    if (!ok) {
        json_decref(m->report);
        return NULL;
    }
    /* Processes in pid order, so parents (usually) come before their children,
     * and the images of one pid (exec) in the order they ran (no "image": the first). */
    sort_by(json_object_get(m->report, "processes"), "image");
    sort_by(json_object_get(m->report, "processes"), "pid");
    return m->report;
}

json_t *ls_merge_files(char *const *paths, int n)
{
    struct merger m;
    merger_init(&m);
    int ok = 1;
    for (int i = 0; i < n && ok; i++)
        ok = merger_add_file(&m, paths[i]) == 0;
    return merger_finish(&m, ok);
}

json_t *ls_merge_dir(const char *dir, int *count)
{
    struct merger m;
    merger_init(&m);
    *count = merger_add_dir(&m, dir);
    return merger_finish(&m, 1);
}

json_t *ls_merge_run(const struct ls_report_text *texts, int n, const char *dir, int *count)
{
    struct merger m;
    merger_init(&m);
    *count = 0;
    for (int i = 0; i < n; i++) {
        json_t *doc = load_text(&texts[i]);
        if (!doc) continue;
        merger_add_document(&m, doc);
        ++*count;
    }
    *count += merger_add_dir(&m, dir);
    return merger_finish(&m, 1);
}

json_t *ls_merge_inputs(char *const *paths, int n)
{
    struct merger m;
    merger_init(&m);
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (merger_add_dir(&m, paths[i]) == 0) {
                fprintf(stderr, "loopstall: %s holds no loopstall.*.json report\n", paths[i]);
                ok = 0;
            }
        } else {
            ok = merger_add_file(&m, paths[i]) == 0;
        }
    }
    return merger_finish(&m, ok);
}

void ls_finish_report(json_t *report)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        /* Stalls in time order first: sites are listed in the order they were first seen. */
        sort_by(json_object_get(p, "stalls"), "start_ns");
        ls_sites_finish_process(p);
    }
}
