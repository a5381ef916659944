/* unwind.c -- the agent's stack walker: DWARF CFI where a module describes the pc, the
 * frame-pointer chain where none does, every read bounded or fault-safe (see unwind.h for the
 * promises).
 *
 * A walk keeps the caller-visible registers of one frame (x86-64 DWARF numbering, the return
 * address in column 16) and steps to the caller's: the module holding the pc comes from
 * _dl_find_object, its FDE from the .eh_frame_hdr table, the row for the pc from running the CIE's
 * and FDE's CFA programs, the caller's registers from that row. Everything lives on the walker's
 * stack; the only shared state is the list of objects present at load, written once by a
 * constructor before the host's main runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* _dl_find_object, REG_RIP */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "unwind.h"

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(LS_UNWIND_FP_ONLY)
#if __GLIBC_PREREQ(2, 35)
#define LS_UNWIND_CFI 1 /* DWARF CFI through _dl_find_object; else frame pointers only */
#endif
#endif

#ifdef LS_UNWIND_CFI
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#endif

/* Our register file: x86-64 DWARF numbers. The frame-pointer-only build uses the same three
 * slots for any architecture's pc, stack pointer and frame pointer. */
enum { R_RAX, R_RDX, R_RCX, R_RBX, R_RSI, R_RDI, R_RBP, R_RSP, R_R8, R_R15 = 15, R_PC, NREG };

#define LS_SKIP_MAX      64   /* frames skipped (agent text) on top of max, at most */
#define LS_CFA_MAX_INSNS 4096 /* CFA instructions run per CIE or FDE program */
#define LS_EXPR_MAX_OPS  64   /* DWARF expression operations per evaluation */
#define LS_EXPR_STACK    8    /* DWARF expression stack depth */
#define LS_STATE_DEPTH   2    /* DW_CFA_remember_state nesting; libc, node, libcrypto use 1 */
#define LS_SAFE_BLOCK    64   /* bytes fetched per fault-safe read */

struct regs {
    uint64_t v[NREG];
    uint32_t known; /* bit r: v[r] is this frame's value of register r */
};

#ifdef LS_UNWIND_CFI
/* A CIE, the part of an FDE that the functions of one module usually share. */
struct cie {
    uint64_t insns, end; /* initial instructions */
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc; /* 'R' */
    uint8_t has_z;   /* 'z': FDEs carry an augmentation length */
    uint8_t signal;  /* 'S': the frame of a signal trampoline */
};
#endif

/* Everything one walk reads through: the stack window, a one-block fault-safe cache, and the
 * last CIE parsed. */
struct walk {
    uint64_t lo, hi;   /* stack reads stay in [lo, hi) */
    int pid;           /* for process_vm_readv; 0 until the first fault-safe read */
    uint64_t blk_addr; /* the cached block's address, blk_len bytes valid */
    uint32_t blk_len;
    uint8_t blk[LS_SAFE_BLOCK];
#ifdef LS_UNWIND_CFI
    uint64_t cie_at; /* cie's address; 0: none yet */
    struct cie cie;
#endif
};

typedef uint64_t __attribute__((aligned(1), may_alias)) u64_unaligned;
typedef uint32_t __attribute__((aligned(1), may_alias)) u32_unaligned;
typedef uint16_t __attribute__((aligned(1), may_alias)) u16_unaligned;

/* What one step found: a caller, the end of the stack, a frame it cannot step past, or no
 * CFI for the pc (the frame-pointer chain is tried next). */
enum { STEP_END = 0, STEP_OK = 1, STEP_STOP = -1, STEP_NOINFO = -2 };

static int has(const struct regs *r, int reg)
{
    return (r->known >> reg) & 1;
}

static void set(struct regs *r, int reg, uint64_t v)
{
    r->v[reg] = v;
    r->known |= 1u << reg;
}

/* Reads 8 bytes of stack memory, only inside the walk's window. A plain load: the window is the
 * thread's own mapped stack above its stack pointer. */
static int stack_load(const struct walk *w, uint64_t addr, uint64_t *v)
{
    if (addr < w->lo || w->hi < 8 || addr > w->hi - 8) return -1;
    *v = *(const u64_unaligned *)(uintptr_t)addr;
    return 0;
}

/* One step of the frame-pointer chain: [rbp] is the caller's rbp, [rbp+8] its pc, rbp+16 its
 * stack pointer. As libunwind's "trying frame-chain": rbp must lie above the current stack pointer
 * (so each step climbs and a loop is impossible), inside the stack, 8-aligned. The registers the
 * frame may have saved and changed are no longer known. */
static int fp_step(const struct walk *w, struct regs *r)
{
    if (!has(r, R_RBP) || !has(r, R_RSP)) return STEP_STOP;
    uint64_t fp = r->v[R_RBP], prev_fp, ret;
    if (fp == 0) return STEP_END; /* the ABI's end of the chain */
    if ((fp & 7) || fp < r->v[R_RSP] || fp > UINT64_MAX - 16) return STEP_STOP;
    if (stack_load(w, fp, &prev_fp) != 0 || stack_load(w, fp + 8, &ret) != 0) return STEP_STOP;
    r->known = 0;
    set(r, R_RBP, prev_fp);
    set(r, R_RSP, fp + 16);
    set(r, R_PC, ret);
    return ret ? STEP_OK : STEP_END;
}

#ifdef LS_UNWIND_CFI

/* Reads n bytes anywhere without ever faulting: the kernel copies them (process_vm_readv on our
 * own pid) and fails with EFAULT on memory that is not mapped readable. One block is cached
 * because the CFI parsers read small fields in sequence. The caller keeps errno. */
static int safe_copy(struct walk *w, uint64_t addr, void *dst, uint32_t n)
{
    uint8_t *out = dst;
    if (n > LS_SAFE_BLOCK || addr + n < addr) return -1;
    if (!(w->blk_len && addr >= w->blk_addr && addr + n <= w->blk_addr + w->blk_len)) {
        if (!w->pid) w->pid = (int)syscall(SYS_getpid);
        struct iovec local = {w->blk, LS_SAFE_BLOCK};
        struct iovec remote = {(void *)(uintptr_t)addr, LS_SAFE_BLOCK};
        long got = syscall(SYS_process_vm_readv, w->pid, &local, 1UL, &remote, 1UL, 0UL);
        if (got < (long)n) {
            /* The block may run into an unmapped page the n bytes do not need. */
            local.iov_len = remote.iov_len = n;
            got = syscall(SYS_process_vm_readv, w->pid, &local, 1UL, &remote, 1UL, 0UL);
            if (got != (long)n) {
                w->blk_len = 0;
                return -1;
            }
        }
        w->blk_addr = addr;
        w->blk_len = (uint32_t)got;
    }
    const uint8_t *src = w->blk + (addr - w->blk_addr);
    for (uint32_t i = 0; i < n; i++)
        out[i] = src[i];
    return 0;
}

