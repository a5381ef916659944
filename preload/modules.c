/* modules.c -- the record's table of loaded objects, with build-ids (see modules.h). */
#include "modules.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "identity.h"
#include "state.h"

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
    uint32_t *n = arg;
    struct ls_record *r = ls_proc.rec;
    if (*n == LS_MODULES) return 1;
    struct ls_module *m = &r->modules[*n];
    m->base = info->dlpi_addr;
    m->lo = UINT64_MAX;
    m->hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (lo < m->lo) m->lo = lo;
        if (hi > m->hi) m->hi = hi;
    }
    if (m->hi == 0) return 0;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : ls_identity_exe();
    size_t len = strlen(name);
    if (len >= sizeof m->path) len = sizeof m->path - 1;
    memcpy(m->path, name, len);
    m->path[len] = '\0';
    read_build_id(info, m->build_id);
    (*n)++;
    return 0;
}

/* glibc's fork resets the loader's main lock in the child, not the write lock dl_iterate_phdr
 * holds. A child forked while one of the agent's walks below ran on another thread (the loop
 * thread refreshes the table at each stall's end) would inherit it held, and the agent's next
 * walk in the child (at its own stall's end, or at its exit) would wait for it forever: one child
 * in a few thousand of tests/hostile's fork storm did, under run. So a fork waits for the walks
 * in progress (the prepare handler), and no walk begins until it is made. Both waits are
 * bounded: a walker never holds up a fork, nor a fork a loop, for more than a second. */
#define WALK_WAIT_NS 1000000000ULL
static _Atomic int walkers; /* threads inside one of the walks below */
static _Atomic int forking; /* a fork is being made: no walk begins */
static __thread int walking __attribute__((tls_model("initial-exec"))); /* this thread walks */

static void wait_while(_Atomic int *v)
{
    uint64_t until = ls_mono_ns() + WALK_WAIT_NS;
    while (atomic_load(v) > 0 && ls_mono_ns() < until)
        syscall(SYS_sched_yield);
}

static int walk(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
    atomic_fetch_add(&walkers, 1);
    if (LS_UNLIKELY(atomic_load(&forking))) {
        atomic_fetch_sub(&walkers, 1);
        wait_while(&forking);
        atomic_fetch_add(&walkers, 1);
    }
    walking = 1;
    int r = dl_iterate_phdr(cb, arg);
    walking = 0;
    atomic_fetch_sub(&walkers, 1);
    return r;
}

void ls_modules_fork_prepare(void)
{
    atomic_store(&forking, 1);
    /* A fork from a signal handler that interrupted this thread's own walk: the lock is this
     * thread's, and waiting for itself would only take the second. */
    if (!walking) wait_while(&walkers);
}

void ls_modules_fork_parent(void)
{
    atomic_store(&forking, 0);
}

void ls_modules_fork_child(void)
{
    atomic_store(&walkers, 0); /* the other threads' walks are the parent's */
    atomic_store(&forking, 0);
    walking = 0;
}

static int loader_adds(struct dl_phdr_info *info, size_t size, void *arg)
{
    uint64_t *adds = arg;
    /* dlpi_adds/subs exist when size says so (glibc >= 2.4). */
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        *adds = (uint64_t)info->dlpi_adds * 1000003ULL + (uint64_t)info->dlpi_subs;
    return 1;
}

void ls_modules_refresh(void)
{
    struct ls_record *r = ls_proc.rec;
    int saved = errno;
    uint64_t adds = 0;
    walk(loader_adds, &adds);
    if (adds && adds == r->modules_adds && atomic_load(&r->nmodules)) {
        errno = saved;
        return;
    }
    (void)ls_identity_exe(); /* read now, not under the loader's lock in add_module */
    /* Odd while the table changes, so a reader copies it whole. */
    atomic_fetch_add_explicit(&r->modules_seq, 1, memory_order_acq_rel);
    uint32_t n = 0;
    walk(add_module, &n);
    atomic_store_explicit(&r->nmodules, n, memory_order_relaxed);
    r->modules_adds = adds;
    atomic_fetch_add_explicit(&r->modules_seq, 1, memory_order_acq_rel);
    errno = saved;
}

/* The agent's own ELF header, where the linker says it is: its program headers follow, so the
 * text range is known without asking the loader (dladdr walks every object). */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

LS_COLD void ls_modules_find_self(void)
{
    const ElfW(Ehdr) *eh = &__ehdr_start;
    const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
    uintptr_t base = 0;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) base = (uintptr_t)eh - ph[i].p_vaddr;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X)) continue;
        uint64_t lo = base + ph[i].p_vaddr, hi = lo + ph[i].p_memsz;
        if (!ls_proc.self_lo || lo < ls_proc.self_lo) ls_proc.self_lo = lo;
        if (hi > ls_proc.self_hi) ls_proc.self_hi = hi;
    }
}
