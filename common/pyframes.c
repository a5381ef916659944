/* pyframes.c -- CPython 3.11-3.13 frames read from memory: capture, describe, merge.
 *
 * Nothing here calls into Python or dereferences interpreter memory directly: every read goes
 * through the caller's struct ls_mem, which reports a bad address instead of faulting. The same
 * code can therefore read this process (the agent) or another one. The layout half (where the
 * offsets come from) is in pyframes_layout.c.
 */
#include "pyframes.h"

#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pyframes_internal.h"

ssize_t ls_mem_read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
    /* A pid cached by the caller saves a system call per read; without one, this process. */
    return ls_mem_read(ctx ? *(const pid_t *)ctx : 0, addr, buf, len);
}

int ls_pyf_read(const struct ls_mem *m, uint64_t addr, void *buf, size_t len)
{
    if (addr == 0) return -1;
    return m->read(m->ctx, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

int ls_pyf_read_u64(const struct ls_mem *m, uint64_t addr, uint64_t *v)
{
    return ls_pyf_read(m, addr, v, sizeof *v);
}

uint64_t ls_pyf_u64(const void *buf, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)buf + off, sizeof v);
    return v;
}

static uint32_t u32_at(const void *buf, size_t off)
{
    uint32_t v;
    memcpy(&v, (const char *)buf + off, sizeof v);
    return v;
}

/* Longest _PyInterpreterFrame prefix a walk reads (fr_size), bounded by the layout check. */
#define FRAME_READ_MAX 128
/* The code object prefix describe reads: every co_* offset in use lies inside it. */
#define CODE_READ_MAX 256
/* The str and bytes headers describe reads. */
#define STR_HEADER_MAX   128
#define BYTES_HEADER_MAX 64

/* 1 when every offset of L stays inside what one read copies. The layout may come from shared
 * memory, written by another process: a bad one must make the reader stop, not overrun. */
static int layout_fits(const struct ls_py_layout *L)
{
    unsigned fr = L->fr_size, co = L->co_code_adaptive, str = L->str_compact_data;
    return fr <= FRAME_READ_MAX && L->fr_code + 8u <= fr && L->fr_previous + 8u <= fr &&
           L->fr_instr + 8u <= fr && L->fr_owner < fr && L->fr_is_entry < fr &&
           co <= CODE_READ_MAX && L->co_filename + 8u <= co && L->co_qualname + 8u <= co &&
           L->co_linetable + 8u <= co && L->co_firstlineno + 4u <= co &&
           LS_PYF_VAR_OB_SIZE + 8u <= co && L->ob_type + 8u <= co && str <= STR_HEADER_MAX &&
           L->ob_type + 8u <= str && L->str_length + 8u <= str && L->str_state + 4u <= str &&
           L->str_ascii_data <= str && L->bytes_data <= BYTES_HEADER_MAX &&
           L->ob_type + 8u <= L->bytes_data && L->bytes_size + 8u <= L->bytes_data;
}
/* A chain longer than this many links (frames and 3.12+ shims) is garbage or a cycle. */
#define WALK_STEPS_MAX (4 * LS_PY_MAX_FRAMES)

int ls_pyf_walk(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t tstate,
                struct ls_py_raw *out, int max, enum ls_pyf_walk_end *end)
{
    *end = LS_PYF_WALK_BROKEN;
    if (max > LS_PY_MAX_FRAMES) max = LS_PY_MAX_FRAMES;
    if (tstate == 0 || !layout_fits(L)) return 0;
    uint64_t holder = tstate, frame;
    if (L->ts_cframe) {
        if (ls_pyf_read_u64(m, tstate + L->ts_cframe, &holder) != 0) return 0;
        if (holder == 0) {
            *end = LS_PYF_WALK_END;
            return 0;
        }
    }
    if (ls_pyf_read_u64(m, holder + L->ts_frame, &frame) != 0) return 0;

