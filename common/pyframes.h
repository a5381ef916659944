/* pyframes.h -- CPython 3.11-3.13 frames read from memory: no Python API, no GIL, no locks.
 *
 * Three steps, each usable on its own. ls_py_capture takes the raw frames of one thread (code
 * object and instruction index): cheap, bounded, safe in a signal handler. ls_py_describe turns
 * one raw frame into a qualified name, file and line, later and outside signal context, while
 * the code object is still alive. ls_py_merge puts Python frames where the interpreter's eval
 * loop stood in a native stack (py-spy's --native rule), so a stack reads from the blocking call
 * down to main. Every read of interpreter memory goes through a struct ls_mem, a fault-safe
 * reader: a half-written frame, a freed code object or a garbage pointer gives a failed read and
 * a shorter answer, never a crash.
 *
 * The layout (what to read where) is filled in two halves: preload/python.c finds the symbols
 * in the running process (dlsym), ls_py_layout_offsets reads the offsets from the interpreter's
 * own memory (_Py_DebugOffsets on 3.13, PyCode_Type's member table on 3.11 and 3.12) and
 * ls_py_layout_check walks a live thread's frames to prove the result.
 */
#ifndef LS_PYFRAMES_H
#define LS_PYFRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LS_PY_MAX_FRAMES 64  /* Python frames one capture keeps */
#define LS_PY_NAME_MAX   256 /* bytes of a qualified or file name, NUL included */

/* How the start of one _PyEval_EvalFrameDefault call shows in the frame chain. */
enum ls_py_entry_kind {
    LS_PY_ENTRY_FLAG = 1, /* 3.11: the frame's own is_entry byte */
    LS_PY_ENTRY_SHIM = 2, /* 3.12+: a shim frame (owner FRAME_OWNED_BY_CSTACK) follows it */
};

/* Where one running CPython keeps what a frame walk needs. Plain data: addresses in the
 * observed process and offsets, no pointers into the agent, so it can be copied into shared
 * memory and used by another process reading this one. */
struct ls_py_layout {
    uint32_t version;    /* Py_Version, e.g. 0x030b02f0 for 3.11.2 */
    uint32_t entry_kind; /* enum ls_py_entry_kind */
    /* Addresses of the interpreter's own objects and functions. */
    uint64_t runtime;              /* _PyRuntime (3.13 starts it with _Py_DebugOffsets) */
    uint64_t code_type;            /* PyCode_Type: a frame's code object has this ob_type */
    uint64_t unicode_type;         /* PyUnicode_Type */
    uint64_t bytes_type;           /* PyBytes_Type */
    uint64_t none;                 /* _Py_NoneStruct: 3.13's f_executable of a shim frame */
    uint64_t get_tstate;           /* PyGILState_GetThisThreadState, called only in this process */
    uint64_t eval_start, eval_end; /* _PyEval_EvalFrameDefault, [start, end) */
    uint64_t cold_start, cold_end; /* its .cold part where a symbol table names it, else 0 */
    /* PyThreadState -> innermost frame: tstate->cframe->current_frame (3.11, 3.12) or
     * tstate->current_frame (3.13, ts_cframe 0). */
    uint16_t ts_cframe, ts_frame;
    /* _PyInterpreterFrame */
    uint16_t fr_code, fr_previous, fr_instr, fr_owner, fr_is_entry, fr_size;
    /* PyCodeObject */
    uint16_t co_filename, co_qualname, co_firstlineno, co_linetable, co_code_adaptive;
    /* PyObject, PyASCIIObject / PyCompactUnicodeObject, PyBytesObject */
    uint16_t ob_type;
    uint16_t str_state, str_length, str_ascii_data, str_compact_data;
    uint16_t bytes_size, bytes_data;
    /* How many live frames ls_py_detect's self-check named: 0 when the thread that called it
     * ran no Python, and the layout is then proven by the interpreter's tables alone. */
    uint16_t proven_frames;
};

/* One frame as captured: cheap, bounded, async-signal-safe to take. */
struct ls_py_raw {
    uint64_t code;  /* the PyCodeObject running in the frame */
    int32_t lasti;  /* index of the current instruction in code units, -1 before the first */
    uint8_t entry;  /* 1: the outermost frame of one eval-loop call (entered from C) */
    uint8_t pad[3]; /* keeps the struct free of uninitialised bytes when copied */
};

