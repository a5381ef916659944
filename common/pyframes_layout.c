/* pyframes_layout.c -- where CPython 3.11-3.13 keep frames and names, read from the interpreter.
 *
 * 3.13 publishes its offsets in _Py_DebugOffsets at the start of _PyRuntime (for debuggers and
 * profilers: only stable between patch releases of one minor, so the cookie and version are
 * checked). 3.11 and 3.12 have no such table: the thread-state and frame offsets come from a
 * small table per minor (checked against each version's internal headers), and everything the
 * interpreter can say about itself is read at run time instead: the code object's fields from
 * PyCode_Type's member table, its header size from tp_basicsize, the bytes header from
 * PyBytes_Type. ls_py_layout_check then proves the whole on a live thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pyframes.h"
#include "pyframes_internal.h"

#define PY_MAJOR(v)  (((v) >> 24) & 0xffu)
#define PY_MINOR(v)  (((v) >> 16) & 0xffu)
#define PY_MICRO(v)  (((v) >> 8) & 0xffu)
#define PY_LEVEL(v)  (((v) >> 4) & 0xfu) /* 0xA alpha, 0xB beta, 0xC candidate, 0xF final */
#define PY_SERIAL(v) ((v)&0xfu)

/* PyTypeObject and PyMemberDef: unchanged since Python 3.0 on 64-bit builds. */
#define TP_NAME          24
#define TP_BASICSIZE     32
#define TP_MEMBERS       240
#define MEMBERDEF_SIZE   40 /* name, type, offset, flags, doc */
#define MEMBERDEF_OFFSET 16
#define MEMBERS_MAX      64 /* PyCode_Type lists 14 (3.11) to 16 (3.13) */

/* PyObject and PyASCIIObject fields before the variable part: fixed in 3.11-3.13. */
#define OB_TYPE    8
#define STR_LENGTH 16
#define STR_STATE  32
#define BYTES_SIZE 16

/* The minors without _Py_DebugOffsets; each number checked with offsetof() against the
 * internal headers of 3.11.2 (Debian), 3.11.7 and 3.12.1. */
struct minor_table {
    unsigned minor;
    uint16_t ts_cframe, ts_frame; /* tstate->cframe->current_frame */
    uint16_t fr_code, fr_previous, fr_instr, fr_owner, fr_is_entry; /* _PyInterpreterFrame */
    uint16_t str_ascii_data, str_compact_data; /* sizeof PyASCIIObject, PyCompactUnicodeObject */
};

static const struct minor_table minor_tables[] = {
    {11, 56, 8, 32, 48, 56, 69, 68, 48, 72},
    {12, 56, 0, 0, 8, 56, 70, 0, 40, 56},
};

/* _Py_DebugOffsets as 3.13 lays it out (Include/internal/pycore_runtime.h), up to the fields
 * used here. Another minor may reorder it; the version check comes first. */
struct py313_debug_offsets {
    char cookie[8]; /* "xdebugpy" */
    uint64_t version, free_threaded;
    struct {
        uint64_t size, finalizing, interpreters_head;
    } runtime_state;
    struct {
        uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins, ceval_gil,
            gil_runtime_state, gil_runtime_state_enabled, gil_runtime_state_locked,
            gil_runtime_state_holder;
    } interpreter_state;
    struct {
        uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id,
            datastack_chunk, status;
    } thread_state;
    struct {
        uint64_t size, previous, executable, instr_ptr, localsplus, owner;
    } interpreter_frame;
    struct {
        uint64_t size, filename, name, qualname, linetable, firstlineno, argcount, localsplusnames,
            localspluskinds, co_code_adaptive;
    } code_object;
    struct {
        uint64_t size, ob_type;
    } pyobject;
    struct {
        uint64_t size, tp_name, tp_repr, tp_flags;
    } type_object;
    struct {
        uint64_t size, ob_item, ob_size;
    } tuple_object, list_object;
    struct {
        uint64_t size, ma_keys, ma_values;
    } dict_object;
    struct {
        uint64_t size, ob_fval;
    } float_object;
    struct {
        uint64_t size, lv_tag, ob_digit;
    } long_object;
    struct {
        uint64_t size, ob_size, ob_sval;
    } bytes_object;
    struct {
        uint64_t size, state, length, asciiobject_size;
    } unicode_object;
};