/* Reads 8 bytes for a DWARF expression or an expression rule: a plain load inside the stack
 * window, fault-safe anywhere else (a signal frame on an alternate stack, a bad address). */
static int any_load(struct walk *w, uint64_t addr, uint64_t *v)
{
    if (stack_load(w, addr, v) == 0) return 0;
    uint8_t b[8];
    if (safe_copy(w, addr, b, 8) != 0) return -1;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | b[i];
    *v = x;
    return 0;
}

/* ---- Which objects' memory can be read directly ---- */

/* _dl_find_object vouches for an object while the object is loaded; a dlopen'd one can be
 * dlclose'd by another thread in the middle of a walk. Objects present when this library was
 * loaded are the host's startup set (glibc never unloads those), so their .eh_frame is read
 * with plain loads; any other object's is read fault-safely. An object dlopen'd by another
 * library's constructor before ours ran is the one case trusted without reason. */
#ifndef LS_UNWIND_TRUST_NO_OBJECT
#define LS_TRUSTED_MAX 256
/* A startup object: its .eh_frame_hdr and the extent of its loaded segments, from its program
 * headers (an executable's map end as _dl_find_object reports it can stop short of its unwind
 * tables: Node's does, at the end of its text). */
struct trusted_object {
    uint64_t hdr, lo, hi;
};
static struct trusted_object trusted_obj[LS_TRUSTED_MAX]; /* sorted by hdr */
static atomic_int trusted_n;
/* Objects loaded when this library was: the host's startup set. Initialized, so that it lives
 * in .data, in the page the loader writes at load anyway, not in a page of .bss of its own that
 * every process would fault in for one store. */
static int startup_count = -1;

/* Counting, when the agent (or a test that links this file) is loaded, before the host's main:
 * a walk of the loader's list, no lock, nothing written but the count. The table itself is
 * built at the first walk made outside a signal handler (ls_unwind_trust_startup), not here: a
 * process that never runs a loop never walks a stack, and building it costs a process's start
 * ~4 us on the machine of bench/README.md (dl_iterate_phdr's first call, a page of .bss). */
__attribute__((constructor)) static void count_startup_objects(void)
{
    int n = 0;
    for (const struct link_map *m = _r_debug.r_map; m; m = m->l_next)
        n++;
    startup_count = n;
}

struct startup_walk {
    int seen; /* objects visited, in the loader's order: the startup set comes first */
    int n;    /* entries of trusted_obj written */
};

static int note_startup_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct startup_walk *w = arg;
    int *n = &w->n;
    (void)size;
    if (w->seen++ >= startup_count) return 1; /* dlopen'd since: not trusted */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo) lo = a;
        if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
    }
    for (int i = 0; i < info->dlpi_phnum && *n < LS_TRUSTED_MAX; i++) {
        if (info->dlpi_phdr[i].p_type != PT_GNU_EH_FRAME) continue;
        uint64_t hdr = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        int j = *n;
        for (; j > 0 && trusted_obj[j - 1].hdr > hdr; j--)
            trusted_obj[j] = trusted_obj[j - 1];
        trusted_obj[j] = (struct trusted_object){hdr, lo, hi};
        (*n)++;
    }
    return 0;
}

void ls_unwind_trust_startup(void)
{
    static atomic_int built;
    int expect = 0;
    if (atomic_load_explicit(&built, memory_order_acquire) ||
        !atomic_compare_exchange_strong(&built, &expect, 1))
        return; /* a walk meanwhile reads every object fault-safely: slower, never wrong */
    struct startup_walk w = {0, 0};
    dl_iterate_phdr(note_startup_object, &w);
    atomic_store_explicit(&trusted_n, w.n, memory_order_release);
}

/* The startup object whose unwind table is at hdr, or NULL. */
static const struct trusted_object *trusted(uint64_t hdr)
{
    int lo = 0, hi = atomic_load_explicit(&trusted_n, memory_order_acquire);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (trusted_obj[mid].hdr == hdr) return &trusted_obj[mid];
        if (trusted_obj[mid].hdr < hdr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
#else
static const struct trusted_object {
    uint64_t hdr, lo, hi;
} * trusted(uint64_t hdr) /* tests: every module read fault-safely */
{
    (void)hdr;
    return NULL;
}

void ls_unwind_trust_startup(void) {}
#endif

/* ---- Reading a module's unwind tables ---- */

struct module {
    uint64_t lo, hi; /* its mapping: no table read leaves it */
    uint64_t hdr;    /* .eh_frame_hdr */
    int direct;      /* 1: loaded at startup, plain loads */
};

/* A cursor over module memory; any failed read sets bad and later reads return 0. */
struct rd {
    struct walk *w;
    const struct module *m;
    uint64_t p, end;
    int bad;
};

static void rd_bytes(struct rd *c, void *dst, uint32_t n)
{
    if (c->bad || c->p < c->m->lo || c->p + n < c->p || c->p + n > c->end) {
        c->bad = 1;
    } else if (c->m->direct) {
        const uint8_t *src = (const uint8_t *)(uintptr_t)c->p;
        for (uint32_t i = 0; i < n; i++)
            ((uint8_t *)dst)[i] = src[i];
    } else if (safe_copy(c->w, c->p, dst, n) != 0) {
        c->bad = 1;
    }
    if (c->bad) {
        for (uint32_t i = 0; i < n; i++)
            ((uint8_t *)dst)[i] = 0;
    }
    c->p += n;
}

static uint64_t rd_uint_bytes(struct rd *c, uint32_t n)
{
    uint8_t b[8];
    rd_bytes(c, b, n);
    uint64_t v = 0;
    for (uint32_t i = n; i > 0; i--)
        v = v << 8 | b[i - 1];
    return v;
}

/* Little-endian; n is 1, 2, 4 or 8. In a startup object, one plain load, inline (x86-64 is
 * little-endian and allows unaligned loads): the parsers read a few dozen fields a frame. */
static inline __attribute__((always_inline)) uint64_t rd_uint(struct rd *c, uint32_t n)
{
    uint64_t p = c->p;
    if (c->m->direct && !c->bad && p >= c->m->lo && p + n > p && p + n <= c->end) {
        c->p = p + n;
        switch (n) {
        case 1:
            return *(const uint8_t *)(uintptr_t)p;
        case 2:
            return *(const u16_unaligned *)(uintptr_t)p;
        case 4:
            return *(const u32_unaligned *)(uintptr_t)p;
        default:
            return *(const u64_unaligned *)(uintptr_t)p;
        }
    }
    return rd_uint_bytes(c, n);
}

static int64_t rd_sint(struct rd *c, uint32_t n)
{
    uint64_t v = rd_uint(c, n);
    uint64_t sign = 1ULL << (n * 8 - 1);
    return (int64_t)((v ^ sign) - sign);
}

static uint64_t rd_uleb(struct rd *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = (uint8_t)rd_uint(c, 1);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    c->bad = 1; /* longer than 64 bits */
    return 0;
}

static int64_t rd_sleb(struct rd *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = (uint8_t)rd_uint(c, 1);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (shift + 7 < 64 && (b & 0x40)) v |= ~0ULL << (shift + 7);
            return (int64_t)v;
        }
    }
    c->bad = 1;
    return 0;
}

