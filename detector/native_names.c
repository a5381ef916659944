/* native_names.c -- symbols and lines of native code with elfutils (libdw).
 *
 * Each module is opened once with libdw, which also follows build-id and
 * debuglink to separate debug files (/usr/lib/debug). A report names the
 * paths to open, so only regular files are opened (a FIFO would hang).
 */
#include "native_names.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regular_file.h"

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

struct module_cache {
    char *path;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    char build_id[41];
};

struct ls_native_names {
    struct module_cache *mods;
    size_t nmods;
    json_t *mod_index; /* path -> index into mods */
};

static char *debuginfo_path;
static const Dwfl_Callbacks offline_callbacks = {
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct ls_native_names *ls_native_names_new(void)
{
    struct ls_native_names *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->mod_index = json_object();
    return n;
}

void ls_native_names_free(struct ls_native_names *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nmods; i++) {
        if (n->mods[i].dwfl) dwfl_end(n->mods[i].dwfl);
        free(n->mods[i].path);
    }
    free(n->mods);
    json_decref(n->mod_index);
    free(n);
}

static struct module_cache *module_for(struct ls_native_names *n, const char *path)
{
    json_t *known = json_object_get(n->mod_index, path);
    if (known) return &n->mods[json_integer_value(known)];
    n->mods = realloc(n->mods, (n->nmods + 1) * sizeof *n->mods);
    json_object_set_new(n->mod_index, path, json_integer((json_int_t)n->nmods));
    struct module_cache *m = &n->mods[n->nmods++];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    char why[256];
    int fd = ls_open_regular(path, why, sizeof why);
    if (fd < 0) return m; /* missing, or a FIFO or device: nothing to read there */
    m->dwfl = dwfl_begin(&offline_callbacks);
    if (!m->dwfl) {
        close(fd);
        return m;
    }
    /* libdwfl keeps the descriptor when it takes the module, and leaves it to us when not. */
    m->mod = dwfl_report_offline(m->dwfl, path, path, fd);
    if (!m->mod) close(fd);
    dwfl_report_end(m->dwfl, NULL, NULL);
    const unsigned char *bits;
    GElf_Addr vaddr;
    int nbits = m->mod ? dwfl_module_build_id(m->mod, &bits, &vaddr) : 0;
    for (int i = 0; i < nbits && i < 20; i++)
        snprintf(m->build_id + 2 * i, 3, "%02x", bits[i]);
    return m;
}

static void set_symbol(json_t *answer, const char *name)
{
    int status = -1;
    char *dem = NULL;
    if (name[0] == '_' && name[1] == 'Z') dem = __cxa_demangle(name, NULL, NULL, &status);
    json_object_set_new(answer, "symbol", json_string(status == 0 && dem ? dem : name));
    free(dem);
}

json_t *ls_native_names_look_up(struct ls_native_names *n, const char *module, unsigned long off,
                                const char *want_build_id)
{
    json_t *answer = json_object();
    struct module_cache *m = module_for(n, module);
    if (!m->mod) return answer;
    if (want_build_id && m->build_id[0] && strcmp(want_build_id, m->build_id) != 0)
        return answer; /* the file changed since the run: its names would lie */
    Dwarf_Addr bias = 0;
    dwfl_module_getelf(m->mod, &bias);
    Dwarf_Addr addr = off + bias;
    GElf_Sym sym;
    GElf_Off symoff;
    const char *name = dwfl_module_addrinfo(m->mod, addr, &symoff, &sym, NULL, NULL, NULL);
    if (name && (sym.st_size == 0 || symoff < sym.st_size)) set_symbol(answer, name);
    Dwfl_Line *line = dwfl_module_getsrc(m->mod, addr);
    if (line) {
        int lineno = 0;
        const char *src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        if (src && lineno > 0) {
            json_object_set_new(answer, "file", json_string(src));
            json_object_set_new(answer, "line", json_integer(lineno));
        }
    }
    return answer;
}