static void version_name(uint32_t v, char *buf, size_t len)
{
    static const char *const level[16] = {[0xA] = "a", [0xB] = "b", [0xC] = "rc"};
    if (PY_LEVEL(v) == 0xF || !level[PY_LEVEL(v)])
        snprintf(buf, len, "%u.%u.%u", PY_MAJOR(v), PY_MINOR(v), PY_MICRO(v));
    else
        snprintf(buf, len, "%u.%u.%u%s%u", PY_MAJOR(v), PY_MINOR(v), PY_MICRO(v),
                 level[PY_LEVEL(v)], PY_SERIAL(v));
}

/* Writes "Python X.Y.Z: <reason>: frames stay native" and returns err. */
__attribute__((format(printf, 5, 6))) static int
refuse(const struct ls_py_layout *L, char *why, size_t whylen, int err, const char *fmt, ...)
{
    char ver[32], reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    version_name(L->version, ver, sizeof ver);
    if (whylen) snprintf(why, whylen, "Python %s: %s: frames stay native", ver, reason);
    return err;
}

/* 1 when the type object at type is named name (its tp_name C string). */
static int type_named(const struct ls_mem *m, uint64_t type, const char *name)
{
    uint64_t p;
    char got[16];
    size_t n = strlen(name) + 1;
    if (n > sizeof got || ls_pyf_read_u64(m, type + TP_NAME, &p) != 0) return 0;
    return ls_pyf_read(m, p, got, n) == 0 && memcmp(got, name, n) == 0;
}

struct code_members {
    int64_t filename, qualname, firstlineno, linetable; /* -1 until found */
};

/* The co_* offsets from PyCode_Type.tp_members, the interpreter's own description. */
static int read_code_members(const struct ls_py_layout *L, const struct ls_mem *m,
                             struct code_members *cm)
{
    *cm = (struct code_members){-1, -1, -1, -1};
    uint64_t table;
    if (ls_pyf_read_u64(m, L->code_type + TP_MEMBERS, &table) != 0 || table == 0) return -1;
    for (int i = 0; i < MEMBERS_MAX; i++) {
        unsigned char def[MEMBERDEF_SIZE];
        char name[16];
        if (ls_pyf_read(m, table + (uint64_t)i * MEMBERDEF_SIZE, def, sizeof def) != 0) return -1;
        uint64_t np = ls_pyf_u64(def, 0);
        if (np == 0) break;
        int64_t off = (int64_t)ls_pyf_u64(def, MEMBERDEF_OFFSET);
        /* The longest wanted name with its NUL is 15 bytes; names are C strings in rodata. */
        memset(name, 0, sizeof name);
        if (m->read(m->ctx, np, name, sizeof name - 1) <= 0) continue;
        if (strcmp(name, "co_filename") == 0) cm->filename = off;
        if (strcmp(name, "co_qualname") == 0) cm->qualname = off;
        if (strcmp(name, "co_firstlineno") == 0) cm->firstlineno = off;
        if (strcmp(name, "co_linetable") == 0) cm->linetable = off;
    }
    return cm->filename < 0 || cm->qualname < 0 || cm->firstlineno < 0 || cm->linetable < 0 ? -1
                                                                                            : 0;
}

