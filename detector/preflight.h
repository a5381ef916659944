/* preflight.h -- before starting a command: can the agent see inside it at all? */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

#include <stddef.h>

/* Finds cmd on PATH (or as given when it holds a '/'); 0, or -ENOENT (no such file), -EACCES
 * (there, but not executable) or -EISDIR, as a shell tells them apart. */
int ls_find_program(const char *cmd, char *out, size_t len);

#include <limits.h>

struct ls_program_info {
    /* NULL when the program can be observed, or a sentence saying plainly why
     * it cannot: a static binary, a setuid one, a Go binary (raw system calls). */
    const char *unobservable;
    /* A sanitizer runtime the program is linked with (libasan, libtsan), which
     * must come first in LD_PRELOAD or it refuses to start. */
    int needs_sanitizer;
    char sanitizer[PATH_MAX];
};

/* Looks at the program once (one open, its first 4 KiB and the few headers
 * beyond them) for all of the above. */
void ls_inspect_program(const char *path, struct ls_program_info *info);

#endif