/* DW_EH_PE pointer encodings: the low nibble is the format, 0x70 how it applies. Only what
 * .eh_frame and .eh_frame_hdr use: absolute, pc-relative, and (in the header) relative to the
 * header. The indirect bit (0x80) appears only on personality routines, which are skipped. */
enum {
    PE_ABSPTR = 0x00,
    PE_ULEB = 0x01,
    PE_UDATA2 = 0x02,
    PE_UDATA4 = 0x03,
    PE_UDATA8 = 0x04,
    PE_SLEB = 0x09,
    PE_SDATA2 = 0x0a,
    PE_SDATA4 = 0x0b,
    PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10,
    PE_DATAREL = 0x30,
    PE_INDIRECT = 0x80,
    PE_OMIT = 0xff,
};

static uint64_t rd_encoded(struct rd *c, uint8_t enc, uint64_t datarel_base)
{
    uint64_t field = c->p, v;
    switch (enc & 0x0f) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8:
        v = rd_uint(c, 8);
        break;
    case PE_ULEB:
        v = rd_uleb(c);
        break;
    case PE_UDATA2:
        v = rd_uint(c, 2);
        break;
    case PE_UDATA4:
        v = rd_uint(c, 4);
        break;
    case PE_SLEB:
        v = (uint64_t)rd_sleb(c);
        break;
    case PE_SDATA2:
        v = (uint64_t)rd_sint(c, 2);
        break;
    case PE_SDATA4:
        v = (uint64_t)rd_sint(c, 4);
        break;
    default:
        c->bad = 1;
        return 0;
    }
    switch (enc & 0x70) {
    case 0:
        return v;
    case PE_PCREL:
        return field + v;
    case PE_DATAREL:
        return datarel_base + v;
    default:
        c->bad = 1;
        return 0; /* textrel, funcrel, aligned: not used in .eh_frame */
    }
}

/* ---- CIE and FDE ---- */

/* Reads an entry's length: the end of the entry, or 0 for the table's terminator. */
static uint64_t rd_entry_end(struct rd *c)
{
    uint64_t len = rd_uint(c, 4);
    if (len == 0xffffffff) len = rd_uint(c, 8);
    if (len == 0 || c->bad || c->p + len < c->p) return 0;
    return c->p + len;
}

static int parse_cie(struct walk *w, const struct module *m, uint64_t at, struct cie *cie)
{
    struct rd c = {w, m, at, m->hi, 0};
    uint64_t end = rd_entry_end(&c);
    if (!end || rd_uint(&c, 4) != 0) return -1; /* a CIE's id is 0 in .eh_frame */
    c.end = end;
    uint8_t version = (uint8_t)rd_uint(&c, 1);
    if (version != 1 && version != 3 && version != 4) return -1;
    char aug[8];
    int naug = 0;
    for (;;) {
        char ch = (char)rd_uint(&c, 1);
        if (c.bad) return -1;
        if (ch == 0) break;
        if (naug == (int)sizeof aug) return -1;
        aug[naug++] = ch;
    }
    if (version == 4 && (rd_uint(&c, 1) != 8 || rd_uint(&c, 1) != 0)) return -1;
    cie->code_align = rd_uleb(&c);
    cie->data_align = rd_sleb(&c);
    cie->ra_reg = version == 1 ? rd_uint(&c, 1) : rd_uleb(&c);
    cie->fde_enc = PE_ABSPTR;
    cie->has_z = naug > 0 && aug[0] == 'z';
    cie->signal = 0;
    if (naug > 0 && !cie->has_z) return -1; /* pre-'z' augmentations ("eh"): no length to skip */
    if (cie->has_z) {
        uint64_t aug_len = rd_uleb(&c);
        uint64_t aug_end = c.p + aug_len;
        for (int i = 1; i < naug; i++) {
            switch (aug[i]) {
            case 'R':
                cie->fde_enc = (uint8_t)rd_uint(&c, 1);
                if (cie->fde_enc & PE_INDIRECT) return -1; /* never for code addresses */
                break;
            case 'P': {
                uint8_t penc = (uint8_t)rd_uint(&c, 1);
                rd_encoded(&c, penc & (uint8_t)~PE_INDIRECT, 0); /* the personality: skipped */
                break;
            }
            case 'L':
                rd_uint(&c, 1);
                break;
            case 'S':
                cie->signal = 1;
                break;
            case 'B':
                break; /* aarch64 BTI, no data */
            default:
                return -1;
            }
        }
        if (c.p > aug_end) return -1;
        c.p = aug_end;
    }
    cie->insns = c.p;
    cie->end = end;
    /* Real CIEs say 1 and -8; bounding them keeps every factored offset in range. */
    if (cie->code_align == 0 || cie->code_align > 1024) return -1;
    if (cie->data_align < -1024 || cie->data_align > 1024) return -1;
    return c.bad || c.p > end ? -1 : 0;
}

/* Binary search of .eh_frame_hdr's table (initial location, FDE), sorted by location, for the
 * last entry at or below pc. Only the encoding every linker writes (datarel sdata4) is read;
 * anything else means "no CFI here". */
