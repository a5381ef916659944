/* real.c -- the real functions behind the wrappers, each looked up the first time it is needed.
 *
 * What dlsym(RTLD_NEXT, name) answers: the definition in the first object
 * after the agent in the loader's search order (libc, or another preloaded
 * interposer after us). The agent looks a name up itself, in those objects'
 * GNU hash tables the way the loader does, on the first call that needs it:
 * a process resolves only what it calls (a hundred names resolved at load
 * cost a process that never runs a loop 26,000 instructions). The quick
 * lookup takes no lock and allocates nothing, so a first call may come from a
 * signal handler, from another library's constructor before ours, or from
 * two threads at once (both store the same pointer). A name it does not
 * settle (an object without a GNU hash table, a symbol with several default
 * versions, an indirect function) falls back to dlsym.
 */
#include "real.h"

#include <dlfcn.h>
#include <elf.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <string.h>

#include "raw_calls.h"
#include "state.h"

#define LS_AFTER_MAX 64 /* objects after the agent searched by the quick lookup */

LS_HIDDEN void *ls_real_table[LS_FN_COUNT];
LS_HIDDEN void *ls_pass_table[LS_FN_COUNT];
/* 1 once an injection rule is active: nothing passes straight through (ls_real_pass_off). */
static _Atomic int pass_off;
LS_HIDDEN _Atomic int ls_real_fallbacks;
/* 1 once the agent's own thread is there (the stand-ins' reason); and 1 once the host has a
 * thread of its own or has cancelled one: glibc's again, for good. glibc's functions the
 * stand-ins replaced are in ls_raw_glibc (raw_calls.c). */
static _Atomic int own_thread, threads_begun;

/* The agent's own object and how many came after it when it was first asked: objects a
 * dlopen adds later are not in the search list RTLD_NEXT walks (they come after these). */
static struct link_map *_Atomic self_map;
static _Atomic int self_known; /* 1: self_map and after_count are set (or self_map is NULL) */
static _Atomic int after_count;

LS_COLD static struct link_map *find_self_map(void)
{
    struct link_map *m = NULL;
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)
    /* Lock-free and safe in a signal handler, unlike dladdr. */
    struct dl_find_object o;
    if (_dl_find_object((void *)find_self_map, &o) == 0) return o.dlfo_link_map;
#endif
    Dl_info info;
    if (!dladdr1((void *)find_self_map, &info, (void **)&m, RTLD_DL_LINKMAP)) return NULL;
    return m;
}

LS_COLD struct link_map *ls_real_self(void)
{
    if (LS_LIKELY(atomic_load_explicit(&self_known, memory_order_acquire)))
        return atomic_load_explicit(&self_map, memory_order_relaxed);
    struct link_map *m = find_self_map();
    int n = 0;
    for (const struct link_map *o = m ? m->l_next : NULL; o && n < LS_AFTER_MAX; o = o->l_next)
        n++;
    /* Racing callers find the same object; the first count stands. */
    int unset = 0;
    atomic_compare_exchange_strong(&after_count, &unset, n);
    atomic_store_explicit(&self_map, m, memory_order_relaxed);
    atomic_store_explicit(&self_known, 1, memory_order_release);
    return m;
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

#define UNCLEAR ((void *)-1)

/* The defined, default-version function or object called name in o: its
 * address, NULL when o does not define it, or UNCLEAR (left to dlsym). */
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
    const ElfW(Sym) *found = NULL;
    for (;; i++) {
        uint32_t ch = chain[i - symoffset];
        const ElfW(Sym) *s = &o->symtab[i];
        if ((ch | 1) == (h | 1) && !strcmp(o->strtab + s->st_name, name) &&
            s->st_shndx != SHN_UNDEF &&
            (ELF64_ST_TYPE(s->st_info) == STT_FUNC || ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC ||
             ELF64_ST_TYPE(s->st_info) == STT_OBJECT)) {
            /* The default version only: not hidden (bit 15), not a local index. */
            if (!o->versym || (!(o->versym[i] & 0x8000) && (o->versym[i] & 0x7fff) >= 1)) {
                if (found) return UNCLEAR;
                found = s;
            }
        }
        if (ch & 1) break;
    }
    if (!found) return NULL;
    if (ELF64_ST_TYPE(found->st_info) == STT_GNU_IFUNC) return UNCLEAR; /* its resolver must run */
    return (void *)(o->base + found->st_value);
}

/* The quick lookup over the objects after the agent, one at a time (a few words of stack: a
 * signal handler's may be small); UNCLEAR when an object cannot be read or a name is not clear. */
