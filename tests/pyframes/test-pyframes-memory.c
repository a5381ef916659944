/* test-pyframes-memory.c -- the frame reader on memory built by hand: torn, freed, cyclic and
 * unmapped frames, line tables and names of every form, the merge, and layouts it must refuse.
 *
 * The real interpreters are in test-pyframes.c; here each object is laid out as CPython 3.12
 * lays it out, so that each failure the reader must survive can be made on purpose.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pyframes.h"

static const struct ls_mem mem = {.read = ls_mem_read_pid, .ctx = NULL};

/* Stand-ins for the interpreter's type objects and None: only their addresses matter. */
static uint64_t code_type[8], str_type[8], bytes_type[8], none_object[8];

#define ADDR(p) ((uint64_t)(uintptr_t)(p))

/* CPython 3.12's offsets (checked against its headers; see pyframes_layout.c). */
static struct ls_py_layout layout_312(void)
{
    return (struct ls_py_layout){
        .version = 0x030c01f0,
        .entry_kind = LS_PY_ENTRY_SHIM,
        .code_type = ADDR(code_type),
        .unicode_type = ADDR(str_type),
        .bytes_type = ADDR(bytes_type),
        .none = ADDR(none_object),
        .eval_start = 1000,
        .eval_end = 2000,
        .ts_cframe = 56,
        .ts_frame = 0,
        .fr_code = 0,
        .fr_previous = 8,
        .fr_instr = 56,
        .fr_owner = 70,
        .fr_size = 71,
        .co_filename = 112,
        .co_qualname = 128,
        .co_firstlineno = 68,
        .co_linetable = 136,
        .co_code_adaptive = 192,
        .ob_type = 8,
        .str_state = 32,
        .str_length = 16,
        .str_ascii_data = 40,
        .str_compact_data = 56,
        .bytes_size = 16,
        .bytes_data = 32,
    };
}

static void put64(void *obj, size_t off, uint64_t v)
{
    memcpy((char *)obj + off, &v, sizeof v);
}

static void put32(void *obj, size_t off, uint32_t v)
{
    memcpy((char *)obj + off, &v, sizeof v);
}

/* A compact str of kind 1, 2 or 4 holding n code points. */
static void make_str(unsigned char *obj, int kind, const uint32_t *cps, size_t n)
{
    int ascii = 1;
    for (size_t i = 0; i < n; i++)
        ascii &= cps[i] < 0x80;
    put64(obj, 8, ADDR(str_type));
    put64(obj, 16, n);
    put32(obj, 32, (uint32_t)(kind << 2 | 1 << 5 | (ascii && kind == 1) << 6));
    unsigned char *data = obj + (ascii && kind == 1 ? 40 : 56);
    for (size_t i = 0; i < n; i++) {
        if (kind == 1) data[i] = (unsigned char)cps[i];
        if (kind == 2) {
            data[2 * i] = (unsigned char)cps[i];
            data[2 * i + 1] = (unsigned char)(cps[i] >> 8);
        }
        if (kind == 4) memcpy(data + 4 * i, &cps[i], 4);
    }
}

static void make_ascii(unsigned char *obj, const char *s)
{
    uint32_t cps[256];
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        cps[i] = (unsigned char)s[i];
    make_str(obj, 1, cps, n);
}

/* The line table of the tests below, first line 10: units 0-1 line 11 (no columns, +1), unit 2
 * no location, units 3-5 line 12 (one-line form, +1, two column bytes), unit 6 line 9 (long
 * form, -3), units 7-8 line 9 (short form), unit 9 line 109 (+100, a two-byte varint). */
static const unsigned char table[] = {0xE9, 0x02, 0xF8, 0xDA, 0x01, 0x05, 0xF0, 0x07,
                                      0x00, 0x01, 0x02, 0x81, 0x03, 0xE8, 0x48, 0x03};

struct fake_code {
    unsigned char code[256], qualname[128], file[128], lines[64];
};

static void make_code(struct fake_code *c, const char *qualname, const char *file, uint64_t units)
{
    memset(c, 0, sizeof *c);
    put64(c->code, 8, ADDR(code_type));
    put64(c->code, 16, units);
    make_ascii(c->qualname, qualname);
    make_ascii(c->file, file);
    put64(c->lines, 8, ADDR(bytes_type));
    put64(c->lines, 16, sizeof table);
    memcpy(c->lines + 32, table, sizeof table);
    put64(c->code, 128, ADDR(c->qualname));
    put64(c->code, 112, ADDR(c->file));
    put32(c->code, 68, 10);
    put64(c->code, 136, ADDR(c->lines));
}

