/* preflight.h -- before starting a command: can the agent see inside it at all? */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

#include <stddef.h>

/* Finds cmd on PATH (or as given when it holds a '/'); 0, or -ENOENT. */
int ls_find_program(const char *cmd, char *out, size_t len);

/* Returns NULL when the program can be observed, or a sentence saying plainly
 * why it cannot: a static binary, a setuid one, a Go binary (raw system calls). */
const char *ls_unobservable_reason(const char *path);

#endif
