/* sites.c -- the one place where stalls become sites: aggregation by cause and the stable ids.
 *
 * Sites are made here only (the agent keeps stalls, and folds the ones it had
 * no room for into aggregates): from names, never addresses, so that the same
 * cause has the same id in every run and build, and `diff` and `gate` can
 * match them. Joining goes through a hash of ids, so a report of many
 * thousands of stalls is aggregated in linear time.
 */
#include "sites.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "frames.h"
#include "site_id.h"

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* What names a script in an id: its base name, with its directory for a
 * package's __init__.py, __main__.py or index.js (every package has one), the
 * whole name for Node's own scripts (node:internal/timers). */
static void script_key(const char *file, char *buf, size_t len)
{
    if (!file || !file[0]) {
        snprintf(buf, len, "?");
        return;
    }
    if (!strncmp(file, "node:", 5)) {
        snprintf(buf, len, "%s", file);
        return;
    }
    const char *b = base_name(file);
    if (b > file && (!strcmp(b, "__init__.py") || !strcmp(b, "__main__.py") ||
                     !strcmp(b, "index.js") || !strcmp(b, "index.mjs"))) {
        const char *d = b - 1; /* the slash before the base name */
        while (d > file && d[-1] != '/')
            d--;
        snprintf(buf, len, "%.*s", (int)(b - d), d);
        snprintf(buf + strlen(buf), len - strlen(buf), "%s", b);
        return;
    }
    snprintf(buf, len, "%s", b);
}

/* An interpreter frame is its language, its qualified name and its script's
 * key: "python:load_config@app.py". Not its line: a line moves whenever code
 * above it is edited, and a site keeps its id through unrelated edits (two
 * blocking calls of the same kind in one function are one site). Not the whole
 * path: the same code runs from a checkout, from a container's /srv and from a
 * venv, and the standard library's path changes with every patch release
 * (pyenv's versions/3.11.7/lib/python3.11). */
const char *ls_site_frame_name(json_t *frame, char *buf, size_t len)
{
    const char *s = json_string_value(json_object_get(frame, "symbol"));
    const char *lang = json_string_value(json_object_get(frame, "lang"));
    if (lang) {
        if (!s) return NULL;
        char key[512];
        script_key(json_string_value(json_object_get(frame, "file")), key, sizeof key);
        snprintf(buf, len, "%s:%s@%s", lang, s, key);
        return buf;
    }
    if (s) return s;
    const char *m = json_string_value(json_object_get(frame, "module"));
    return m ? base_name(m) : NULL;
}

/* The frames of a stack that make up a site's identity, innermost first.
 *
 * A native stack gives all its frames; the id takes the first few named ones
 * (from the first named frame outside libc for a CPU stall, so that a sample
 * in memcpy does not make a new site). A stack with interpreter frames gives
 * interpreter frames only: the native frames around them are the interpreter's
 * own (_PyEval_EvalFrameDefault, Builtins_InterpreterEntryTrampoline), which
 * differ between builds of one version (Debian's stripped python3.11 names
 * none of them) and say nothing of the user's code. What it gives, in order:
 * for a blocking call, the library function the user's code called
 * (requests.get, execSync) when it has a frame; the innermost frame of the
 * user's code; the user's frames outward from it (its callers). So two
 * blocking calls in two functions are two sites, and the library's and the
 * framework's frames in between, which change with their versions, stay out.
 * A CPU stall leaves the library function out: where its samples fell in
 * library code (pbkdf2Sync or gzipSync of one function) is chance, the user's
 * function that ran them is not. Without user code (a library's own startup):
 * the innermost interpreter frames. */
static size_t id_frames(json_t *stack, int cpu, json_t **out, size_t max)
{
    size_t n = 0, len = json_array_size(stack);
    if (!ls_stack_has_interp(stack)) {
        long from = cpu ? ls_cpu_culprit_index(stack) : 0;
        for (size_t i = from > 0 ? (size_t)from : 0; i < len && n < max; i++)
            out[n++] = json_array_get(stack, i);
        return n;
    }
    long u = ls_culprit_index(stack);
    json_t *culprit = json_array_get(stack, (size_t)u);
    if (ls_frame_is_user(culprit)) {
        for (long i = u - 1; i >= 0 && !cpu; i--)
            if (ls_frame_is_interp(json_array_get(stack, (size_t)i))) {
                out[n++] = json_array_get(stack, (size_t)i);
                break;
            }
        out[n++] = culprit;
        for (long i = ls_next_user_frame(stack, u); i >= 0 && n < max;
             i = ls_next_user_frame(stack, i))
            out[n++] = json_array_get(stack, (size_t)i);
        return n;
    }
    for (size_t i = (size_t)u; i < len && n < max; i++)
        if (ls_frame_is_interp(json_array_get(stack, i))) out[n++] = json_array_get(stack, i);
    return n;
}