static int from_debug_offsets(struct ls_py_layout *L, const struct ls_mem *m, char *why,
                              size_t whylen)
{
    struct py313_debug_offsets d;
    if (ls_pyf_read(m, L->runtime, &d, sizeof d) != 0)
        return refuse(L, why, whylen, -EFAULT, "_PyRuntime cannot be read");
    if (memcmp(d.cookie, "xdebugpy", 8) != 0)
        return refuse(L, why, whylen, -ENOTSUP, "_PyRuntime does not start with _Py_DebugOffsets");
    if (d.version != L->version)
        return refuse(L, why, whylen, -ENOTSUP, "_Py_DebugOffsets is for version 0x%llx",
                      (unsigned long long)d.version);
    if (d.free_threaded)
        return refuse(L, why, whylen, -ENOTSUP, "the free-threaded build is not supported");
    /* Each offset must lie inside its structure, and inside what one read copies. */
    const uint64_t fields[] = {d.thread_state.current_frame,
                               d.interpreter_frame.previous,
                               d.interpreter_frame.executable,
                               d.interpreter_frame.instr_ptr,
                               d.interpreter_frame.owner,
                               d.code_object.filename,
                               d.code_object.qualname,
                               d.code_object.linetable,
                               d.code_object.firstlineno,
                               d.code_object.co_code_adaptive,
                               d.pyobject.ob_type,
                               d.bytes_object.ob_size,
                               d.bytes_object.ob_sval,
                               d.unicode_object.state,
                               d.unicode_object.length,
                               d.unicode_object.asciiobject_size};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i] >= 1024)
            return refuse(L, why, whylen, -ENOTSUP, "_Py_DebugOffsets holds an offset of %llu",
                          (unsigned long long)fields[i]);
    L->ts_cframe = 0;
    L->ts_frame = (uint16_t)d.thread_state.current_frame;
    L->fr_code = (uint16_t)d.interpreter_frame.executable;
    L->fr_previous = (uint16_t)d.interpreter_frame.previous;
    L->fr_instr = (uint16_t)d.interpreter_frame.instr_ptr;
    L->fr_owner = (uint16_t)d.interpreter_frame.owner;
    L->co_filename = (uint16_t)d.code_object.filename;
    L->co_qualname = (uint16_t)d.code_object.qualname;
    L->co_firstlineno = (uint16_t)d.code_object.firstlineno;
    L->co_linetable = (uint16_t)d.code_object.linetable;
    L->co_code_adaptive = (uint16_t)d.code_object.co_code_adaptive;
    L->ob_type = (uint16_t)d.pyobject.ob_type;
    L->str_state = (uint16_t)d.unicode_object.state;
    L->str_length = (uint16_t)d.unicode_object.length;
    L->str_ascii_data = (uint16_t)d.unicode_object.asciiobject_size;
    /* PyCompactUnicodeObject adds utf8_length and utf8 to PyASCIIObject (3.12+). */
    L->str_compact_data = (uint16_t)(d.unicode_object.asciiobject_size + 16);
    L->bytes_size = (uint16_t)d.bytes_object.ob_size;
    L->bytes_data = (uint16_t)d.bytes_object.ob_sval;
    return 0;
}

