/* symbolize.c -- symbols and lines for report frames: native ones from the symbolizer helper,
 * JIT code from perf maps.
 *
 * The agent records module, build-id and offset and nothing more: reading
 * debug information inside someone's event loop is out of the question. Here,
 * after the run, every distinct native frame of the report is asked of
 * `loopstall-symbolizer` (symbolizer.c, which has libdw) in one exchange, and
 * only when there is one: a report with no stall, or only interpreter frames,
 * starts nothing. 2,000 processes of one program ask the same questions, so
 * each (build-id, offset, module) is asked once.
 *
 * JIT code has no module: V8 names it in /tmp/perf-PID.map (run adds the flags
 * to NODE_OPTIONS), and a JavaScript function's entry there becomes a frame of
 * its own language, like the Python frames the agent writes.
 */
#include "symbolize.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regular_file.h"
#include "symbolizer_client.h"

struct perf_map {
    long pid;
    size_t n;
    struct perf_sym {
        unsigned long start, size;
        char *name;
    } * syms;
};

struct ls_symbolizer {
    struct perf_map *maps;
    size_t nmaps;
    json_t *map_index; /* pid -> index into maps */
    json_t *answers;   /* "build_id offset module" -> {symbol, file, line} found there */
    json_t *questions; /* what the next exchange asks: [{module, offset, build_id}] */
    json_t *asked;     /* the keys of those questions, in the same order */
};

struct ls_symbolizer *ls_symbolizer_new(void)
{
    struct ls_symbolizer *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->map_index = json_object();
    s->answers = json_object();
    s->questions = json_array();
    s->asked = json_array();
    return s;
}

void ls_symbolizer_free(struct ls_symbolizer *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nmaps; i++) {
        for (size_t k = 0; k < s->maps[i].n; k++)
            free(s->maps[i].syms[k].name);
        free(s->maps[i].syms);
    }
    free(s->maps);
    json_decref(s->map_index);
    json_decref(s->answers);
    json_decref(s->questions);
    json_decref(s->asked);
    free(s);
}

/* Node writes JIT symbols to /tmp/perf-PID.map when run with --perf-basic-prof. */
static struct perf_map *perf_map_for(struct ls_symbolizer *s, long pid)
{
    char key[32];
    snprintf(key, sizeof key, "%ld", pid);
    json_t *known = json_object_get(s->map_index, key);
    if (known) return &s->maps[json_integer_value(known)];
    s->maps = realloc(s->maps, (s->nmaps + 1) * sizeof *s->maps);
    json_object_set_new(s->map_index, key, json_integer((json_int_t)s->nmaps));
    struct perf_map *m = &s->maps[s->nmaps++];
    memset(m, 0, sizeof *m);
    m->pid = pid;
    char path[64], why[256];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", pid);
    int fd = ls_open_regular(path, why, sizeof why);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return m;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        unsigned long start, size;
        int off = 0;
        if (sscanf(line, "%lx %lx %n", &start, &size, &off) != 2 || !off) continue;
        line[strcspn(line, "\n")] = '\0';
        m->syms = realloc(m->syms, (m->n + 1) * sizeof *m->syms);
        m->syms[m->n++] = (struct perf_sym){start, size, strdup(line + off)};
    }
    fclose(f);
    return m;
}

/* The kinds of perf-map entry that are a JavaScript function: "JS:" since V8
 * 9, "LazyCompile:" and "Function:" before, "Script:" for a script's top level,
 * "InterpretedFunction:" for the per-function trampoline copies older V8
 * wrote with --interpreted-frames-native-stack. Builtins, bytecode handlers,
 * stubs and regular expressions keep their native names. */
static const char *const js_kinds[] = {
    "JS:", "LazyCompile:", "Function:", "Script:", "InterpretedFunction:", "Eval:"};

/* Where the script starts in "NAME SCRIPT:LINE:COL": a name may hold spaces
 * ("get size"), a path too, so the script is known by how it begins, and is
 * the last word only when nothing begins like a script. */
static const char *script_start(const char *rest)
{
    static const char *const starts[] = {" /", " node:", " file:", " internal/", " [eval"};
    const char *best = NULL;
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        const char *at = strstr(rest, starts[i]);
        if (at && (!best || at < best)) best = at;
    }
    if (!best) best = strrchr(rest, ' ');
    return best ? best + 1 : NULL;
}

/* Splits a trailing ":DIGITS" off [s, *end): its value, or -1 when there is none. */
static long trailing_number(const char *s, const char **end)
{
    const char *p = *end;
    while (p > s && isdigit((unsigned char)p[-1]))
        p--;
    if (p == *end || p == s || p[-1] != ':') return -1;
    long v = strtol(p, NULL, 10);
    *end = p - 1;
    return v;
}

int ls_js_frame_from_perf_name(json_t *frame, const char *name)
{
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof js_kinds / sizeof js_kinds[0] && !rest; i++)
        if (!strncmp(name, js_kinds[i], strlen(js_kinds[i]))) rest = name + strlen(js_kinds[i]);
    if (!rest) return 0;
    if (*rest && strchr("~^+*", *rest))
        rest++; /* the tier: Ignition, Sparkplug, Maglev, TurboFan */
    const char *script = script_start(rest);
    const char *name_end = script ? script - 1 : rest + strlen(rest);
    const char *end = script ? script + strlen(script) : NULL;
    long line = -1;
    if (script) {
        /* "file:LINE:COL" from V8 9 on, "file:LINE" before: the line is where the function starts.
         */
        long last = trailing_number(script, &end);
        long before = last >= 0 ? trailing_number(script, &end) : -1;
        line = before >= 0 ? before : last;
    }
    if (script && !strncmp(script, "file://", 7)) script += 7; /* an ES module's URL */
    json_object_set_new(frame, "lang", json_string("js"));
    json_object_set_new(frame, "symbol",
                        name_end > rest ? json_stringn(rest, (size_t)(name_end - rest))
                                        : json_string("(anonymous)"));
    if (script && end > script)
        json_object_set_new(frame, "file", json_stringn(script, (size_t)(end - script)));
    if (line > 0) {
        json_object_set_new(frame, "line", json_integer(line));
        json_object_set_new(frame, "line_is", json_string("function_start"));
    }
    return 1;
}

