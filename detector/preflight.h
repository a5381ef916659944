/* preflight.h -- before starting a command: can the agent see inside it at all? */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

#include <stddef.h>

/* Finds cmd on PATH (or as given when it holds a '/'); 0, or -ENOENT. */
int ls_find_program(const char *cmd, char *out, size_t len);

/* Returns NULL when the program can be observed, or a sentence saying plainly
 * why it cannot: a static binary, a setuid one, a Go binary (raw system calls). */
const char *ls_unobservable_reason(const char *path);

/* A sanitizer runtime the program is linked with (libasan, libtsan), which
 * must come first in LD_PRELOAD or it refuses to start: its path, 0; or
 * -ENOENT when the program needs none. */
int ls_sanitizer_runtime(const char *program, char *out, size_t len);

#endif