static int from_table(struct ls_py_layout *L, const struct ls_mem *m, char *why, size_t whylen)
{
    const struct minor_table *t = NULL;
    for (size_t i = 0; i < sizeof minor_tables / sizeof minor_tables[0]; i++)
        if (minor_tables[i].minor == PY_MINOR(L->version)) t = &minor_tables[i];
    if (!t) return refuse(L, why, whylen, -ENOTSUP, "no frame layout for this minor");
    /* The table was read off final releases' headers; alphas and betas still moved fields. */
    if (PY_LEVEL(L->version) < 0xC)
        return refuse(L, why, whylen, -ENOTSUP, "pre-releases are not supported");
    struct code_members cm;
    if (read_code_members(L, m, &cm) != 0)
        return refuse(L, why, whylen, -ENOTSUP, "PyCode_Type's member table lacks a co_ field");
    if (cm.filename > 512 || cm.qualname > 512 || cm.firstlineno > 512 || cm.linetable > 512)
        return refuse(L, why, whylen, -ENOTSUP, "PyCode_Type's member table is not plausible");
    uint64_t basicsize;
    if (ls_pyf_read_u64(m, L->code_type + TP_BASICSIZE, &basicsize) != 0 || basicsize > 512)
        return refuse(L, why, whylen, -ENOTSUP, "PyCode_Type's size is not plausible");
    L->ts_cframe = t->ts_cframe;
    L->ts_frame = t->ts_frame;
    L->fr_code = t->fr_code;
    L->fr_previous = t->fr_previous;
    L->fr_instr = t->fr_instr;
    L->fr_owner = t->fr_owner;
    L->fr_is_entry = t->fr_is_entry;
    L->co_filename = (uint16_t)cm.filename;
    L->co_qualname = (uint16_t)cm.qualname;
    L->co_firstlineno = (uint16_t)cm.firstlineno;
    L->co_linetable = (uint16_t)cm.linetable;
    /* co_code_adaptive, the first instruction, ends the fixed part: tp_basicsize is its offset. */
    L->co_code_adaptive = (uint16_t)basicsize;
    L->ob_type = OB_TYPE;
    L->str_state = STR_STATE;
    L->str_length = STR_LENGTH;
    L->str_ascii_data = t->str_ascii_data;
    L->str_compact_data = t->str_compact_data;
    L->bytes_size = BYTES_SIZE;
    uint64_t bytes_basic;
    /* PyBytes_Type.tp_basicsize is offsetof(ob_sval) + 1, the trailing NUL. */
    if (ls_pyf_read_u64(m, L->bytes_type + TP_BASICSIZE, &bytes_basic) != 0 || bytes_basic < 2 ||
        bytes_basic > 64)
        return refuse(L, why, whylen, -ENOTSUP, "PyBytes_Type's size is not plausible");
    L->bytes_data = (uint16_t)(bytes_basic - 1);
    return 0;
}

/* What the interpreter says about itself must agree with the layout, whichever half gave it. */
static int cross_check(const struct ls_py_layout *L, const struct ls_mem *m, char *why,
                       size_t whylen)
{
    if (!type_named(m, L->code_type, "code") || !type_named(m, L->unicode_type, "str") ||
        !type_named(m, L->bytes_type, "bytes"))
        return refuse(L, why, whylen, -ENOTSUP,
                      "PyCode_Type, PyUnicode_Type or PyBytes_Type "
                      "is not the type its name says");
    struct code_members cm;
    uint64_t code_basic, str_basic, bytes_basic;
    if (read_code_members(L, m, &cm) != 0 ||
        ls_pyf_read_u64(m, L->code_type + TP_BASICSIZE, &code_basic) != 0 ||
        ls_pyf_read_u64(m, L->unicode_type + TP_BASICSIZE, &str_basic) != 0 ||
        ls_pyf_read_u64(m, L->bytes_type + TP_BASICSIZE, &bytes_basic) != 0)
        return refuse(L, why, whylen, -EFAULT, "the type objects cannot be read");
    if (cm.filename != L->co_filename || cm.qualname != L->co_qualname ||
        cm.firstlineno != L->co_firstlineno || cm.linetable != L->co_linetable ||
        code_basic != L->co_code_adaptive)
        return refuse(L, why, whylen, -ENOTSUP,
                      "the code object layout disagrees with "
                      "PyCode_Type");
    /* sizeof(PyUnicodeObject) is the compact header plus its data pointer. */
    if (str_basic != (uint64_t)L->str_compact_data + 8 || bytes_basic != L->bytes_data + 1u)
        return refuse(L, why, whylen, -ENOTSUP, "the str or bytes layout disagrees with its type");
    uint16_t code_fields[] = {L->co_filename, L->co_qualname, L->co_linetable};
    for (size_t i = 0; i < sizeof code_fields / sizeof code_fields[0]; i++)
        if (code_fields[i] + 8u > L->co_code_adaptive)
            return refuse(L, why, whylen, -ENOTSUP, "a code object field lies past its header");
    if (L->co_firstlineno + 4u > L->co_code_adaptive || L->co_code_adaptive > 256)
        return refuse(L, why, whylen, -ENOTSUP, "a code object field lies past its header");
    return 0;
}

