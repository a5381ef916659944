/* modules_lookup.h -- raw addresses to module + offset, from the record's table of loaded objects.
 */
#ifndef LS_MODULES_LOOKUP_H
#define LS_MODULES_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* A consistent copy of the record's module table (the agent may be rewriting
 * it); 0, or -1 when no stable copy could be taken. */
int ls_modules_copy(const struct ls_record *r, struct ls_module *out, uint32_t *n);
/* The module in tab holding ip, or NULL. */
const struct ls_module *ls_module_of(const struct ls_module *tab, uint32_t n, uint64_t ip);
/* The innermost frame of a stack as one short name for a person: the
 * interpreter function when there is one, else "module+0xoffset"; 0 if none. */
int ls_stack_innermost_name(const struct ls_record *r, const struct ls_stack *s, char *out,
                            size_t len);
/* The name of interpreter function index name (ls_pyframe.name) in the
 * record: qualname and file, or NULL when not (yet) known. */
int ls_pyname_get(const struct ls_record *r, uint32_t name, const char **qualname,
                  const char **file, int *firstlineno);

#endif