static int find_fde(struct walk *w, const struct module *m, uint64_t pc, uint64_t *fde)
{
    struct rd c = {w, m, m->hdr, m->hi, 0};
    uint8_t version = (uint8_t)rd_uint(&c, 1);
    uint8_t ptr_enc = (uint8_t)rd_uint(&c, 1);
    uint8_t count_enc = (uint8_t)rd_uint(&c, 1);
    uint8_t table_enc = (uint8_t)rd_uint(&c, 1);
    if (c.bad || version != 1 || count_enc == PE_OMIT || table_enc != (PE_DATAREL | PE_SDATA4))
        return -1;
    if (ptr_enc != PE_OMIT) rd_encoded(&c, ptr_enc, m->hdr);
    uint64_t count = rd_encoded(&c, count_enc, m->hdr);
    uint64_t table = c.p;
    if (c.bad || count == 0 || count > (m->hi - table) / 8) return -1;
    int64_t rel = (int64_t)(pc - m->hdr); /* the table's locations are 32-bit offsets */
    if (rel < INT32_MIN || rel > INT32_MAX) return -1;
    uint64_t lo = 0, hi = count; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        c.p = table + mid * 8;
        if (rd_sint(&c, 4) <= rel)
            lo = mid;
        else
            hi = mid;
    }
    c.p = table + lo * 8;
    int64_t first = rd_sint(&c, 4);
    int64_t entry = rd_sint(&c, 4);
    if (c.bad || first > rel) return -1;
    *fde = m->hdr + (uint64_t)entry;
    return 0;
}

/* ---- The CFA program: the rules of one row ---- */

enum rule_kind {
    RULE_UNSPEC,  /* not described: callee-saved keep their value, the rest are lost */
    RULE_UNDEF,   /* DW_CFA_undefined: no value (for the return address: the outermost frame) */
    RULE_SAME,    /* DW_CFA_same_value */
    RULE_OFFSET,  /* saved at CFA + val */
    RULE_VAL_OFF, /* is CFA + val */
    RULE_REG,     /* in register val */
    RULE_EXPR,    /* saved at the address the expression at val computes (CFA pushed first) */
    RULE_VAL_EXPR /* is the value that expression computes */
};

/* 32-bit values keep a row at 92 bytes (five live at once): offsets are small, and an
 * expression is named by its offset in the module. */
struct row {
    uint8_t kind[NREG];
    uint8_t cfa_expr; /* 1: the CFA is the expression at cfa_off */
    uint8_t cfa_reg;
    int32_t cfa_off;
    int32_t val[NREG];
};

struct program {
    struct row cur, init;
    struct row saved[LS_STATE_DEPTH];
    int depth;
};

static void copy_row(struct row *dst_, const struct row *src)
{
    /* Through a volatile pointer: compilers turn a struct or loop copy into a memmove call,
     * and the sanitized test programs' memmove checks shadow memory of other frames. */
    volatile struct row *dst = dst_;
    for (int i = 0; i < NREG; i++) {
        dst->kind[i] = src->kind[i];
        dst->val[i] = src->val[i];
    }
    dst->cfa_expr = src->cfa_expr;
    dst->cfa_reg = src->cfa_reg;
    dst->cfa_off = src->cfa_off;
}

static int32_t fit32(struct rd *c, int64_t v)
{
    if (v < INT32_MIN || v > INT32_MAX) c->bad = 1;
    return (int32_t)v;
}

/* An offset operand times the CIE's factor, or bad when it could not be a real offset. */
static int64_t factored(struct rd *c, int64_t x, int64_t align)
{
    if (x < INT32_MIN || x > INT32_MAX) {
        c->bad = 1;
        return 0;
    }
    return x * align; /* |align| <= 1024 (parse_cie): no overflow */
}

static int64_t uleb_factored(struct rd *c, int64_t align)
{
    uint64_t x = rd_uleb(c);
    return factored(c, x > INT32_MAX ? INT64_MAX : (int64_t)x, align);
}

static void set_rule(struct rd *c, struct row *r, uint64_t reg, enum rule_kind kind, int64_t val)
{
    if (reg < NREG) { /* vector registers and the like: not needed to find callers */
        r->kind[reg] = (uint8_t)kind;
        r->val[reg] = fit32(c, val);
    }
}

/* Skips a DW_FORM_block (uleb length, bytes) and returns where it starts, as an offset in the
 * module. */
static int64_t rd_block(struct rd *c)
{
    uint64_t at = c->p;
    uint64_t len = rd_uleb(c);
    if (c->p + len < c->p || c->p + len > c->end) c->bad = 1;
    c->p += len;
    return (int64_t)(at - c->m->lo);
}

static uint64_t expr_at(const struct module *m, int32_t off)
{
    return m->lo + (uint64_t)(uint32_t)off;
}

/* Runs CFA instructions [from, to) while the location stays at or below pc. init is NULL for the
 * CIE's initial instructions. Returns 0, or -1 for anything it cannot follow (an opcode it does
 * not know, too deep a state stack, too many instructions, a bad read): the walk stops there. */
