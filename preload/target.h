/* target.h -- name what a kept call waited on, from inside the process, after the call returned. */
#ifndef LS_TARGET_H
#define LS_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* A descriptor's peer (getpeername) or file; a path, host name or command
 * read fault-safely from the caller's argument; a pid. */
void ls_target_name(int tkind, uint64_t target, char *out, size_t len);

#endif
