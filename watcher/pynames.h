/* pynames.h -- interpreter frames named into the record, so that a report can say them after the
 * process is gone.
 *
 * A captured frame is only a code object's address and an instruction
 * index; its qualified name, file and line must be read while the code
 * object lives. The loop thread does it at the end of a call or stall that
 * is kept (pid 0), the watcher for a stall still in progress (the watched
 * pid); each distinct function's names are stored once in the record's name
 * table, lock-free, and the frame keeps its index and its line.
 */
#ifndef LS_PYNAMES_H
#define LS_PYNAMES_H

#include <sys/types.h>

#include "record.h"

/* Names every frame of s not named yet, reading process pid (0: this one).
 * Not in a signal handler. */
void ls_pynames_resolve(struct ls_record *r, pid_t pid, struct ls_stack *s);

#endif