static int run_program(struct walk *w, const struct module *m, const struct cie *cie, uint64_t from,
                       uint64_t to, uint64_t loc, uint64_t pc, struct program *p, int is_cie)
{
    struct rd c = {w, m, from, to, 0};
    struct row *r = &p->cur;
    for (int n = 0; c.p < to; n++) {
        if (n >= LS_CFA_MAX_INSNS || c.bad) return -1;
        uint8_t op = (uint8_t)rd_uint(&c, 1);
        uint64_t reg, x;
        switch (op & 0xc0) {
        case 0x40: /* DW_CFA_advance_loc */
            loc += (op & 0x3f) * cie->code_align;
            if (loc > pc) return 0;
            continue;
        case 0x80: /* DW_CFA_offset */
            set_rule(&c, r, op & 0x3f, RULE_OFFSET, uleb_factored(&c, cie->data_align));
            continue;
        case 0xc0: /* DW_CFA_restore */
            reg = op & 0x3f;
            if (is_cie)
                set_rule(&c, r, reg, RULE_UNSPEC, 0);
            else if (reg < NREG)
                set_rule(&c, r, reg, (enum rule_kind)p->init.kind[reg], p->init.val[reg]);
            continue;
        }
        switch (op) {
        case 0x00:
            break; /* DW_CFA_nop */
        case 0x01: /* DW_CFA_set_loc */
            loc = rd_encoded(&c, cie->fde_enc, 0);
            if (loc > pc) return c.bad ? -1 : 0;
            break;
        case 0x02: /* DW_CFA_advance_loc1, 2, 4 */
        case 0x03:
        case 0x04:
            loc += rd_uint(&c, op == 0x02 ? 1 : op == 0x03 ? 2 : 4) * cie->code_align;
            if (loc > pc) return c.bad ? -1 : 0;
            break;
        case 0x05: /* DW_CFA_offset_extended */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_OFFSET, uleb_factored(&c, cie->data_align));
            break;
        case 0x06: /* DW_CFA_restore_extended */
            reg = rd_uleb(&c);
            if (is_cie)
                set_rule(&c, r, reg, RULE_UNSPEC, 0);
            else if (reg < NREG)
                set_rule(&c, r, reg, (enum rule_kind)p->init.kind[reg], p->init.val[reg]);
            break;
        case 0x07:
            set_rule(&c, r, rd_uleb(&c), RULE_UNDEF, 0);
            break; /* DW_CFA_undefined */
        case 0x08:
            set_rule(&c, r, rd_uleb(&c), RULE_SAME, 0);
            break; /* DW_CFA_same_value */
        case 0x09: /* DW_CFA_register */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_REG, (int64_t)rd_uleb(&c));
            break;
        case 0x0a: /* DW_CFA_remember_state */
            if (p->depth == LS_STATE_DEPTH) return -1;
            copy_row(&p->saved[p->depth++], r);
            break;
        case 0x0b: /* DW_CFA_restore_state */
            if (p->depth == 0) return -1;
            copy_row(r, &p->saved[--p->depth]);
            break;
        case 0x0c: /* DW_CFA_def_cfa */
            r->cfa_reg = (uint8_t)(x = rd_uleb(&c));
            if (x >= NREG) return -1;
            r->cfa_off = fit32(&c, (int64_t)rd_uleb(&c));
            r->cfa_expr = 0;
            break;
        case 0x0d: /* DW_CFA_def_cfa_register */
            r->cfa_reg = (uint8_t)(x = rd_uleb(&c));
            if (x >= NREG || r->cfa_expr) return -1;
            break;
        case 0x0e: /* DW_CFA_def_cfa_offset */
            if (r->cfa_expr) return -1;
            r->cfa_off = fit32(&c, (int64_t)rd_uleb(&c));
            break;
        case 0x0f: /* DW_CFA_def_cfa_expression */
            r->cfa_off = fit32(&c, rd_block(&c));
            r->cfa_expr = 1;
            break;
        case 0x10: /* DW_CFA_expression */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_EXPR, rd_block(&c));
            break;
        case 0x11: /* DW_CFA_offset_extended_sf */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_OFFSET, factored(&c, rd_sleb(&c), cie->data_align));
            break;
        case 0x12: /* DW_CFA_def_cfa_sf */
            r->cfa_reg = (uint8_t)(x = rd_uleb(&c));
            if (x >= NREG) return -1;
            r->cfa_off = fit32(&c, factored(&c, rd_sleb(&c), cie->data_align));
            r->cfa_expr = 0;
            break;
        case 0x13: /* DW_CFA_def_cfa_offset_sf */
            if (r->cfa_expr) return -1;
            r->cfa_off = fit32(&c, factored(&c, rd_sleb(&c), cie->data_align));
            break;
        case 0x14: /* DW_CFA_val_offset */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_VAL_OFF, uleb_factored(&c, cie->data_align));
            break;
        case 0x15: /* DW_CFA_val_offset_sf */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_VAL_OFF, factored(&c, rd_sleb(&c), cie->data_align));
            break;
        case 0x16: /* DW_CFA_val_expression */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_VAL_EXPR, rd_block(&c));
            break;
        case 0x2e:
            rd_uleb(&c);
            break; /* DW_CFA_GNU_args_size: no effect on the CFA */
        case 0x2f: /* DW_CFA_GNU_negative_offset_extended */
            reg = rd_uleb(&c);
            set_rule(&c, r, reg, RULE_OFFSET, -uleb_factored(&c, cie->data_align));
            break;
        default:
            return -1;
        }
    }
    return c.bad ? -1 : 0;
}

/* ---- DWARF expressions: what the PLT, signal trampolines and realigned frames use ---- */