/* A frame running code at instruction unit (or a shim, code None, owner 3). */
static void make_frame(unsigned char *f, const void *code, int unit, const void *prev, int owner)
{
    memset(f, 0, 80);
    put64(f, 0, code ? ADDR(code) : ADDR(none_object));
    put64(f, 8, ADDR(prev));
    put64(f, 56, code ? ADDR(code) + 192 + 2 * (uint64_t)unit : 0);
    f[70] = (unsigned char)owner;
}

/* tstate->cframe->current_frame = frame. */
struct fake_thread {
    unsigned char tstate[64], cframe[8];
};

static uint64_t make_thread(struct fake_thread *t, const void *frame)
{
    memset(t, 0, sizeof *t);
    put64(t->tstate, 56, ADDR(t->cframe));
    put64(t->cframe, 0, ADDR(frame));
    return ADDR(t->tstate);
}

/* A page that faults on every access, to stand for freed or unmapped memory. */
static unsigned char *fault_page(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(mprotect(p + page, (size_t)page, PROT_NONE), 0);
    return p + page;
}

Test(reader, an_unmapped_address_reads_as_failure_and_keeps_errno)
{
    unsigned char *bad = fault_page(), buf[16];
    errno = 4242;
    cr_assert_eq(ls_mem_read_pid(NULL, ADDR(bad), buf, sizeof buf), -1);
    cr_assert_eq(errno, 4242, "the reader changed errno to %d", errno);
    cr_assert_eq(ls_mem_read_pid(NULL, ADDR(bad - 8), buf, sizeof buf), 8,
                 "a read running into the unmapped page is short");
    cr_assert_eq(ls_mem_read_pid(NULL, 8, buf, sizeof buf), -1, "address 8 is never mapped");
}

Test(capture, a_chain_of_frames_comes_back_innermost_first_with_its_entry)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a, b;
    make_code(&a, "inner", "app.py", 20);
    make_code(&b, "outer", "app.py", 20);
    unsigned char shim_end[80], outer[80], shim[80], mid[80], inner[80];
    make_frame(shim_end, NULL, 0, NULL, 3);
    make_frame(outer, &b, 9, shim_end, 0);
    make_frame(shim, NULL, 0, outer, 3);
    make_frame(mid, &b, 3, shim, 1);
    make_frame(inner, &a, 6, mid, 0);
    struct fake_thread t;
    struct ls_py_raw f[LS_PY_MAX_FRAMES];
    int n = ls_py_capture(&L, &mem, make_thread(&t, inner), f, LS_PY_MAX_FRAMES);
    cr_assert_eq(n, 3, "shims are skipped: 3 frames, got %d", n);
    cr_assert_eq(f[0].code, ADDR(&a.code));
    cr_assert_eq(f[0].lasti, 6);
    cr_assert_eq(f[1].lasti, 3);
    cr_assert_eq(f[2].lasti, 9);
    cr_assert(!f[0].entry && f[1].entry && f[2].entry, "entries: the frames above each shim");
    char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
    int line;
    cr_assert_eq(ls_py_describe(&L, &mem, &f[0], q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "inner");
    cr_assert_str_eq(file, "app.py");
    cr_assert_eq(line, 9);
    cr_assert_eq(ls_py_describe(&L, &mem, &f[2], q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_eq(line, 109);
    /* The caller's limit is kept. */
    cr_assert_eq(ls_py_capture(&L, &mem, ADDR(t.tstate), f, 2), 2);
}

Test(capture, no_thread_state_or_an_unmapped_one_gives_no_frames)
{
    struct ls_py_layout L = layout_312();
    struct ls_py_raw f[4];
    cr_assert_eq(ls_py_capture(&L, &mem, 0, f, 4), 0);
    cr_assert_eq(ls_py_capture(&L, &mem, ADDR(fault_page()), f, 4), 0);
    cr_assert_eq(ls_py_capture(&L, &mem, 0x10, f, 4), 0);
}

Test(capture, a_link_into_unmapped_memory_ends_the_walk_there)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a;
    make_code(&a, "f", "app.py", 20);
    unsigned char inner[80];
    make_frame(inner, &a, 1, fault_page(), 0);
    struct fake_thread t;
    struct ls_py_raw f[4];
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, inner), f, 4), 1);
}

