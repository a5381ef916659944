/* pyframes_internal.h -- what pyframes.c and pyframes_layout.c share; not for other callers. */
#ifndef LS_PYFRAMES_INTERNAL_H
#define LS_PYFRAMES_INTERNAL_H

#include "pyframes.h"

/* _PyInterpreterFrame.owner values (pycore_frame.h, the same in 3.11-3.13). */
#define LS_PYF_OWNED_BY_FRAME_OBJECT 2
#define LS_PYF_OWNED_BY_CSTACK       3 /* 3.12+: the shim an eval-loop call pushes */

/* PyVarObject.ob_size: a code object's length in code units. Fixed since 3.0. */
#define LS_PYF_VAR_OB_SIZE 16

/* How a frame walk ended: at the chain's end, at the caller's limit, or at a link that did not
 * read as a frame (torn, freed, or a wrong layout). */
enum ls_pyf_walk_end { LS_PYF_WALK_END, LS_PYF_WALK_FULL, LS_PYF_WALK_BROKEN };

int ls_pyf_walk(const struct ls_py_layout *L, const struct ls_mem *m, uint64_t tstate,
                struct ls_py_raw *out, int max, enum ls_pyf_walk_end *end);

/* Whole reads through m: 0, or -1 when any byte is unreadable (address 0 included). */
int ls_pyf_read(const struct ls_mem *m, uint64_t addr, void *buf, size_t len);
int ls_pyf_read_u64(const struct ls_mem *m, uint64_t addr, uint64_t *v);
/* An unaligned 64-bit load from a copied buffer. */
uint64_t ls_pyf_u64(const void *buf, size_t off);

#endif
