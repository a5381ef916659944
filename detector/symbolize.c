/* symbolize.c -- symbols and lines with elfutils (libdw), perf maps for JIT code.
 *
 * The agent records module, build-id and offset and nothing more: reading
 * debug information inside someone's event loop is out of the question. Here,
 * after the run, each module is opened once with libdw, which also follows
 * build-id and debuglink to separate debug files (/usr/lib/debug).
 */
#include "symbolize.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

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
    struct perf_map *maps;
    size_t nmaps;
};

static char *debuginfo_path;
static const Dwfl_Callbacks offline_callbacks = {
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct ls_symbolizer *ls_symbolizer_new(void)
{
    return calloc(1, sizeof(struct ls_symbolizer));
}

void ls_symbolizer_free(struct ls_symbolizer *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nmods; i++) {
        if (s->mods[i].dwfl) dwfl_end(s->mods[i].dwfl);
        free(s->mods[i].path);
    }
    for (size_t i = 0; i < s->nmaps; i++) {
        for (size_t k = 0; k < s->maps[i].n; k++)
            free(s->maps[i].syms[k].name);
        free(s->maps[i].syms);
    }
    free(s->maps);
    free(s->mods);
    free(s);
}

static struct module_cache *module_for(struct ls_symbolizer *s, const char *path)
{
    for (size_t i = 0; i < s->nmods; i++)
        if (!strcmp(s->mods[i].path, path)) return &s->mods[i];
    s->mods = realloc(s->mods, (s->nmods + 1) * sizeof *s->mods);
    struct module_cache *m = &s->mods[s->nmods++];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    m->dwfl = dwfl_begin(&offline_callbacks);
    if (m->dwfl) {
        m->mod = dwfl_report_offline(m->dwfl, path, path, -1);
        dwfl_report_end(m->dwfl, NULL, NULL);
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = m->mod ? dwfl_module_build_id(m->mod, &bits, &vaddr) : 0;
        for (int i = 0; i < n && i < 20; i++)
            snprintf(m->build_id + 2 * i, 3, "%02x", bits[i]);
    }
    return m;
}

/* Node writes JIT symbols to /tmp/perf-PID.map when run with --perf-basic-prof. */
static struct perf_map *perf_map_for(struct ls_symbolizer *s, long pid)
{
    for (size_t i = 0; i < s->nmaps; i++)
        if (s->maps[i].pid == pid) return &s->maps[i];
    s->maps = realloc(s->maps, (s->nmaps + 1) * sizeof *s->maps);
    struct perf_map *m = &s->maps[s->nmaps++];
    memset(m, 0, sizeof *m);
    m->pid = pid;
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", pid);
    FILE *f = fopen(path, "r");
    if (!f) return m;
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

static void set_symbol(json_t *frame, const char *name)
{
    int status = -1;
    char *dem = NULL;
    if (name[0] == '_' && name[1] == 'Z') dem = __cxa_demangle(name, NULL, NULL, &status);
    json_object_set_new(frame, "symbol", json_string(status == 0 && dem ? dem : name));
    free(dem);
}

void ls_symbolize_frame(struct ls_symbolizer *s, json_t *frame, long pid)
{
    const char *module = json_string_value(json_object_get(frame, "module"));
    const char *offset = json_string_value(json_object_get(frame, "offset"));
    if (!offset) return;
    unsigned long off = strtoul(offset, NULL, 16);
    if (!module) {
        /* No loaded object held this address: JIT code, if anything names it. */
        struct perf_map *pm = perf_map_for(s, pid);
        for (size_t i = 0; i < pm->n; i++)
            if (off >= pm->syms[i].start && off < pm->syms[i].start + pm->syms[i].size) {
                json_object_set_new(frame, "symbol", json_string(pm->syms[i].name));
                json_object_set_new(frame, "module", json_string("[jit]"));
                break;
            }
        return;
    }
    struct module_cache *m = module_for(s, module);
    if (!m->mod) return;
    const char *want = json_string_value(json_object_get(frame, "build_id"));
    if (want && m->build_id[0] && strcmp(want, m->build_id) != 0)
        return; /* the file changed since the run: its names would lie */
    Dwarf_Addr bias = 0;
    dwfl_module_getelf(m->mod, &bias);
    Dwarf_Addr addr = off + bias;
    GElf_Sym sym;
    GElf_Off symoff;
    const char *name = dwfl_module_addrinfo(m->mod, addr, &symoff, &sym, NULL, NULL, NULL);
    if (name && (sym.st_size == 0 || symoff < sym.st_size)) set_symbol(frame, name);
    Dwfl_Line *line = dwfl_module_getsrc(m->mod, addr);
    if (line) {
        int lineno = 0;
        const char *src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        if (src && lineno > 0) {
            json_object_set_new(frame, "file", json_string(src));
            json_object_set_new(frame, "line", json_integer(lineno));
        }
    }
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
        json_array_foreach(json_object_get(p, "sites"), k, st)
            symbolize_stack(s, json_object_get(st, "stack"), pid);
        json_array_foreach(json_object_get(p, "blocking_calls"), k, st)
            symbolize_stack(s, json_object_get(st, "stack"), pid);
        json_array_foreach(json_object_get(p, "findings"), k, st)
            symbolize_stack(s, json_object_get(st, "stack"), pid);
    }
}
