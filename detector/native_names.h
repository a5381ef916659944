/* native_names.h -- what libdw says a module's offset is: function, source file and line.
 *
 * Only the symbolizer helper (symbolizer.c, `loopstall-symbolizer`) links
 * libdw and this file; the command asks it through symbolizer_client.h.
 */
#ifndef LS_NATIVE_NAMES_H
#define LS_NATIVE_NAMES_H

#include <jansson.h>

struct ls_native_names;

struct ls_native_names *ls_native_names_new(void);
void ls_native_names_free(struct ls_native_names *n);

/* An object with "symbol", "file" and "line" where the module's symbol table
 * and debug information know them at offset off; empty when nothing does,
 * when the module is not a regular file, or when its build-id is not
 * want_build_id (the file changed since the run: its names would lie). Each
 * module is opened once. */
json_t *ls_native_names_look_up(struct ls_native_names *n, const char *module, unsigned long off,
                                const char *want_build_id);

#endif
