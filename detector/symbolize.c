/* symbolize.c -- symbols and lines with elfutils (libdw), perf maps for JIT code.
 *
 * The agent records module, build-id and offset and nothing more: reading
 * debug information inside someone's event loop is out of the question. Here,
 * after the run, each module is opened once with libdw, which also follows
 * build-id and debuglink to separate debug files (/usr/lib/debug).
 *
 * A report names the paths to open, so only regular files are opened (a FIFO
 * would hang the command), and the answer for each module and offset is kept:
 * 2,000 processes of one program ask the same questions, and a symbol lookup
 * in libdw walks the module's symbol table.
 *
 * libdw and the demangler are loaded only when a native frame needs them
 * (dwarf_libs.h): a report of Python or JavaScript frames alone, or one with
 * no stall, never maps them.
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

#include "dwarf_libs.h"
#include "regular_file.h"

struct module_cache {
    char *path;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    char build_id[41];
};

struct perf_map {
    long pid;
    size_t n;
    struct perf_sym {
        unsigned long start, size;
        char *name;
    } * syms;
};

struct ls_symbolizer {
    struct module_cache *mods;
    size_t nmods;
    json_t *mod_index; /* path -> index into mods */
    struct perf_map *maps;
    size_t nmaps;
    json_t *map_index;      /* pid -> index into maps */
    json_t *answers;        /* "build_id offset module" -> {symbol, file, line} found there */
    const struct ls_dw *dw; /* set when the first module is opened (NULL: libdw is not there) */
};

struct ls_symbolizer *ls_symbolizer_new(void)
{
    struct ls_symbolizer *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->mod_index = json_object();
    s->map_index = json_object();
    s->answers = json_object();
    return s;
}

void ls_symbolizer_free(struct ls_symbolizer *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nmods; i++) {
        if (s->mods[i].dwfl) s->dw->end(s->mods[i].dwfl);
        free(s->mods[i].path);
    }
    for (size_t i = 0; i < s->nmaps; i++) {
        for (size_t k = 0; k < s->maps[i].n; k++)
            free(s->maps[i].syms[k].name);
        free(s->maps[i].syms);
    }
    free(s->maps);
    free(s->mods);
    json_decref(s->mod_index);
    json_decref(s->map_index);
    json_decref(s->answers);
    free(s);
}

static struct module_cache *module_for(struct ls_symbolizer *s, const char *path)
{
    json_t *known = json_object_get(s->mod_index, path);
    if (known) return &s->mods[json_integer_value(known)];
    s->mods = realloc(s->mods, (s->nmods + 1) * sizeof *s->mods);
    json_object_set_new(s->mod_index, path, json_integer((json_int_t)s->nmods));
    struct module_cache *m = &s->mods[s->nmods++];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    char why[256];
    if (!s->dw && !(s->dw = ls_dw_get())) return m; /* said once: names stay unknown */
    const struct ls_dw *dw = s->dw;
    int fd = ls_open_regular(path, why, sizeof why);
    if (fd < 0) return m; /* missing, or a FIFO or device: nothing to read there */
    m->dwfl = dw->begin(dw->offline_callbacks);
    if (!m->dwfl) {
        close(fd);
        return m;
    }
    /* libdwfl keeps the descriptor when it takes the module, and leaves it to us when not. */
    m->mod = dw->report_offline(m->dwfl, path, path, fd);
    if (!m->mod) close(fd);
    dw->report_end(m->dwfl, NULL, NULL);
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = m->mod ? dw->module_build_id(m->mod, &bits, &vaddr) : 0;
    for (int i = 0; i < n && i < 20; i++)
        snprintf(m->build_id + 2 * i, 3, "%02x", bits[i]);
    return m;
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

static void set_symbol(json_t *answer, const char *name)
{
    char *dem = ls_demangle(name);
    json_object_set_new(answer, "symbol", json_string(dem ? dem : name));
    free(dem);
}

/* What the module's symbol table and debug information say about offset off:
 * an object with "symbol", "file" and "line" where they are known (empty when
 * nothing is, or when the module's build-id is not the one the report saw). */
static json_t *look_up(struct ls_symbolizer *s, const char *module, unsigned long off,
                       const char *want_build_id)
{
    json_t *answer = json_object();
    struct module_cache *m = module_for(s, module);
    if (!m->mod) return answer;
    const struct ls_dw *dw = s->dw;
    if (want_build_id && m->build_id[0] && strcmp(want_build_id, m->build_id) != 0)
        return answer; /* the file changed since the run: its names would lie */
    Dwarf_Addr bias = 0;
    dw->module_getelf(m->mod, &bias);
    Dwarf_Addr addr = off + bias;
    GElf_Sym sym;
    GElf_Off symoff;
    const char *name = dw->module_addrinfo(m->mod, addr, &symoff, &sym, NULL, NULL, NULL);
    if (name && (sym.st_size == 0 || symoff < sym.st_size)) set_symbol(answer, name);
    Dwfl_Line *line = dw->module_getsrc(m->mod, addr);
    if (line) {
        int lineno = 0;
        const char *src = dw->lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        if (src && lineno > 0) {
            json_object_set_new(answer, "file", json_string(src));
            json_object_set_new(answer, "line", json_integer(lineno));
        }
    }
    return answer;
}

void ls_symbolize_frame(struct ls_symbolizer *s, json_t *frame, long pid)
{
    /* An interpreter's frame already says what it is, in the interpreter's terms. */
    if (json_object_get(frame, "lang")) return;
    const char *module = json_string_value(json_object_get(frame, "module"));
    const char *offset = json_string_value(json_object_get(frame, "offset"));
    if (!offset) return;
    unsigned long off = strtoul(offset, NULL, 16);
    if (!module) {
        /* No loaded object held this address: JIT code, if anything names it.
         * V8 reuses code space, so the latest entry that covers it is the one. */
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
    const char *want = json_string_value(json_object_get(frame, "build_id"));
    char *key = NULL;
    if (asprintf(&key, "%s %lx %s", want ? want : "-", off, module) < 0) return;
    json_t *answer = json_object_get(s->answers, key);
    if (!answer) {
        answer = look_up(s, module, off, want);
        json_object_set_new(s->answers, key, answer);
    }
    free(key);
    json_object_update(frame, answer);
}

static void symbolize_stack(struct ls_symbolizer *s, json_t *stack, long pid)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f) ls_symbolize_frame(s, f, pid);
}

void ls_symbolize_report(struct ls_symbolizer *s, json_t *report)
{
    size_t i, k, c;
    json_t *p, *st, *call;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        long pid = (long)json_integer_value(json_object_get(p, "pid"));
        json_array_foreach(json_object_get(p, "stalls"), k, st)
        {
            symbolize_stack(s, json_object_get(st, "stack"), pid);
            json_array_foreach(json_object_get(st, "calls"), c, call)
                symbolize_stack(s, json_object_get(call, "stack"), pid);
            json_array_foreach(json_object_get(st, "samples"), c, call)
                symbolize_stack(s, call, pid);
        }
        /* Aggregates too: a folded storm's site must get the id its kept stalls get. */
        static const char *const aggregates[] = {"sites", "folded", "blocking_calls", "findings"};
        for (size_t a = 0; a < sizeof aggregates / sizeof aggregates[0]; a++)
            json_array_foreach(json_object_get(p, aggregates[a]), k, st)
                symbolize_stack(s, json_object_get(st, "stack"), pid);
    }
}