Test(capture, a_misaligned_or_garbage_link_ends_the_walk)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a;
    make_code(&a, "f", "app.py", 20);
    unsigned char frames[2][80];
    make_frame(frames[0], &a, 1, frames[1] + 3, 0); /* torn: not pointer-aligned */
    make_frame(frames[1], &a, 1, NULL, 0);
    struct fake_thread t;
    struct ls_py_raw f[4];
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, frames[0]), f, 4), 1);
    make_frame(frames[0], &a, 1, frames[1], 9); /* an owner no frame has */
    cr_assert_eq(ls_py_capture(&L, &mem, ADDR(t.tstate), f, 4), 0);
}

Test(capture, a_cycle_stops_at_the_frame_limit)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a;
    make_code(&a, "f", "app.py", 20);
    unsigned char x[80], y[80], self[80];
    make_frame(x, &a, 1, y, 0);
    make_frame(y, &a, 2, x, 0);
    struct fake_thread t;
    struct ls_py_raw f[LS_PY_MAX_FRAMES + 8];
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, x), f, LS_PY_MAX_FRAMES + 8),
                 LS_PY_MAX_FRAMES, "never more than LS_PY_MAX_FRAMES");
    make_frame(self, &a, 1, self, 0);
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, self), f, LS_PY_MAX_FRAMES), 0,
                 "a frame that is its own caller is garbage");
    /* A cycle of shims has no frame to fill the limit: the step bound ends it. */
    unsigned char s1[80], s2[80];
    make_frame(s1, NULL, 0, s2, 3);
    make_frame(s2, NULL, 0, s1, 3);
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, s1), f, LS_PY_MAX_FRAMES), 0);
}

Test(capture, a_freed_code_object_ends_the_walk_and_describe_says_stale)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a, b;
    make_code(&a, "f", "app.py", 20);
    make_code(&b, "g", "app.py", 20);
    unsigned char outer[80], inner[80];
    make_frame(outer, &b, 1, NULL, 0);
    make_frame(inner, &a, 1, outer, 0);
    struct fake_thread t;
    struct ls_py_raw f[4];
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, inner), f, 4), 2);
    /* The code object is freed between capture and describe: its type is gone. */
    put64(a.code, 8, 0xdddddddddddddddd);
    char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
    int line;
    cr_assert_eq(ls_py_describe(&L, &mem, &f[0], q, sizeof q, file, sizeof file, &line), -ESTALE);
    cr_assert_str_eq(q, "?");
    cr_assert_eq(line, -1);
    cr_assert_eq(ls_py_capture(&L, &mem, ADDR(t.tstate), f, 4), 0,
                 "a frame whose code is not a "
                 "code object ends the walk");
    struct ls_py_raw gone = {.code = ADDR(fault_page()), .lasti = 0};
    cr_assert_eq(ls_py_describe(&L, &mem, &gone, q, sizeof q, file, sizeof file, &line), -EFAULT);
}

Test(capture, a_layout_whose_offsets_overrun_its_reads_reads_nothing)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a;
    make_code(&a, "f", "app.py", 20);
    unsigned char frame[80];
    make_frame(frame, &a, 1, NULL, 0);
    struct fake_thread t;
    struct ls_py_raw f[4] = {{.code = ADDR(a.code)}};
    char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
    int line;
    L.fr_owner = 200; /* past the frame read */
    cr_assert_eq(ls_py_capture(&L, &mem, make_thread(&t, frame), f, 4), 0);
    L = layout_312();
    L.co_qualname = 300; /* past the code object read */
    cr_assert_eq(ls_py_describe(&L, &mem, &f[0], q, sizeof q, file, sizeof file, &line), -EINVAL);
    L = layout_312();
    L.str_length = 60; /* past the str header */
    cr_assert_eq(ls_py_capture(&L, &mem, ADDR(t.tstate), f, 4), 0);
}

