/* python.h -- the agent's side of Python frames: find this process's CPython and its layout. */
#ifndef LS_PYTHON_H
#define LS_PYTHON_H

#include <stddef.h>
#include <stdint.h>

#include "pyframes.h"

/* Finds the interpreter of this process and fills L: 0 when its frames can be read; otherwise a
 * negative errno and a one-line reason in why ("Python 3.10 is not supported: frames stay
 * native", "not a Python process"). Call it lazily, once, outside signal context (it uses dlsym,
 * dladdr and reads the interpreter's file for its symbol table); a process that is not Python
 * costs a few failed dlsym calls. Walks the calling thread's frames as a self-check when that
 * thread runs Python. Never touches the host's errno. */
int ls_py_detect(struct ls_py_layout *L, char *why, size_t whylen);

/* The calling thread's PyThreadState, or 0: PyGILState_GetThisThreadState, which reads the
 * thread's TSS slot and so answers whether or not the thread holds the GIL (the state
 * _PyThreadState_GET gives is cleared when the GIL is released). Main interpreter only. */
uint64_t ls_py_thread_state(const struct ls_py_layout *L);

#endif
