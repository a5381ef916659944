/* modules.c -- the loaded objects at report time, so frames carry module, offset and build-id. */
#include "modules.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define MAX_MODULES 512

struct module {
    uintptr_t base, lo, hi;
    char path[256];
    char build_id[41];
};

static struct module modules[MAX_MODULES];

/* dladdr scans a module's symbols linearly; frames repeat across stalls, so
 * each report asks it once per distinct address. */
#define SYM_CACHE 4096
static struct {
    uintptr_t ip;
    const char *symbol;
} sym_cache[SYM_CACHE];
static int nmodules;
static char exe_path[256];

static void read_build_id(struct dl_phdr_info *info, char out[41])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\0';
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const void *)p;
            const char *name = p + sizeof *nh;
            const unsigned char *desc = (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                size_t n = nh->n_descsz > 20 ? 20 : nh->n_descsz;
                for (size_t k = 0; k < n; k++) {
                    out[2 * k] = hex[desc[k] >> 4];
                    out[2 * k + 1] = hex[desc[k] & 15];
                }
                out[2 * n] = '\0';
                return;
            }
            p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (nmodules == MAX_MODULES) return 1;
    struct module *m = &modules[nmodules];
    m->base = info->dlpi_addr;
    m->lo = UINTPTR_MAX;
    m->hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (lo < m->lo) m->lo = lo;
        if (hi > m->hi) m->hi = hi;
    }
    if (m->hi == 0) return 0;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : exe_path;
    size_t n = strlen(name);
    if (n >= sizeof m->path) n = sizeof m->path - 1;
    memcpy(m->path, name, n);
    m->path[n] = '\0';
    read_build_id(info, m->build_id);
    nmodules++;
    return 0;
}

void ls_modules_refresh(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = '\0';
    nmodules = 0;
    dl_iterate_phdr(add_module, NULL);
    memset(sym_cache, 0, sizeof sym_cache); /* modules may have come and gone */
}

void ls_modules_lookup(uintptr_t ip, struct ls_frame_info *out)
{
    memset(out, 0, sizeof *out);
    out->offset = ip;
    for (int i = 0; i < nmodules; i++) {
        struct module *m = &modules[i];
        if (ip < m->lo || ip >= m->hi) continue;
        out->module = m->path;
        out->build_id = m->build_id[0] ? m->build_id : NULL;
        out->offset = ip - m->base;
        break;
    }
    /* dladdr finds the nearest exported symbol below ip; it names the frame only
     * when ip lies inside that symbol, or a static function would get a
     * neighbour's name. */
    unsigned h = (unsigned)((ip * 0x9e3779b97f4a7c15ULL) >> 52) & (SYM_CACHE - 1);
    for (unsigned probe = 0; probe < 8; probe++) {
        unsigned k = (h + probe) & (SYM_CACHE - 1);
        if (sym_cache[k].ip == ip) {
            out->symbol = sym_cache[k].symbol;
            return;
        }
        if (!sym_cache[k].ip) {
            h = k;
            break;
        }
    }
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (dladdr1((void *)ip, &info, (void **)&sym, RTLD_DL_SYMENT) && info.dli_sname && sym &&
        info.dli_saddr && ip >= (uintptr_t)info.dli_saddr &&
        ip < (uintptr_t)info.dli_saddr + (sym->st_size ? sym->st_size : 1))
        out->symbol = info.dli_sname;
    sym_cache[h].ip = ip;
    sym_cache[h].symbol = out->symbol;
}