Test(describe, a_torn_instruction_pointer_gives_no_line_but_the_names)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a;
    make_code(&a, "f", "app.py", 8);
    char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
    int line;
    struct ls_py_raw past = {.code = ADDR(a.code), .lasti = 8}; /* the code has 8 units */
    cr_assert_eq(ls_py_describe(&L, &mem, &past, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "f");
    cr_assert_eq(line, -1);
    put64(a.code, 136, ADDR(a.qualname)); /* a line table that is not bytes */
    struct ls_py_raw ok = {.code = ADDR(a.code), .lasti = 0};
    cr_assert_eq(ls_py_describe(&L, &mem, &ok, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_eq(line, -1);
}

Test(describe, names_of_every_string_kind_come_out_as_utf8)
{
    struct ls_py_layout L = layout_312();
    struct fake_code a;
    make_code(&a, "x", "y", 20);
    const uint32_t latin1[] = {'G', 'r', 0xfc, 0xdf, 'e'}; /* Grüße */
    const uint32_t ucs2[] = {0x540d, 0x524d, '.', 'f'};    /* 名前.f */
    const uint32_t ucs4[] = {0x1f40d, '_',  'p',
                             'y',     '\n', 0xd800}; /* 🐍_py, control, lone surrogate */
    make_str(a.qualname, 1, latin1, 5);
    make_str(a.file, 2, ucs2, 4);
    struct ls_py_raw f = {.code = ADDR(a.code), .lasti = 0};
    char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
    int line;
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "Gr\xc3\xbc\xc3\x9f"
                        "e");
    cr_assert_str_eq(file, "\xe5\x90\x8d\xe5\x89\x8d.f");
    make_str(a.qualname, 4, ucs4, 6);
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "\xf0\x9f\x90\x8d_py??");
    /* Truncation never splits a character: 5 bytes of room hold the snake and one more. */
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, 6, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "\xf0\x9f\x90\x8d_");
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, 4, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "?", "no room for the first character gives \"?\"");
    make_ascii(a.qualname, "load");
    a.qualname[40 + 4] = 'x'; /* its NUL overwritten: not where a string's characters end */
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "?");
    const uint32_t with_nul[] = {'l', 'o', 0, 'd'}; /* a NUL inside: read from the wrong place */
    make_str(a.qualname, 1, with_nul, 4);
    a.qualname[40 + 4] = '\0';
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "?");
    put64(a.qualname, 8, ADDR(bytes_type)); /* not a str */
    cr_assert_eq(ls_py_describe(&L, &mem, &f, q, sizeof q, file, sizeof file, &line), 0);
    cr_assert_str_eq(q, "?");
}

Test(linetable, every_entry_form_gives_its_line)
{
    static const int want[] = {11, 11, -1, 12, 12, 12, 9, 9, 9, 109, -1};
    for (int unit = 0; unit < (int)(sizeof want / sizeof want[0]); unit++)
        cr_assert_eq(ls_py_line(&mem, ADDR(table), sizeof table, 10, unit), want[unit], "unit %d",
                     unit);
    cr_assert_eq(ls_py_line(&mem, ADDR(table), sizeof table, 10, -1), 10,
                 "a frame that has not started is at its first line");
}

Test(linetable, a_cut_or_corrupt_table_gives_no_line)
{
    cr_assert_eq(ls_py_line(&mem, ADDR(table), sizeof table - 1, 10, 9), -1,
                 "the last varint cut short");
    static const unsigned char no_header[] = {0x02, 0xE9};
    cr_assert_eq(ls_py_line(&mem, ADDR(no_header), sizeof no_header, 10, 0), -1);
    unsigned char *bad = fault_page();
    cr_assert_eq(ls_py_line(&mem, ADDR(bad), 16, 10, 0), -1);
    static const unsigned char endless[] = {0xE8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f};
    cr_assert_eq(ls_py_line(&mem, ADDR(endless), sizeof endless, 10, 0), -1,
                 "a varint longer than 32 bits");
}

/* Slots as text: "n0 p0 p1 n2 ...". */
static const char *slots_text(const struct ls_py_slot *s, int n)
{
    static char buf[512];
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%c%d", i ? " " : "",
                                 s[i].python ? 'p' : 'n', s[i].index);
    return buf;
}