static void *quick(const char *name)
{
    struct link_map *self = ls_real_self();
    if (!self) return UNCLEAR;
    uint32_t h = gnu_hash(name);
    int n = atomic_load_explicit(&after_count, memory_order_relaxed);
    const struct link_map *m = self->l_next;
    for (int k = 0; k < n && m; k++, m = m->l_next) {
        struct object o;
        if (object_of(m, &o) != 0) return UNCLEAR;
        void *p = lookup(&o, name, h);
        if (p) return p;
    }
    return n == LS_AFTER_MAX ? UNCLEAR : NULL; /* past the objects counted: dlsym's to say */
}

/* 1 where glibc is the version raw_calls.c follows (2.36): its wrappers' system calls are
 * those. Asked once; the answer is a constant string in glibc. */
static int glibc_checked(void)
{
    static _Atomic int known; /* 0: not asked; 1: yes; 2: no */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (!k) {
        const char *v = gnu_get_libc_version();
        k = v && !strcmp(v, "2.36") ? 1 : 2;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k == 1;
}

/* 1 when p is glibc's own function (libc.so.6), not another interposer's. */
static int in_libc(void *p)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)
    struct dl_find_object o;
    if (_dl_find_object(p, &o) != 0 || !o.dlfo_link_map || !o.dlfo_link_map->l_name) return 0;
    const char *name = o.dlfo_link_map->l_name, *base = strrchr(name, '/');
    return !strcmp(base ? base + 1 : name, "libc.so.6");
#else
    (void)p;
    return 0;
#endif
}

/* Stores p as fn's real function, and as the one to pass to unless a rule is active. Stored,
 * then the flag looked at: a rule made active at the same instant on another thread
 * (ls_real_pass_off) either is seen here or clears this entry after it was stored. */
static void store(int fn, void *p)
{
    __atomic_store_n(&ls_real_table[fn], p, __ATOMIC_SEQ_CST);
    __atomic_store_n(&ls_pass_table[fn], p, __ATOMIC_SEQ_CST);
    if (atomic_load(&pass_off)) __atomic_store_n(&ls_pass_table[fn], NULL, __ATOMIC_RELAXED);
}

/* fn's stand-in where it may replace p, glibc's function, now; else NULL. */
static void *stand_in(int fn, void *p)
{
    /* Asked in this order: a process whose loop never started the agent's thread touches no
     * page of raw_calls.c's. */
    if (!atomic_load(&own_thread) || atomic_load(&threads_begun)) return NULL;
    void *raw = ls_raw_call(fn);
    return raw && glibc_checked() && in_libc(p) ? raw : NULL;
}

/* Stores fn's stand-in in place of glibc's p, and puts p back if the host's first thread came
 * at the same instant (ls_real_threads_begin). What the tables hold then. */
static void *store_stand_in(int fn, void *p, void *raw)
{
    __atomic_store_n(&ls_raw_glibc[fn], p, __ATOMIC_SEQ_CST);
    store(fn, raw);
    if (!atomic_load(&threads_begun)) return raw;
    store(fn, p);
    return p;
}

LS_COLD void *ls_real_resolve(int fn)
{
    void *p = quick(ls_calls[fn].name);
    if (p == UNCLEAR) {
        atomic_fetch_add_explicit(&ls_real_fallbacks, 1, memory_order_relaxed);
        p = dlsym(RTLD_NEXT, ls_calls[fn].name);
    }
    if (!p) return NULL;
    void *raw = stand_in(fn, p);
    if (raw) return store_stand_in(fn, p, raw);
    store(fn, p);
    return p;
}

LS_COLD void ls_real_own_thread_begins(void)
{
    if (atomic_exchange(&own_thread, 1)) return;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        void *p = __atomic_load_n(&ls_real_table[fn], __ATOMIC_SEQ_CST);
        void *raw = p ? stand_in(fn, p) : NULL;
        if (raw) store_stand_in(fn, p, raw);
    }
}

LS_COLD void ls_real_threads_begin(void)
{
    if (atomic_exchange(&threads_begun, 1)) return;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        void *p = __atomic_load_n(&ls_raw_glibc[fn], __ATOMIC_SEQ_CST);
        if (p) store(fn, p);
    }
}

LS_COLD void ls_real_pass_off(void)
{
    atomic_store(&pass_off, 1);
    for (int fn = 0; fn < LS_FN_COUNT; fn++)
        __atomic_store_n(&ls_pass_table[fn], NULL, __ATOMIC_SEQ_CST);
}
