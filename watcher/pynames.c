/* pynames.c -- describe captured interpreter frames into the record's name table (see pynames.h).
 */
#include "pynames.h"

#include <string.h>

/* Appends a string to the table's bytes; its offset, or UINT32_MAX when full. */
static uint32_t put_str(struct ls_pynames *t, const char *s)
{
    uint32_t n = (uint32_t)strlen(s) + 1;
    uint32_t at = atomic_fetch_add_explicit(&t->used, n, memory_order_relaxed);
    if (at + n > LS_PYSTR_BYTES) return UINT32_MAX;
    memcpy(t->str + at, s, n);
    return at;
}

/* The entry for code: found, or claimed and filled (compare-exchange on the
 * code pointer, then the strings, then ready). Its index + 1, or 0. */
static uint32_t intern(struct ls_pynames *t, uint64_t code, const char *qualname, const char *file,
                       int firstlineno)
{
    uint32_t h = (uint32_t)((code * 0x9e3779b97f4a7c15ULL) >> 54) % LS_PYNAMES;
    for (uint32_t probe = 0; probe < 64; probe++) {
        struct ls_pyname *e = &t->e[(h + probe) % LS_PYNAMES];
        uint64_t have = atomic_load_explicit(&e->code, memory_order_acquire);
        if (have == code)
            return atomic_load_explicit(&e->ready, memory_order_acquire)
                       ? (h + probe) % LS_PYNAMES + 1
                       : 0;
        if (have) continue;
        uint64_t expect = 0;
        if (!atomic_compare_exchange_strong(&e->code, &expect, code)) {
            if (expect == code) return 0; /* another thread is filling it */
            continue;
        }
        uint32_t q = put_str(t, qualname), f = put_str(t, file);
        if (q == UINT32_MAX || f == UINT32_MAX) return 0;
        e->qualname = q;
        e->file = f;
        e->firstlineno = firstlineno;
        atomic_store_explicit(&e->ready, 1, memory_order_release);
        return (h + probe) % LS_PYNAMES + 1;
    }
    return 0;
}

void ls_pynames_resolve(struct ls_record *r, pid_t pid, struct ls_stack *s)
{
    if (!s->npy || !atomic_load_explicit(&r->py_ready, memory_order_acquire)) return;
    pid_t target = pid;
    struct ls_mem m = {ls_mem_read_pid, &target};
    uint32_t n = s->npy < LS_PY_FRAMES ? s->npy : LS_PY_FRAMES;
    for (uint32_t i = 0; i < n; i++) {
        struct ls_pyframe *f = &s->py[i];
        if (f->name) continue;
        struct ls_py_raw raw = {.code = f->code, .lasti = f->lasti, .entry = (uint8_t)f->entry};
        char qualname[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
        int line = -1;
        if (ls_py_describe(&r->py_layout, &m, &raw, qualname, sizeof qualname, file, sizeof file,
                           &line) != 0)
            continue;
        f->name = intern(&r->pynames, f->code, qualname, file, 0);
        f->line = line > 0 ? line : 0;
    }
}