static int expr_eval(struct walk *w, const struct module *m, uint64_t at, const struct regs *regs,
                     const uint64_t *push, uint64_t *out)
{
    struct rd c = {w, m, at, m->hi, 0};
    uint64_t len = rd_uleb(&c);
    uint64_t start = c.p, end = c.p + len;
    if (c.bad || end < start || end > m->hi) return -1;
    c.end = end;
    uint64_t st[LS_EXPR_STACK];
    int sp = 0;
    if (push) st[sp++] = *push;
    for (int n = 0; c.p < end; n++) {
        if (n >= LS_EXPR_MAX_OPS || c.bad) return -1;
        uint8_t op = (uint8_t)rd_uint(&c, 1);
        uint64_t a, b;
        if (op >= 0x30 && op <= 0x4f) { /* DW_OP_lit0..31 */
            if (sp == LS_EXPR_STACK) return -1;
            st[sp++] = op - 0x30u;
            continue;
        }
        if ((op >= 0x70 && op <= 0x8f) || op == 0x92) { /* DW_OP_breg0..31, DW_OP_bregx */
            uint64_t reg = op == 0x92 ? rd_uleb(&c) : op - 0x70u;
            int64_t off = rd_sleb(&c);
            if (reg >= NREG || !has(regs, (int)reg) || sp == LS_EXPR_STACK) return -1;
            st[sp++] = regs->v[reg] + (uint64_t)off;
            continue;
        }
        switch (op) {
        case 0x08:
            a = rd_uint(&c, 1);
            goto push_a; /* DW_OP_const1u */
        case 0x09:
            a = (uint64_t)rd_sint(&c, 1);
            goto push_a; /* DW_OP_const1s */
        case 0x0a:
            a = rd_uint(&c, 2);
            goto push_a; /* DW_OP_const2u */
        case 0x0b:
            a = (uint64_t)rd_sint(&c, 2);
            goto push_a; /* DW_OP_const2s */
        case 0x0c:
            a = rd_uint(&c, 4);
            goto push_a; /* DW_OP_const4u */
        case 0x0d:
            a = (uint64_t)rd_sint(&c, 4);
            goto push_a; /* DW_OP_const4s */
        case 0x0e:       /* DW_OP_const8u */
        case 0x0f:
            a = rd_uint(&c, 8);
            goto push_a; /* DW_OP_const8s */
        case 0x10:
            a = rd_uleb(&c);
            goto push_a; /* DW_OP_constu */
        case 0x11:
            a = (uint64_t)rd_sleb(&c);
            goto push_a; /* DW_OP_consts */
        case 0x12:       /* DW_OP_dup */
            if (sp < 1) return -1;
            a = st[sp - 1];
            goto push_a;
        case 0x14: /* DW_OP_over */
            if (sp < 2) return -1;
            a = st[sp - 2];
            goto push_a;
        case 0x15: /* DW_OP_pick */
            a = rd_uint(&c, 1);
            if (a >= (uint64_t)sp) return -1;
            a = st[sp - 1 - (int)a];
            goto push_a;
        case 0x13: /* DW_OP_drop */
            if (sp < 1) return -1;
            sp--;
            continue;
        case 0x16: /* DW_OP_swap */
            if (sp < 2) return -1;
            a = st[sp - 1], st[sp - 1] = st[sp - 2], st[sp - 2] = a;
            continue;
        case 0x17: /* DW_OP_rot */
            if (sp < 3) return -1;
            a = st[sp - 1], st[sp - 1] = st[sp - 2], st[sp - 2] = st[sp - 3], st[sp - 3] = a;
            continue;
        case 0x06: /* DW_OP_deref */
        case 0x94: /* DW_OP_deref_size */
            if (sp < 1) return -1;
            b = op == 0x94 ? rd_uint(&c, 1) : 8;
            if (b == 0 || b > 8 || any_load(w, st[sp - 1], &a) != 0) return -1;
            st[sp - 1] = b == 8 ? a : a & ((1ULL << (b * 8)) - 1);
            continue;
        case 0x19: /* DW_OP_abs */
            if (sp < 1) return -1;
            if ((int64_t)st[sp - 1] < 0) st[sp - 1] = 0 - st[sp - 1];
            continue;
        case 0x1f: /* DW_OP_neg */
            if (sp < 1) return -1;
            st[sp - 1] = 0 - st[sp - 1];
            continue;
        case 0x20: /* DW_OP_not */
            if (sp < 1) return -1;
            st[sp - 1] = ~st[sp - 1];
            continue;
        case 0x23: /* DW_OP_plus_uconst */
            if (sp < 1) return -1;
            st[sp - 1] += rd_uleb(&c);
            continue;
        case 0x2f: /* DW_OP_skip */
        case 0x28: /* DW_OP_bra */
            a = (uint64_t)rd_sint(&c, 2);
            if (op == 0x28) {
                if (sp < 1) return -1;
                if (st[--sp] == 0) continue;
            }
            c.p += a;
            if (c.p < start || c.p > end) return -1;
            continue;
        case 0x96:
            continue; /* DW_OP_nop */
        }
        /* The binary operators: b op a, a on top. */
        if (op < 0x1a || op > 0x2e || op == 0x1b || op == 0x1d || op == 0x23 || op == 0x28)
            return -1; /* div and mod are never needed; registers, pieces, calls: not in CFI */
        if (sp < 2) return -1;
        a = st[--sp];
        b = st[sp - 1];
        switch (op) {
        case 0x1a:
            b &= a;
            break;
        case 0x1c:
            b -= a;
            break;
        case 0x1e:
            b *= a;
            break;
        case 0x21:
            b |= a;
            break;
        case 0x22:
            b += a;
            break;
        case 0x24:
            b = a < 64 ? b << a : 0;
            break;
        case 0x25:
            b = a < 64 ? b >> a : 0;
            break;
        case 0x26:
            b = (uint64_t)((int64_t)b >> (a < 63 ? a : 63));
            break;
        case 0x27:
            b ^= a;
            break;
        case 0x29:
            b = (int64_t)b == (int64_t)a;
            break;
        case 0x2a:
            b = (int64_t)b >= (int64_t)a;
            break;
        case 0x2b:
            b = (int64_t)b > (int64_t)a;
            break;
        case 0x2c:
            b = (int64_t)b <= (int64_t)a;
            break;
        case 0x2d:
            b = (int64_t)b < (int64_t)a;
            break;
        case 0x2e:
            b = (int64_t)b != (int64_t)a;
            break;
        default:
            return -1;
        }
        st[sp - 1] = b;
        continue;
    push_a:
        if (sp == LS_EXPR_STACK) return -1;
        st[sp++] = a;
    }
    if (c.bad || sp < 1) return -1;
    *out = st[sp - 1];
    return 0;
}

/* ---- One CFI step ---- */

/* Finds the object holding pc without a lock. glibc 2.35's _dl_find_object reads the main
 * program's and the startup objects' entries from arrays written before main and never
 * changed, and dlopen'd objects' from two copies switched by a version counter (a reader
 * retries when a dlopen or dlclose finished during its read); it never takes the loader lock
 * that dl_iterate_phdr takes (elf/dl-find_object.c). */
static int find_module(uint64_t pc, struct module *m)
{
    struct dl_find_object obj;
    if (_dl_find_object((void *)(uintptr_t)pc, &obj) != 0) return -1;
    m->lo = (uint64_t)(uintptr_t)obj.dlfo_map_start;
    m->hi = (uint64_t)(uintptr_t)obj.dlfo_map_end;
    m->hdr = (uint64_t)(uintptr_t)obj.dlfo_eh_frame;
    const struct trusted_object *t = trusted(m->hdr);
    m->direct = t != NULL;
    if (t) { /* its tables may lie past the map end glibc gives: its program headers say */
        if (t->lo < m->lo) m->lo = t->lo;
        if (t->hi > m->hi) m->hi = t->hi;
    }
    return 0;
}

/* Applies one register rule: the caller's value of reg, or -1 when it is not known. */
static int caller_value(struct walk *w, const struct module *m, const struct row *row, int reg,
                        const struct regs *r, uint64_t cfa, uint64_t *v)
{
    uint64_t addr;
    switch (row->kind[reg]) {
    case RULE_UNSPEC:
        /* The SysV ABI's callee-saved registers keep their value unless described. */
        if (reg != R_RBX && reg != R_RBP && (reg < 12 || reg > 15)) return -1;
        /* fall through */
    case RULE_SAME:
        if (!has(r, reg)) return -1;
        *v = r->v[reg];
        return 0;
    case RULE_OFFSET:
        return stack_load(w, cfa + (uint64_t)(int64_t)row->val[reg], v);
    case RULE_VAL_OFF:
        *v = cfa + (uint64_t)(int64_t)row->val[reg];
        return 0;
    case RULE_REG:
        if (row->val[reg] < 0 || row->val[reg] >= NREG || !has(r, (int)row->val[reg])) return -1;
        *v = r->v[row->val[reg]];
        return 0;
    case RULE_EXPR:
        if (expr_eval(w, m, expr_at(m, row->val[reg]), r, &cfa, &addr) != 0) return -1;
        return any_load(w, addr, v);
    case RULE_VAL_EXPR:
        return expr_eval(w, m, expr_at(m, row->val[reg]), r, &cfa, v);
    default:
        return -1;
    }
}

/* Steps from the frame at r->v[R_PC] (looked up at lookup_pc) to its caller with the module's CFI.
 * *sigframe is set when this frame is a signal trampoline: its caller's pc is then exact. */