Test(merge, each_eval_frame_gives_way_to_its_python_frames)
{
    struct ls_py_layout L = layout_312();
    L.cold_start = 5000;
    L.cold_end = 5100;
    const uint64_t ips[] = {10, 1500, 20, 5050, 30, 1600, 40};
    const struct ls_py_raw py[] = {
        {.entry = 0}, {.entry = 1}, {.entry = 1}, {.entry = 0}, {.entry = 1}};
    struct ls_py_slot out[32];
    int n = ls_py_merge(&L, ips, 7, py, 5, out, 32);
    cr_assert_str_eq(slots_text(out, n), "n0 p0 p1 n2 p2 n4 p3 p4 n6",
                     "the cold part counts as the eval loop");
    n = ls_py_merge(&L, ips, 7, py, 2, out, 32);
    cr_assert_str_eq(slots_text(out, n), "n0 p0 p1 n2 n3 n4 n5 n6",
                     "eval frames with no Python frames left stay native");
    const uint64_t truncated[] = {10, 1500};
    n = ls_py_merge(&L, truncated, 2, py, 5, out, 32);
    cr_assert_str_eq(slots_text(out, n), "n0 p0 p1 p2 p3 p4",
                     "Python frames left over follow a truncated native stack");
    const uint64_t native_only[] = {10, 20};
    n = ls_py_merge(&L, native_only, 2, py, 2, out, 32);
    cr_assert_str_eq(slots_text(out, n), "n0 n1 p0 p1");
    n = ls_py_merge(&L, ips, 7, py, 5, out, 4);
    cr_assert_str_eq(slots_text(out, n), "n0 p0 p1 n2", "the caller's limit is kept");
    const uint64_t edges[] = {999, 1000, 1999, 2000};
    n = ls_py_merge(&L, edges, 4, py, 5, out, 32);
    cr_assert_str_eq(slots_text(out, n), "n0 p0 p1 p2 n3 p3 p4", "the range is [start, end)");
}

/* A 3.13 _Py_DebugOffsets head: cookie, version, free_threaded, then offsets. */
static uint64_t fake_runtime[80];

static int offsets_313(const char *cookie, uint64_t version, uint64_t free_threaded, char *why,
                       size_t len)
{
    memset(fake_runtime, 0, sizeof fake_runtime);
    memcpy(fake_runtime, cookie, 8);
    fake_runtime[1] = version;
    fake_runtime[2] = free_threaded;
    struct ls_py_layout L = {.version = 0x030d00f0,
                             .runtime = ADDR(fake_runtime),
                             .code_type = ADDR(code_type),
                             .unicode_type = ADDR(str_type),
                             .bytes_type = ADDR(bytes_type),
                             .none = ADDR(none_object)};
    return ls_py_layout_offsets(&L, &mem, why, len);
}

Test(layout, a_313_runtime_without_its_debug_offsets_is_refused)
{
    char why[256];
    cr_assert_eq(offsets_313("xdebugpy", 0x030d00f0, 1, why, sizeof why), -ENOTSUP);
    cr_assert_str_eq(why, "Python 3.13.0: the free-threaded build is not supported: frames stay "
                          "native");
    cr_assert_eq(offsets_313("notdebug", 0x030d00f0, 0, why, sizeof why), -ENOTSUP);
    cr_assert_str_eq(why, "Python 3.13.0: _PyRuntime does not start with _Py_DebugOffsets: frames "
                          "stay native");
    cr_assert_eq(offsets_313("xdebugpy", 0x030d01f0, 0, why, sizeof why), -ENOTSUP);
    cr_assert(strstr(why, "_Py_DebugOffsets is for version 0x30d01f0"), "%s", why);
}

Test(layout, versions_outside_311_to_313_get_the_one_line_notice)
{
    char why[128];
    cr_assert_eq(ls_py_supported(0x030a0df0, why, sizeof why), -ENOTSUP);
    cr_assert_str_eq(why, "Python 3.10 is not supported: frames stay native");
    cr_assert_eq(ls_py_supported(0x030e00a1, why, sizeof why), -ENOTSUP);
    cr_assert_str_eq(why, "Python 3.14 is not supported: frames stay native");
    cr_assert_eq(ls_py_supported(0x020712f0, why, sizeof why), -ENOTSUP);
    cr_assert_eq(ls_py_supported(0x030b02f0, why, sizeof why), 0);
    cr_assert_str_eq(why, "");
}