/* The question a native frame asks: the text its answer is kept under, or
 * NULL for a frame that asks none (an interpreter's, JIT code, no offset).
 * malloc'd. */
static char *question_key(json_t *frame, const char **module, unsigned long *off,
                          const char **build_id)
{
    /* An interpreter's frame already says what it is, in the interpreter's terms. */
    if (json_object_get(frame, "lang")) return NULL;
    *module = json_string_value(json_object_get(frame, "module"));
    const char *offset = json_string_value(json_object_get(frame, "offset"));
    /* "[jit]" is this file's own mark on JIT code a perf map named, never a file. */
    if (!offset || !*module || !strcmp(*module, "[jit]")) return NULL;
    *off = strtoul(offset, NULL, 16);
    *build_id = json_string_value(json_object_get(frame, "build_id"));
    char *key = NULL;
    if (asprintf(&key, "%s %lx %s", *build_id ? *build_id : "-", *off, *module) < 0) return NULL;
    return key;
}

/* First pass: a native frame whose answer is not known yet joins the questions. */
static void ask_frame(struct ls_symbolizer *s, json_t *frame, long pid)
{
    (void)pid;
    const char *module, *build_id;
    unsigned long off;
    char *key = question_key(frame, &module, &off, &build_id);
    if (!key) return;
    if (!json_object_get(s->answers, key)) {
        char hex[32];
        snprintf(hex, sizeof hex, "0x%lx", off);
        json_array_append_new(s->questions, json_pack("{s:s, s:s, s:s?}", "module", module,
                                                      "offset", hex, "build_id", build_id));
        json_array_append_new(s->asked, json_string(key));
        json_object_set_new(s->answers, key, json_object()); /* asked once; filled on reply */
    }
    free(key);
}

/* Second pass: each frame takes its answer, and JIT code its perf map's name. */
static void name_frame(struct ls_symbolizer *s, json_t *frame, long pid)
{
    if (json_object_get(frame, "lang")) return;
    const char *module = json_string_value(json_object_get(frame, "module"));
    const char *offset = json_string_value(json_object_get(frame, "offset"));
    if (!offset) return;
    if (!module) {
        /* No loaded object held this address: JIT code, if anything names it.
         * V8 reuses code space, so the latest entry that covers it is the one. */
        unsigned long off = strtoul(offset, NULL, 16);
        struct perf_map *pm = perf_map_for(s, pid);
        for (size_t i = pm->n; i-- > 0;)
            if (off >= pm->syms[i].start && off < pm->syms[i].start + pm->syms[i].size) {
                json_object_set_new(frame, "module", json_string("[jit]"));
                if (!ls_js_frame_from_perf_name(frame, pm->syms[i].name))
                    json_object_set_new(frame, "symbol", json_string(pm->syms[i].name));
                break;
            }
        return;
    }
    const char *build_id;
    unsigned long off;
    char *key = question_key(frame, &module, &off, &build_id);
    json_t *answer = key ? json_object_get(s->answers, key) : NULL;
    if (answer) json_object_update(frame, answer);
    free(key);
}

/* Asks the helper everything the first pass collected, in one exchange. */
static void ask_helper(struct ls_symbolizer *s)
{
    if (json_array_size(s->questions) == 0) return;
    json_t *replies = ls_symbolizer_ask(s->questions);
    size_t i;
    json_t *key;
    json_array_foreach(s->asked, i, key)
    {
        json_t *reply = json_array_get(replies, i);
        if (json_is_object(reply))
            json_object_update(json_object_get(s->answers, json_string_value(key)), reply);
    }
    json_decref(replies);
    json_array_clear(s->questions);
    json_array_clear(s->asked);
}

typedef void frame_fn(struct ls_symbolizer *s, json_t *frame, long pid);

static void each_frame(struct ls_symbolizer *s, json_t *stack, long pid, frame_fn *fn)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f) fn(s, f, pid);
}

/* Calls fn on every frame of the report: stalls' stacks, calls and samples, and the aggregates. */
static void each_report_frame(struct ls_symbolizer *s, json_t *report, frame_fn *fn)
{
    size_t i, k, c;
    json_t *p, *st, *call;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        long pid = (long)json_integer_value(json_object_get(p, "pid"));
        json_array_foreach(json_object_get(p, "stalls"), k, st)
        {
            each_frame(s, json_object_get(st, "stack"), pid, fn);
            json_array_foreach(json_object_get(st, "calls"), c, call)
                each_frame(s, json_object_get(call, "stack"), pid, fn);
            json_array_foreach(json_object_get(st, "samples"), c, call)
                each_frame(s, call, pid, fn);
        }
        /* Aggregates too: a folded storm's site must get the id its kept stalls get. */
        static const char *const aggregates[] = {"sites", "folded", "blocking_calls", "findings"};
        for (size_t a = 0; a < sizeof aggregates / sizeof aggregates[0]; a++)
            json_array_foreach(json_object_get(p, aggregates[a]), k, st)
                each_frame(s, json_object_get(st, "stack"), pid, fn);
    }
}

void ls_symbolize_report(struct ls_symbolizer *s, json_t *report)
{
    each_report_frame(s, report, ask_frame);
    ask_helper(s);
    each_report_frame(s, report, name_frame);
}