static int cfi_step(struct walk *w, const struct module *m, uint64_t lookup_pc, struct regs *r,
                    int *sigframe)
{
    uint64_t fde;
    if (!m->hdr || find_fde(w, m, lookup_pc, &fde) != 0) return STEP_NOINFO;
    struct rd c = {w, m, fde, m->hi, 0};
    uint64_t end = rd_entry_end(&c);
    uint64_t cie_field = c.p;
    uint64_t cie_off = rd_uint(&c, 4);
    if (!end || c.bad || cie_off == 0 || cie_off > cie_field) return STEP_NOINFO;
    uint64_t cie_at = cie_field - cie_off;
    if (w->cie_at != cie_at) { /* one address, one CIE: objects never overlap */
        w->cie_at = 0;
        if (parse_cie(w, m, cie_at, &w->cie) != 0 || w->cie.ra_reg != R_PC) return STEP_STOP;
        w->cie_at = cie_at;
    }
    const struct cie cie = w->cie;
    c.end = end;
    uint64_t pc_begin = rd_encoded(&c, cie.fde_enc, 0);
    uint64_t pc_range = rd_encoded(&c, cie.fde_enc & 0x0f, 0);
    if (c.bad) return STEP_STOP;
    if (lookup_pc < pc_begin || lookup_pc - pc_begin >= pc_range) return STEP_NOINFO;
    if (cie.has_z) {
        uint64_t aug_len = rd_uleb(&c); /* the LSDA pointer: not needed to unwind */
        c.p += aug_len;
    }
    if (c.bad || c.p > end) return STEP_STOP;

    struct program p;
    for (int i = 0; i < NREG; i++) {
        p.cur.kind[i] = RULE_UNSPEC;
        p.cur.val[i] = 0;
    }
    p.cur.cfa_expr = 0;
    p.cur.cfa_reg = R_RSP;
    p.cur.cfa_off = 8;
    p.depth = 0;
    if (run_program(w, m, &cie, cie.insns, cie.end, pc_begin, lookup_pc, &p, 1) != 0)
        return STEP_STOP;
    copy_row(&p.init, &p.cur);
    if (run_program(w, m, &cie, c.p, end, pc_begin, lookup_pc, &p, 0) != 0) return STEP_STOP;

    const struct row *row = &p.cur;
    uint64_t cfa;
    if (row->cfa_expr) {
        if (expr_eval(w, m, expr_at(m, row->cfa_off), r, NULL, &cfa) != 0) return STEP_STOP;
    } else {
        if (!has(r, row->cfa_reg)) return STEP_STOP;
        cfa = r->v[row->cfa_reg] + (uint64_t)(int64_t)row->cfa_off;
    }
    if (row->kind[R_PC] == RULE_UNDEF) return STEP_END; /* the outermost frame (_start, clone) */
    struct regs caller = {{0}, 0};
    for (int reg = 0; reg < NREG; reg++) {
        uint64_t v;
        if (caller_value(w, m, row, reg, r, cfa, &v) == 0) set(&caller, reg, v);
    }
    if (row->kind[R_RSP] == RULE_UNSPEC) set(&caller, R_RSP, cfa); /* x86-64: the CFA is rsp */
    if (!has(&caller, R_PC)) return STEP_STOP;
    *sigframe = cie.signal;
    *r = caller;
    return caller.v[R_PC] ? STEP_OK : STEP_END;
}

/* A pc that is in no object and cannot be read came from a call through a bad pointer: nothing
 * ran there, so the return address is still at the stack pointer (libunwind does the same). */
static int bad_pc_step(struct walk *w, struct regs *r)
{
    uint8_t byte;
    uint64_t ret;
    if (safe_copy(w, r->v[R_PC], &byte, 1) == 0) return STEP_NOINFO; /* readable: JIT code */
    if (!has(r, R_RSP) || stack_load(w, r->v[R_RSP], &ret) != 0) return STEP_STOP;
    set(r, R_RSP, r->v[R_RSP] + 8);
    r->known &= 1u << R_RSP | 1u << R_RBP | 1u << R_RBX | 0xf000u; /* callee-saved stay */
    set(r, R_PC, ret);
    return ret ? STEP_OK : STEP_END;
}

#else
void ls_unwind_trust_startup(void) {}
#endif /* LS_UNWIND_CFI */

/* ---- The walk ---- */

/* Walks from r, writing at most max entries. pc_exact: r's pc is an interrupted instruction,
 * not a return address. drop_first: the first frame is the walker's own (ls_unwind_here). */
static int walk(struct walk *w, struct regs *r, int pc_exact, int drop_first, uint64_t skip_lo,
                uint64_t skip_hi, uint64_t *ips, int max)
{
    int n = 0;
    for (int frame = 0; n < max && frame < max + LS_SKIP_MAX; frame++) {
        if (!has(r, R_PC) || r->v[R_PC] == 0) break;
        uint64_t pc = r->v[R_PC];
        uint64_t lookup = pc_exact ? pc : pc - 1; /* a return address: the call is before it */
        int skip = (frame == 0 && drop_first) || (lookup >= skip_lo && lookup < skip_hi);
        if (!skip) ips[n++] = lookup;
        uint64_t old_sp = has(r, R_RSP) ? r->v[R_RSP] : 0;
        int sigframe = 0, rc = STEP_NOINFO;
#ifdef LS_UNWIND_CFI
        struct module m;
        if (find_module(lookup, &m) == 0)
            rc = cfi_step(w, &m, lookup, r, &sigframe);
        else
            rc = bad_pc_step(w, r);
#endif
        if (rc == STEP_NOINFO) rc = fp_step(w, r);
        if (rc != STEP_OK) break;
        /* Each frame lies above its callee's; only a signal frame may jump (to another stack). */
        if (!sigframe && (!has(r, R_RSP) || r->v[R_RSP] <= old_sp)) break;
        pc_exact = sigframe;
    }
    return n;
}

/* The x86-64 System V red zone: a function may keep data in the 128 bytes below its stack
 * pointer without moving it (OpenSSL's sha512 assembly keeps its saved rsp there and says so
 * in its CFI, DW_OP_breg7 -8; deref). */
#define LS_RED_ZONE 128

static void window(struct walk *w, const struct ls_stack_bounds *b, uint64_t sp, uint64_t below)
{
    /* Nothing below the stack pointer belongs to a frame of the walk, but for an interrupted
     * frame's red zone: the kernel put the signal frame beneath it, so it is mapped and
     * holds what the frame left there. A walk that starts here has no such promise. */
    uint64_t from = sp > below ? sp - below : 0;
    w->lo = b->lo > from ? b->lo : from;
    w->hi = b->hi;
    w->pid = 0;
    w->blk_len = 0;
    w->blk_addr = 0;
#ifdef LS_UNWIND_CFI
    w->cie_at = 0;
#endif
}