int ls_py_supported(uint32_t version, char *why, size_t whylen)
{
    if (whylen) why[0] = '\0';
    if (PY_MAJOR(version) == 3 && PY_MINOR(version) >= 11 && PY_MINOR(version) <= 13) return 0;
    if (whylen)
        snprintf(why, whylen, "Python %u.%u is not supported: frames stay native",
                 PY_MAJOR(version), PY_MINOR(version));
    return -ENOTSUP;
}

int ls_py_layout_offsets(struct ls_py_layout *L, const struct ls_mem *m, char *why, size_t whylen)
{
    int err = ls_py_supported(L->version, why, whylen);
    if (err) return err;
    unsigned minor = PY_MINOR(L->version);
    if (!L->runtime || !L->code_type || !L->unicode_type || !L->bytes_type || !L->none)
        return refuse(L, why, whylen, -ENOENT, "an interpreter symbol is missing");
    err = minor >= 13 ? from_debug_offsets(L, m, why, whylen) : from_table(L, m, why, whylen);
    if (err) return err;
    L->entry_kind = minor == 11 ? LS_PY_ENTRY_FLAG : LS_PY_ENTRY_SHIM;
    uint16_t ends[] = {(uint16_t)(L->fr_code + 8), (uint16_t)(L->fr_previous + 8),
                       (uint16_t)(L->fr_instr + 8), (uint16_t)(L->fr_owner + 1),
                       (uint16_t)(L->fr_is_entry + 1)};
    L->fr_size = 0;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if (ends[i] > L->fr_size) L->fr_size = ends[i];
    if (L->fr_size > 128) return refuse(L, why, whylen, -ENOTSUP, "the frame is too large");
    return cross_check(L, m, why, whylen);
}

int ls_py_layout_check(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t tstate,
                       int need_frames, int *proven, char *why, size_t whylen)
{
    struct ls_py_raw f[LS_PY_MAX_FRAMES];
    enum ls_pyf_walk_end end;
    if (whylen) why[0] = '\0';
    if (proven) *proven = 0;
    int n = ls_pyf_walk(L, m, tstate, f, LS_PY_MAX_FRAMES, &end);
    if (end == LS_PYF_WALK_BROKEN)
        return refuse(L, why, whylen, -EPROTO,
                      "self-check failed: frame %d of this thread is not a code object's", n);
    if (n == 0 && need_frames)
        return refuse(L, why, whylen, -EPROTO,
                      "self-check failed: no frame found on a thread that runs Python");
    int with_line = 0;
    for (int i = 0; i < n; i++) {
        char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
        int line;
        uint64_t units;
        if (ls_py_describe(L, m, &f[i], q, sizeof q, file, sizeof file, &line) != 0 ||
            strcmp(q, "?") == 0 || strcmp(file, "?") == 0)
            return refuse(L, why, whylen, -EPROTO,
                          "self-check failed: frame %d of this thread has no name or file", i);
        /* Every frame of a live chain is inside an instruction: its callee's call, or for the
         * innermost, the call that brought this thread here. */
        if (ls_pyf_read_u64(m, f[i].code + LS_PYF_VAR_OB_SIZE, &units) != 0 || f[i].lasti < 0 ||
            (uint64_t)f[i].lasti >= units)
            return refuse(L, why, whylen, -EPROTO,
                          "self-check failed: frame %d of this thread is outside its code", i);
        with_line += line > 0;
    }
    /* An instruction may lack a location; a whole stack of them is a wrong line table. */
    if (n > 0 && with_line == 0)
        return refuse(L, why, whylen, -EPROTO,
                      "self-check failed: no frame of this thread has a line");
    /* The outermost frame was entered from C: without its mark the merge would misplace it. */
    if (n > 0 && end == LS_PYF_WALK_END && !f[n - 1].entry)
        return refuse(L, why, whylen, -EPROTO,
                      "self-check failed: the outermost frame is not marked as an entry");
    if (proven) *proven = n;
    return 0;
}