    unsigned char buf[FRAME_READ_MAX];
    int n = 0;
    for (int steps = 0; frame != 0; steps++) {
        if (n >= max) {
            *end = LS_PYF_WALK_FULL;
            return n;
        }
        /* Frames are pointer-aligned; anything else is a torn or garbage link. */
        if (steps >= WALK_STEPS_MAX || (frame & 7) != 0) return n;
        if (ls_pyf_read(m, frame, buf, L->fr_size) != 0) return n;
        uint64_t code = ls_pyf_u64(buf, L->fr_code);
        uint64_t prev = ls_pyf_u64(buf, L->fr_previous);
        uint64_t instr = ls_pyf_u64(buf, L->fr_instr);
        uint8_t owner = buf[L->fr_owner];
        if (prev == frame) return n;
        if (L->entry_kind == LS_PY_ENTRY_SHIM && owner == LS_PYF_OWNED_BY_CSTACK) {
            /* The shim an eval-loop call pushes below its first frame: that frame is the entry. */
            if (n > 0) out[n - 1].entry = 1;
            frame = prev;
            continue;
        }
        if (owner > LS_PYF_OWNED_BY_FRAME_OBJECT) return n;
        /* 3.13 keeps None in a shim's f_executable; anywhere else the chain is not a frame. */
        if (code == 0 || code == L->none) return n;
        uint64_t type;
        if (ls_pyf_read_u64(m, code + L->ob_type, &type) != 0 || type != L->code_type) return n;

        uint64_t first = code + L->co_code_adaptive;
        int32_t lasti = -1; /* 3.11/3.12 point a fresh frame's prev_instr one unit before */
        if (instr >= first && (instr - first) / 2 < INT32_MAX)
            lasti = (int32_t)((instr - first) / 2);
        out[n] = (struct ls_py_raw){.code = code, .lasti = lasti};
        if (L->entry_kind == LS_PY_ENTRY_FLAG) out[n].entry = buf[L->fr_is_entry] != 0;
        n++;
        frame = prev;
    }
    *end = LS_PYF_WALK_END;
    return n;
}

int ls_py_capture(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t tstate,
                  struct ls_py_raw *out, int max)
{
    enum ls_pyf_walk_end end;
    return ls_pyf_walk(L, m, tstate, out, max, &end);
}

/* Appends code point c to out as UTF-8 if it fits in cap (NUL kept); control characters and
 * surrogates become '?' so that a name is always one printable line. Returns 0 when full. */
