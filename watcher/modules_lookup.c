/* modules_lookup.c -- module + offset for raw addresses (see modules_lookup.h). */
#include "modules_lookup.h"

#include <stdio.h>
#include <string.h>

int ls_modules_copy(const struct ls_record *r, struct ls_module *out, uint32_t *n)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        uint32_t s1 = atomic_load_explicit(&r->modules_seq, memory_order_acquire);
        if (s1 & 1) continue;
        uint32_t m = atomic_load_explicit(&r->nmodules, memory_order_relaxed);
        if (m > LS_MODULES) m = LS_MODULES;
        memcpy(out, r->modules, m * sizeof *out);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&r->modules_seq, memory_order_relaxed) != s1) continue;
        for (uint32_t i = 0; i < m; i++) {
            out[i].path[LS_MODULE_PATH - 1] = '\0';
            out[i].build_id[40] = '\0';
        }
        *n = m;
        return 0;
    }
    *n = 0;
    return -1;
}

const struct ls_module *ls_module_of(const struct ls_module *tab, uint32_t n, uint64_t ip)
{
    for (uint32_t i = 0; i < n; i++)
        if (ip >= tab[i].lo && ip < tab[i].hi) return &tab[i];
    return NULL;
}

int ls_pyname_get(const struct ls_record *r, uint32_t name, const char **qualname,
                  const char **file, int *firstlineno)
{
    if (!name || name > LS_PYNAMES) return 0;
    const struct ls_pyname *e = &r->pynames.e[name - 1];
    if (!atomic_load_explicit(&e->ready, memory_order_acquire)) return 0;
    if (e->qualname >= LS_PYSTR_BYTES || e->file >= LS_PYSTR_BYTES) return 0;
    const char *q = r->pynames.str + e->qualname, *f = r->pynames.str + e->file;
    if (!memchr(q, '\0', LS_PYSTR_BYTES - e->qualname) ||
        !memchr(f, '\0', LS_PYSTR_BYTES - e->file))
        return 0;
    *qualname = q;
    *file = f;
    if (firstlineno) *firstlineno = e->firstlineno;
    return 1;
}

int ls_stack_innermost_name(const struct ls_record *r, const struct ls_stack *s, char *out,
                            size_t len)
{
    const char *q, *f;
    if (s->npy && ls_pyname_get(r, s->py[0].name, &q, &f, NULL)) {
        const char *base = strrchr(f, '/');
        snprintf(out, len, "%s (%s:%d)", q, base ? base + 1 : f, (int)s->py[0].line);
        return 1;
    }
    if (!s->n) return 0;
    /* Static: too big for a stack, and only the watcher's one thread names frames. */
    static struct ls_module tab[LS_MODULES];
    uint32_t n;
    if (ls_modules_copy(r, tab, &n) != 0) return 0;
    const struct ls_module *m = ls_module_of(tab, n, s->ip[0]);
    if (!m) {
        snprintf(out, len, "0x%llx", (unsigned long long)s->ip[0]);
        return 1;
    }
    const char *base = strrchr(m->path, '/');
    snprintf(out, len, "%s+0x%llx", base ? base + 1 : m->path,
             (unsigned long long)(s->ip[0] - m->base));
    return 1;
}