static void make_id(const char *cls, const char *fn, json_t *stack, char id[LS_SITE_ID_LEN])
{
    size_t len = json_array_size(stack);
    json_t **frames = calloc(len ? len : 1, sizeof *frames);
    const char **names = calloc(len ? len : 1, sizeof *names);
    char(*bufs)[512] = calloc(len ? len : 1, sizeof *bufs);
    size_t n = id_frames(stack, cls && !strcmp(cls, "cpu"), frames, len);
    for (size_t i = 0; i < n; i++)
        names[i] = ls_site_frame_name(frames[i], bufs[i], sizeof bufs[i]);
    ls_site_id(cls, fn, names, n, id);
    free(bufs);
    free(names);
    free(frames);
}

void ls_site_set_id(json_t *site)
{
    char id[LS_SITE_ID_LEN];
    make_id(json_string_value(json_object_get(site, "class")),
            json_string_value(json_object_get(site, "fn")), json_object_get(site, "stack"), id);
    json_object_set_new(site, "id", json_string(id));
}

/* Reports come from outside: sums saturate instead of overflowing. */
static json_int_t add_saturating(json_int_t a, json_int_t b)
{
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

static json_int_t int_of(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* Adds site s's numbers to have (the same id). The target shown is the one of
 * the longest stall. */
static void join_site(json_t *have, json_t *s)
{
    json_object_set_new(have, "count",
                        json_integer(add_saturating(int_of(have, "count"), int_of(s, "count"))));
    json_object_set_new(
        have, "total_ns",
        json_integer(add_saturating(int_of(have, "total_ns"), int_of(s, "total_ns"))));
    if (int_of(s, "max_ns") > int_of(have, "max_ns")) {
        json_object_set_new(have, "max_ns", json_integer(int_of(s, "max_ns")));
        json_t *target = json_object_get(s, "target");
        if (target) json_object_set(have, "target", target);
    }
}

/* Sites in first-seen order, and an index from id to the site in that list. */
struct site_table {
    json_t *list;
    json_t *by_id;
};

static void table_add(struct site_table *t, const char *cls, json_t *fn, json_int_t count,
                      json_int_t total_ns, json_int_t max_ns, json_t *stack, json_t *target)
{
    char id[LS_SITE_ID_LEN];
    make_id(cls, json_string_value(fn), stack, id);
    json_t *site = json_pack("{s:s, s:s, s:O, s:I, s:I, s:I, s:o}", "id", id, "class", cls, "fn",
                             json_is_string(fn) ? fn : json_null(), "count", count, "total_ns",
                             total_ns, "max_ns", max_ns, "stack",
                             json_is_array(stack) ? json_incref(stack) : json_array());
    if (json_is_string(target)) json_object_set(site, "target", target);
    json_t *have = json_object_get(t->by_id, id);
    if (have) {
        join_site(have, site);
        json_decref(site);
        return;
    }
    json_object_set(t->by_id, id, site);
    json_array_append_new(t->list, site);
}

static int in_phases(json_t *obj, enum ls_phases phases)
{
    const char *phase = json_string_value(json_object_get(obj, "phase"));
    return phases == LS_ALL_PHASES || !phase || strcmp(phase, "startup") != 0;
}

/* A stall is a site of its own: by its culprit call unless it was CPU work. */
static void add_stall(struct site_table *t, json_t *stall)
{
    const char *cls = json_string_value(json_object_get(stall, "class"));
    if (!cls) cls = "mixed";
    json_t *call = json_array_get(json_object_get(stall, "calls"), 0);
    int by_call = json_is_object(call) && strcmp(cls, "cpu") != 0;
    json_t *wall = json_object_get(stall, "wall_ns");
    table_add(t, cls, by_call ? json_object_get(call, "fn") : NULL, 1, json_integer_value(wall),
              json_integer_value(wall),
              by_call ? json_object_get(call, "stack") : json_object_get(stall, "stack"),
              by_call ? json_object_get(call, "target") : NULL);
}

/* An aggregate of many stalls: the agent's "folded" entries, an older agent's
 * "sites", strict mode's blocking calls (cls given). */
static void add_aggregate(struct site_table *t, json_t *a, const char *cls)
{
    if (!cls) cls = json_string_value(json_object_get(a, "class"));
    if (!cls) cls = "mixed";
    table_add(t, cls, json_object_get(a, "fn"), int_of(a, "count"), int_of(a, "total_ns"),
              int_of(a, "max_ns"), json_object_get(a, "stack"), json_object_get(a, "target"));
}

json_t *ls_sites_of_process(json_t *proc, enum ls_phases phases)
{
    struct site_table t = {json_array(), json_object()};
    json_t *stalls = json_object_get(proc, "stalls"), *folded = json_object_get(proc, "folded");
    json_t *old_sites = json_object_get(proc, "sites"), *x;
    size_t i;
    if (!json_is_array(folded) && int_of(proc, "dropped") > 0 && json_is_array(old_sites)) {
        /* An older agent that dropped stalls counted every one in its own sites;
         * strict ones among them came from a previous pass here and are rebuilt below. */
        json_array_foreach(old_sites, i, x)
        {
            const char *cls = json_string_value(json_object_get(x, "class"));
            if (!cls || strcmp(cls, "strict") != 0) add_aggregate(&t, x, NULL);
        }
    } else {
        json_array_foreach(stalls, i, x) if (in_phases(x, phases)) add_stall(&t, x);
        json_array_foreach(folded, i, x) if (in_phases(x, phases)) add_aggregate(&t, x, NULL);
    }
    /* Strict mode's blocking calls are sites too, so that diff and CI gates see them. */
    json_array_foreach(json_object_get(proc, "blocking_calls"), i, x)
        add_aggregate(&t, x, "strict");
    json_decref(t.by_id);
    return t.list;
}

json_t *ls_sites_by_id(json_t *report, enum ls_phases phases)
{
    json_t *out = json_object(), *p, *s;
    size_t i, k;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_t *sites = ls_sites_of_process(p, phases);
        json_array_foreach(sites, k, s)
        {
            const char *id = json_string_value(json_object_get(s, "id"));
            json_t *have = json_object_get(out, id);
            if (have) {
                join_site(have, s);
            } else {
                /* Said in the terms of the process it was first seen in (review formats). */
                char advice[1024];
                json_object_set_new(s, "advice",
                                    json_string(ls_site_advice(p, s, advice, sizeof advice)));
                json_object_set(out, id, s);
            }
        }
        json_decref(sites);
    }
    return out;
}

/* Frames compared between samples: an interpreter frame by language, name and
 * script (its line moves as the function runs), a native one by symbol (any
 * place in the function), else by module and offset. */
static int same_frame(json_t *a, json_t *b)
{
    const char *la = json_string_value(json_object_get(a, "lang"));
    const char *lb = json_string_value(json_object_get(b, "lang"));
    if (la || lb) {
        const char *fa = json_string_value(json_object_get(a, "file"));
        const char *fb = json_string_value(json_object_get(b, "file"));
        const char *sa = json_string_value(json_object_get(a, "symbol"));
        const char *sb = json_string_value(json_object_get(b, "symbol"));
        return la && lb && !strcmp(la, lb) && sa && sb && !strcmp(sa, sb) &&
               (fa ? fb && !strcmp(fa, fb) : !fb);
    }
    const char *sa = json_string_value(json_object_get(a, "symbol"));
    const char *sb = json_string_value(json_object_get(b, "symbol"));
    if (sa || sb) return sa && sb && !strcmp(sa, sb);
    const char *ma = json_string_value(json_object_get(a, "module"));
    const char *mb = json_string_value(json_object_get(b, "module"));
    const char *oa = json_string_value(json_object_get(a, "offset"));
    const char *ob = json_string_value(json_object_get(b, "offset"));
    return ma && mb && oa && ob && !strcmp(ma, mb) && !strcmp(oa, ob);
}

/* The frame of sample equal to f, or NULL. */
static json_t *frame_in(json_t *sample, json_t *f)
{
    size_t i;
    json_t *g;
    json_array_foreach(sample, i, g) if (same_frame(f, g)) return g;
    return NULL;
}

/* How many of the counted samples hold a frame equal to f; *same_line is cleared when one of
 * them has it at another line, or one has a line and another none. */
static size_t samples_holding(json_t *samples, json_t *f, int *same_line)
{
    size_t k, n = 0;
    json_t *x;
    json_array_foreach(samples, k, x)
    {
        if (!ls_sample_counts(samples, x)) continue;
        json_t *g = frame_in(x, f);
        if (!g) continue;
        n++;
        json_t *lf = json_object_get(f, "line"), *lg = json_object_get(g, "line");
        *same_line &= lf ? lg && json_equal(lf, lg) : !lg;
    }
    return n;
}

/* The lowest and highest line the counted samples holding f have it at; 0 when one of them has
 * it at no line. */
static int line_range(json_t *samples, json_t *f, json_int_t *lo, json_int_t *hi)
{
    size_t k;
    json_t *x;
    *lo = *hi = 0;
    json_array_foreach(samples, k, x)
    {
        if (!ls_sample_counts(samples, x)) continue;
        json_t *g = frame_in(x, f);
        if (!g) continue;
        json_int_t line = json_integer_value(json_object_get(g, "line"));
        if (line <= 0) return 0;
        if (!*lo || line < *lo) *lo = line;
        if (line > *hi) *hi = line;
    }
    return *lo > 0;
}

/* The frames of base that at least need of the counted samples hold, innermost first, into
 * out (at most max); same_line[i] says whether out[i]'s line is the same in all of them. */
static size_t shared_frames(json_t *samples, json_t *base, size_t need, json_t **out,
                            int *same_line, size_t max)
{
    size_t i, n = 0;
    json_t *f;
    json_array_foreach(base, i, f)
    {
        if (n == max) break;
        int same = 1;
        if (samples_holding(samples, f, &same) < need) continue;
        same_line[n] = same;
        out[n++] = f;
    }
    return n;
}

/* The stack the samples of a CPU stall share: the frames every sample holds, innermost first,
 * in the order of the sample that holds the most of them; with four samples or more, one stray
 * sample is passed over (Node's sample between two calls of the same callback, in
 * Builtins_JSEntryTrampoline, holds none of the callback's frames: it must not take the
 * callback out of the stall's stack and make a new site of an unchanged workload). Not aligned
 * at the outer end, because a deep stack is cut there (the agent keeps the innermost frames),
 * and not one sample's frames where the others lack them: the function that ran the whole
 * time, not wherever one sample happened to land. A sample that cannot say where it was called
 * from (frames.h, ls_sample_counts: a walk that stopped in OpenSSL's assembly) is passed over.
 * A frame whose line differs between samples keeps the range of its lines where it is native
 * ("line" the lowest, "end_line" the highest: "every sample was inside lab_cpu_job
 * (cpu_job.c:14)" was the first sample's line, where the others were on 13 and 15), and no line
 * where it is an interpreter's (its line moves as the function runs). */
static json_t *common_stack(json_t *samples)
{
    json_t *x, *out = json_array();
    size_t i, counted = 0, best_n = 0, max = 0;
    json_array_foreach(samples, i, x) if (ls_sample_counts(samples, x))
    {
        counted++;
        if (json_array_size(x) > max) max = json_array_size(x);
    }
    size_t need = counted >= 4 ? counted - 1 : counted;
    json_t **frames = calloc(max + 1, sizeof *frames), **best = calloc(max + 1, sizeof *best);
    int *same = calloc(max + 1, sizeof *same), *best_same = calloc(max + 1, sizeof *best_same);
    json_array_foreach(samples, i, x)
    {
        if (!ls_sample_counts(samples, x)) continue;
        size_t n = shared_frames(samples, x, need, frames, same, max);
        if (n <= best_n) continue;
        best_n = n;
        memcpy(best, frames, n * sizeof *best);
        memcpy(best_same, same, n * sizeof *best_same);
    }
    for (i = 0; i < best_n; i++) {
        if (best_same[i]) {
            json_array_append(out, best[i]);
        } else {
            json_t *copy = json_deep_copy(best[i]);
            json_int_t lo, hi;
            json_object_del(copy, "line_is");
            if (!json_object_get(copy, "lang") && line_range(samples, best[i], &lo, &hi)) {
                json_object_set_new(copy, "line", json_integer(lo));
                json_object_set_new(copy, "end_line", json_integer(hi));
            } else {
                json_object_del(copy, "line");
            }
            json_array_append_new(out, copy);
        }
    }
    free(frames);
    free(best);
    free(same);
    free(best_same);
    return out;
}

void ls_sites_finish_process(json_t *proc)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(proc, "stalls"), i, s)
    {
        json_t *samples = json_object_get(s, "samples");
        if (!json_array_size(json_object_get(s, "calls")) && json_array_size(samples))
            json_object_set_new(s, "stack", common_stack(samples));
    }
    json_object_set_new(proc, "sites", ls_sites_of_process(proc, LS_ALL_PHASES));
}