static int put_utf8(char *out, size_t cap, size_t *len, uint32_t c)
{
    char b[4];
    size_t n;
    if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) c = '?';
    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xc0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xe0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        b[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        b[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    if (*len + n + 1 > cap) return 0;
    memcpy(out + *len, b, n);
    *len += n;
    out[*len] = '\0';
    return 1;
}

/* Copies the str object at addr into out (UTF-8, truncated to cap, NUL-terminated). Compact
 * strings only: every name and file of a code object is one. Returns 0, or -1 with out "?". */
static int read_str(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t addr, char *out,
                    size_t cap)
{
    if (cap < 2) return -1;
    snprintf(out, cap, "?");
    unsigned char h[STR_HEADER_MAX];
    if (ls_pyf_read(m, addr, h, L->str_compact_data) != 0) return -1;
    if (ls_pyf_u64(h, L->ob_type) != L->unicode_type) return -1;
    uint64_t length = ls_pyf_u64(h, L->str_length);
    uint32_t state = u32_at(h, L->str_state);
    /* PyASCIIObject.state: interned:2, kind:3, compact:1, ascii:1 (the same in 3.11-3.13). */
    unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
    if (!compact || (kind != 1 && kind != 2 && kind != 4)) return -1;
    uint64_t data = addr + (ascii ? L->str_ascii_data : L->str_compact_data);
    size_t len = 0;
    out[0] = '\0';
    if (length == 0) return 0;
    /* The last chunk also takes the NUL that ends every compact string: a read that is not
     * where the characters are (torn, or a wrong offset) rarely ends in one. */
    unsigned char chunk[64 + 4];
    int room = 1, complete = 0;
    for (uint64_t done = 0; room && done < length;) {
        uint64_t chars = length - done;
        if (chars > 64 / kind) chars = 64 / kind;
        int last = done + chars == length;
        size_t bytes = (size_t)chars * kind + (last ? kind : 0);
        if (ls_pyf_read(m, data + done * kind, chunk, bytes) != 0) break;
        if (last && memcmp(chunk + chars * kind, "\0\0\0\0", kind) != 0) break;
        for (uint64_t i = 0; room && i < chars; i++) {
            uint32_t c = kind == 1   ? chunk[i]
                         : kind == 2 ? (uint32_t)chunk[2 * i] | (uint32_t)chunk[2 * i + 1] << 8
                                     : u32_at(chunk, 4 * i);
            if (c == 0) { /* no name or path holds a NUL */
                snprintf(out, cap, "?");
                return -1;
            }
            room = put_utf8(out, cap, &len, c);
        }
        done += chars;
        complete = last;
    }
    /* Whole and checked, or truncated to cap; a failed read or no room for one character: "?". */
    if (len == 0 || (room && !complete)) {
        snprintf(out, cap, "?");
        return -1;
    }
    return 0;
}

/* Reads co_linetable byte by byte, a small window at a time. */
struct table_reader {
    const struct ls_mem *m;
    uint64_t addr, end; /* the next byte to fetch, and the table's end */
    unsigned char buf[64];
    unsigned pos, have;
};

static int next_byte(struct table_reader *r)
{
    if (r->pos == r->have) {
        if (r->addr >= r->end) return -1;
        uint64_t want = r->end - r->addr;
        if (want > sizeof r->buf) want = sizeof r->buf;
        if (ls_pyf_read(r->m, r->addr, r->buf, (size_t)want) != 0) return -1;
        r->addr += want;
        r->have = (unsigned)want;
        r->pos = 0;
    }
    return r->buf[r->pos++];
}

/* A varint of Objects/locations.md: 6-bit chunks, least significant first, bit 6 = more. */
static int read_varint(struct table_reader *r, uint32_t *v)
{
    int b = next_byte(r);
    if (b < 0 || (b & 0x80)) return -1;
    uint32_t val = (uint32_t)b & 63;
    for (unsigned shift = 0; b & 64;) {
        b = next_byte(r);
        shift += 6;
        if (b < 0 || (b & 0x80) || shift > 30) return -1;
        val |= ((uint32_t)b & 63) << shift;
    }
    *v = val;
    return 0;
}

int ls_py_line(const struct ls_mem *m, uint64_t table, size_t len, int firstlineno, int lasti)
{
    /* PyCode_Addr2Line's convention for a frame that has not started. */
    if (lasti < 0) return firstlineno;
    struct table_reader r = {.m = m, .addr = table, .end = table + len};
    int line = firstlineno;
    int64_t addr = 0; /* first code unit of the current entry */
    int b = next_byte(&r);
    /* Each entry starts with a byte that has bit 7 set: code in bits 3-6, length-1 in 0-2. */
    while (b >= 0 && (b & 0x80)) {
        int code = (b >> 3) & 15, units = (b & 7) + 1;
        if (code == 13 || code == 14) { /* no columns / long form: a signed line delta */
            uint32_t u;
            if (read_varint(&r, &u) != 0) return -1;
            line += (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
        } else if (code >= 10 && code <= 12) { /* one-line forms: delta 0, 1 or 2 */
            line += code - 10;
        }
        if (lasti < addr + units) return code == 15 ? -1 : line; /* 15: no location */
        addr += units;
        /* The rest of the entry (columns) has bit 7 clear: skip to the next entry. */
        do
            b = next_byte(&r);
        while (b >= 0 && !(b & 0x80));
    }
    return -1;
}

int ls_py_describe(const struct ls_py_layout *L, const struct ls_mem *m, const struct ls_py_raw *f,
                   char *qualname, size_t qlen, char *file, size_t flen, int *line)
{
    if (qlen) snprintf(qualname, qlen, "?");
    if (flen) snprintf(file, flen, "?");
    *line = -1;
    if (!layout_fits(L)) return -EINVAL;
    unsigned char c[CODE_READ_MAX];
    if (ls_pyf_read(m, f->code, c, L->co_code_adaptive) != 0) return -EFAULT;
    if (ls_pyf_u64(c, L->ob_type) != L->code_type) return -ESTALE;
    read_str(L, m, ls_pyf_u64(c, L->co_qualname), qualname, qlen);
    read_str(L, m, ls_pyf_u64(c, L->co_filename), file, flen);
    int firstlineno = (int)u32_at(c, L->co_firstlineno);
    uint64_t units = ls_pyf_u64(c, LS_PYF_VAR_OB_SIZE);
    if (f->lasti >= 0 && (uint64_t)f->lasti >= units) return 0; /* torn instruction pointer */
    uint64_t table = ls_pyf_u64(c, L->co_linetable);
    unsigned char b[BYTES_HEADER_MAX];
    if (ls_pyf_read(m, table, b, L->bytes_data) != 0) return 0;
    if (ls_pyf_u64(b, L->ob_type) != L->bytes_type) return 0;
    uint64_t size = ls_pyf_u64(b, L->bytes_size);
    /* A line table takes a few bytes per instruction; far more is a torn or foreign object. */
    if (size > 16 * units + 64) return 0;
    *line = ls_py_line(m, table + L->bytes_data, (size_t)size, firstlineno, f->lasti);
    return 0;
}

int ls_py_is_eval(const struct ls_py_layout *L, uint64_t pc)
{
    return (pc >= L->eval_start && pc < L->eval_end) ||
           (L->cold_start && pc >= L->cold_start && pc < L->cold_end);
}

int ls_py_merge(const struct ls_py_layout *L, const uint64_t *ips, int nips,
                const struct ls_py_raw *py, int npy, struct ls_py_slot *out, int max)
{
    int n = 0, p = 0;
    for (int i = 0; i < nips && n < max; i++) {
        if (!ls_py_is_eval(L, ips[i]) || p >= npy) {
            out[n++] = (struct ls_py_slot){.python = 0, .index = (uint16_t)i};
            continue;
        }
        /* This eval-loop call ran Python frames from here up to and including its entry. */
        for (;;) {
            int entry = py[p].entry;
            out[n++] = (struct ls_py_slot){.python = 1, .index = (uint16_t)p};
            p++;
            if (entry || p >= npy || n >= max) break;
        }
    }
    while (p < npy && n < max)
        out[n++] = (struct ls_py_slot){.python = 1, .index = (uint16_t)p++};
    return n;
}
