/* identity.h -- the process's argv and executable, copied into the record while it is there to ask.
 */
#ifndef LS_IDENTITY_H
#define LS_IDENTITY_H

#include "record.h"

/* Copies /proc/self/cmdline and /proc/self/exe into r (a process killed without a word, or
 * whose image an exec replaced, still has them in its report). Not in a signal handler. */
void ls_note_identity(struct ls_record *r);
/* The same at load, from the arguments the loader passed the constructor (argv NULL: not
 * known, /proc is read). */
void ls_note_identity_at_load(struct ls_record *r, int argc, char *const argv[]);
/* This image's executable, as /proc/self/exe names it (read once). */
const char *ls_identity_exe(void);

#endif
