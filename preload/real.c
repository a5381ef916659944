/* real.c -- resolve the real functions once, at load, and lazily for early callers.
 *
 * What dlsym(RTLD_NEXT, name) answers: the definition in the first object
 * after the agent in the loader's search order (libc, or another preloaded
 * interposer after us). At load the agent looks all its names up itself in
 * those objects' GNU hash tables, the way the loader does, because a hundred
 * dlsym calls cost a preloaded process that never runs a loop more than the
 * rest of the agent's start together (each takes the loader's lock, sets up
 * its error handling and walks every object). A name the quick lookup does
 * not settle (an object without a GNU hash table, a symbol with several
 * default versions) falls back to dlsym.
 */
#include "real.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

#include "state.h"

LS_HIDDEN void *ls_real_table[LS_FN_COUNT];
LS_HIDDEN int ls_real_fallbacks;

void *ls_real_resolve(int fn)
{
    void *p = dlsym(RTLD_NEXT, ls_calls[fn].name);
    if (p) __atomic_store_n(&ls_real_table[fn], p, __ATOMIC_RELAXED);
    return p;
}

/* One object's dynamic symbol table, as the quick lookup needs it. */
struct object {
    ElfW(Addr) base;
    const ElfW(Sym) * symtab;
    const char *strtab;
    const ElfW(Half) * versym; /* NULL: unversioned */
    const uint32_t *gnu_hash;
};

static int object_of(const struct link_map *m, struct object *o)
{
    memset(o, 0, sizeof *o);
    o->base = m->l_addr;
    for (const ElfW(Dyn) *d = m->l_ld; d && d->d_tag != DT_NULL; d++) {
        /* The loader relocates these entries to addresses in writable dynamic
         * sections; a read-only one (the vDSO's) keeps offsets from the base. */
        ElfW(Addr) a = d->d_un.d_ptr;
        if (a < o->base) a += o->base;
        switch (d->d_tag) {
        case DT_SYMTAB:
            o->symtab = (const void *)a;
            break;
        case DT_STRTAB:
            o->strtab = (const void *)a;
            break;
        case DT_VERSYM:
            o->versym = (const void *)a;
            break;
        case DT_GNU_HASH:
            o->gnu_hash = (const void *)a;
            break;
        default:
            break;
        }
    }
    return o->symtab && o->strtab && o->gnu_hash ? 0 : -1;
}

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = h * 33 + *p;
    return h;
}

/* The defined, default-version function or object called name in o: its
 * address, NULL when o does not define it, or (void *)-1 when it is not
 * clear (left to dlsym). */
static void *lookup(const struct object *o, const char *name, uint32_t h)
{
    const uint32_t *t = o->gnu_hash;
    uint32_t nbuckets = t[0], symoffset = t[1], bloom_size = t[2], bloom_shift = t[3];
    const ElfW(Addr) *bloom = (const void *)&t[4];
    const uint32_t *buckets = (const void *)&bloom[bloom_size];
    const uint32_t *chain = &buckets[nbuckets];
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    ElfW(Addr) word = bloom[(h / bits) % bloom_size];
    ElfW(Addr) mask =
        ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
    if ((word & mask) != mask) return NULL;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset) return NULL;
    void *found = NULL;
    for (;; i++) {
        uint32_t ch = chain[i - symoffset];
        const ElfW(Sym) *s = &o->symtab[i];
        if ((ch | 1) == (h | 1) && !strcmp(o->strtab + s->st_name, name) &&
            s->st_shndx != SHN_UNDEF &&
            (ELF64_ST_TYPE(s->st_info) == STT_FUNC || ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC ||
             ELF64_ST_TYPE(s->st_info) == STT_OBJECT)) {
            /* The default version only: not hidden (bit 15), not a local index. */
            if (!o->versym || (!(o->versym[i] & 0x8000) && (o->versym[i] & 0x7fff) >= 1)) {
                if (found) return (void *)-1;
                found = (void *)(o->base + s->st_value);
                if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
                    return (void *)-1; /* the resolver must run */
            }
        }
        if (ch & 1) break;
    }
    return found;
}

static struct link_map *self_map(void)
{
    Dl_info info;
    struct link_map *m = NULL;
    if (!dladdr1((void *)ls_real_resolve_all, &info, (void **)&m, RTLD_DL_LINKMAP)) return NULL;
    return m;
}

void ls_real_resolve_all(void)
{
    /* The objects after the agent, read once: their dynamic sections are
     * not walked again for every name. */
    struct object objs[64];
    int nobj = 0, unreadable = 0;
    struct link_map *self = self_map();
    for (const struct link_map *m = self ? self->l_next : NULL; m && nobj < 64; m = m->l_next) {
        if (object_of(m, &objs[nobj]) != 0) {
            unreadable = 1; /* an object the quick lookup cannot read: dlsym for every name */
            break;
        }
        nobj++;
    }
    if (!self || unreadable) nobj = 0;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        if (ls_real_table[fn]) continue;
        void *p = NULL;
        uint32_t h = gnu_hash(ls_calls[fn].name);
        for (int k = 0; k < nobj && !p; k++)
            p = lookup(&objs[k], ls_calls[fn].name, h);
        if (p && p != (void *)-1 && nobj) {
            __atomic_store_n(&ls_real_table[fn], p, __ATOMIC_RELAXED);
        } else {
            ls_real_fallbacks++;
            ls_real_resolve(fn);
        }
    }
}