int ls_unwind_ucontext(const void *uc_, const struct ls_stack_bounds *b, uint64_t *ips, int max)
{
    if (!uc_ || !b || !ips || max <= 0) return 0;
    int saved_errno = errno;
    const ucontext_t *uc = uc_;
    struct regs r = {{0}, 0};
#if defined(__x86_64__)
    static const int greg_of[R_PC + 1] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
                                          REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                          REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
    for (int i = 0; i <= R_PC; i++)
        set(&r, i, (uint64_t)uc->uc_mcontext.gregs[greg_of[i]]);
#elif defined(__aarch64__)
    set(&r, R_PC, (uint64_t)uc->uc_mcontext.pc);
    set(&r, R_RSP, (uint64_t)uc->uc_mcontext.sp);
    set(&r, R_RBP, (uint64_t)uc->uc_mcontext.regs[29]);
#else
    (void)uc;
    errno = saved_errno;
    return 0; /* no known layout: nothing rather than a guess */
#endif
    struct walk w;
#if defined(__x86_64__)
    window(&w, b, r.v[R_RSP], LS_RED_ZONE);
#else
    window(&w, b, r.v[R_RSP], 0);
#endif
    int n = walk(&w, &r, 1, 0, 0, 0, ips, max);
    errno = saved_errno;
    return n;
}

__attribute__((noinline)) int ls_unwind_here(const struct ls_stack_bounds *b, uint64_t skip_lo,
                                             uint64_t skip_hi, uint64_t *ips, int max)
{
    if (!b || !ips || max <= 0) return 0;
    int saved_errno = errno;
    struct regs r = {{0}, 0};
#if defined(LS_UNWIND_CFI)
    /* This instruction's own registers; its CFI row describes this very frame, so the walk
     * starts here and drops the frame. */
    __asm__ volatile("leaq 0(%%rip), %%rax\n\t"
                     "movq %%rax, 128(%0)\n\t"
                     "movq %%rbx, 24(%0)\n\t"
                     "movq %%rbp, 48(%0)\n\t"
                     "movq %%rsp, 56(%0)\n\t"
                     "movq %%r12, 96(%0)\n\t"
                     "movq %%r13, 104(%0)\n\t"
                     "movq %%r14, 112(%0)\n\t"
                     "movq %%r15, 120(%0)\n\t"
                     :
                     : "r"(r.v)
                     : "rax", "memory");
    r.known = 1u << R_PC | 1u << R_RBX | 1u << R_RBP | 1u << R_RSP | 0xf000u;
    int pc_exact = 1, drop_first = 1;
#else
    /* The frame-pointer walk starts at our caller: this function has a frame record of its own
     * (__builtin_frame_address makes the compiler keep one). */
    uint64_t fp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    set(&r, R_RBP, fp);
    set(&r, R_RSP, fp);
    int pc_exact = 0, drop_first = 0;
    {
        struct walk w0;
        window(&w0, b, fp, 0);
        if (fp_step(&w0, &r) != STEP_OK) {
            errno = saved_errno;
            return 0;
        }
    }
#endif
    struct walk w;
    window(&w, b, r.v[R_RSP], 0);
    int n = walk(&w, &r, pc_exact, drop_first, skip_lo, skip_hi, ips, max);
    errno = saved_errno;
    return n;
}

/* ---- Stack bounds of the calling thread ---- */

struct maps_line {
    uint64_t lo, hi;
    int field;    /* 0: lo, 1: hi, 2: the rest of the line */
    char tail[8]; /* the line's last characters, to recognise "[stack]" */
    int ntail;
};

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

static int ends_with_stack(const struct maps_line *l)
{
    static const char want[] = "[stack]";
    int len = (int)sizeof want - 1;
    if (l->ntail < len) return 0;
    for (int i = 0; i < len; i++)
        if (l->tail[(l->ntail - len + i) % (int)sizeof l->tail] != want[i]) return 0;
    return 1;
}

int ls_stack_bounds_of_self(struct ls_stack_bounds *b)
{
    if (!b) return -EINVAL;
    int saved_errno = errno;
    volatile char here = 0; /* its address is (about) the stack pointer */
    uint64_t sp = (uint64_t)(uintptr_t)&here;
    long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        errno = saved_errno;
        return -err;
    }
    char buf[512];
    struct maps_line l = {0, 0, 0, {0}, 0};
    uint64_t prev_hi = 0, found_prev_hi = 0;
    int found = 0, is_main = 0, rc = -ENOENT;
    for (;;) {
        long got = syscall(SYS_read, (int)fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            rc = -errno;
            break;
        }
        if (got == 0) break;
        for (long i = 0; i < got && !found; i++) {
            char ch = buf[i];
            if (ch == '\n') {
                if (l.lo <= sp && sp < l.hi) {
                    found = 1;
                    is_main = ends_with_stack(&l);
                    found_prev_hi = prev_hi;
                    b->lo = l.lo;
                    b->hi = l.hi;
                }
                prev_hi = l.hi;
                l.lo = l.hi = 0;
                l.field = 0;
                l.ntail = 0;
                continue;
            }
            int h = hexval(ch);
            if (l.field == 0 && h >= 0)
                l.lo = l.lo << 4 | (uint64_t)h;
            else if (l.field == 0 && ch == '-')
                l.field = 1;
            else if (l.field == 1 && h >= 0)
                l.hi = l.hi << 4 | (uint64_t)h;
            else {
                l.field = 2;
                l.tail[l.ntail % (int)sizeof l.tail] = ch;
                l.ntail++;
                if (l.ntail >= 2 * (int)sizeof l.tail) l.ntail -= (int)sizeof l.tail;
            }
        }
        if (found) break;
    }
    syscall(SYS_close, (int)fd);
    if (found) {
        rc = 0;
        if (is_main) {
            /* The main thread's stack grows on demand down to RLIMIT_STACK (never into the
             * mapping below it): a deeper stack pointer later is still this stack. */
            struct rlimit lim;
            uint64_t grow_lo = found_prev_hi;
            if (getrlimit(RLIMIT_STACK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
                lim.rlim_cur < b->hi && b->hi - lim.rlim_cur > grow_lo)
                grow_lo = b->hi - lim.rlim_cur;
            if (grow_lo < b->lo) b->lo = grow_lo;
        }
    }
    errno = saved_errno;
    return rc;
}