/* A fault-safe reader: returns bytes read (< len, or -1, when the memory is not readable). */
struct ls_mem {
    ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
    void *ctx;
};

/* The reader for struct ls_mem: process_vm_readv (common/mem.h) on the process whose pid_t ctx
 * points to (NULL or 0: the calling process, asked for on every read; the agent passes its own
 * pid variable, kept right across fork, which saves half the system calls; the watcher outside
 * passes the watched pid). A bad address is EFAULT, never a signal. Async-signal-safe; keeps
 * errno. */
ssize_t ls_mem_read_pid(void *ctx, uint64_t addr, void *buf, size_t len);

/* 0 when CPython version (a Py_Version value) is one this module reads; otherwise -ENOTSUP
 * with "Python 3.10 is not supported: frames stay native" in why. */
int ls_py_supported(uint32_t version, char *why, size_t whylen);

/* Fills L's offsets from the interpreter's memory, given L's version and addresses (set by
 * preload/python.c). Returns 0, or a negative errno with a one-line reason in why. */
int ls_py_layout_offsets(struct ls_py_layout *L, const struct ls_mem *m, char *why, size_t whylen);

/* Proves L on a live thread: walks tstate's frames and names each one. 0 when every frame
 * reads as a code object with a name, a file and an instruction inside its code, or when the
 * walk finds no frame and need_frames is 0; a negative errno with a one-line reason otherwise.
 * need_frames is 1 when the caller knows the thread is running Python (it is inside a call made
 * from Python, as a wrapper on a loop thread is): then an empty walk is a failure too. The
 * number of frames proven goes to *proven (may be NULL). Not in a signal handler. */
int ls_py_layout_check(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t tstate,
                       int need_frames, int *proven, char *why, size_t whylen);

/* The Python frames of the thread whose PyThreadState is tstate, innermost first, at most max
 * (and at most LS_PY_MAX_FRAMES). Async-signal-safe: fault-safe reads only, bounded, no locks,
 * little stack. Only consistent for the calling thread, or a thread that is stopped. Returns the
 * number of frames written (0 when tstate is 0 or the first read fails). */
int ls_py_capture(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t tstate,
                  struct ls_py_raw *out, int max);

/* Names one captured frame: qualified name and file (truncated to fit, UTF-8, "?" when not a
 * string) and the current line (-1 when the code has none for that instruction). Re-checks that
 * f->code is still a code object. Not in a signal handler (it reads up to the whole line table).
 * Returns 0, -ESTALE when f->code is no longer a code object, -EFAULT when it cannot be read,
 * -EINVAL when L is not a layout ls_py_layout_offsets could have made. */
int ls_py_describe(const struct ls_py_layout *L, const struct ls_mem *m, const struct ls_py_raw *f,
                   char *qualname, size_t qlen, char *file, size_t flen, int *line);

/* The line of instruction lasti (code units) in a co_linetable of len bytes at table, for a
 * code object whose first line is firstlineno: -1 when the table says "no location" or ends
 * first. Exposed for the tests, which check it against Python's own co_lines(). */
int ls_py_line(const struct ls_mem *m, uint64_t table, size_t len, int firstlineno, int lasti);

/* 1 when pc (inside its function, as in ls_py_merge's ips) is in _PyEval_EvalFrameDefault or
 * its known cold part. */
int ls_py_is_eval(const struct ls_py_layout *L, uint64_t pc);

/* One element of a merged stack: native ips[index] or Python py[index]. */
struct ls_py_slot {
    uint8_t python; /* 0: native frame, 1: Python frame */
    uint8_t pad;
    uint16_t index;
};

/* py-spy's --native merge rule: each native frame inside _PyEval_EvalFrameDefault is replaced by
 * the Python frames that eval-loop call ran, up to and including its entry frame; other native
 * frames stay. ips are pcs inside their functions (return addresses minus one, as the agent
 * stores them), innermost first; py is a capture of the same thread at the same instant. Python
 * frames left over when the native stack ends (it was truncated, or had no eval frame) follow
 * it, outermost last. Returns the number of slots written to out, innermost first. */
int ls_py_merge(const struct ls_py_layout *L, const uint64_t *ips, int nips,
                const struct ls_py_raw *py, int npy, struct ls_py_slot *out, int max);

#endif
