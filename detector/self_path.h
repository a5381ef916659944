/* self_path.h -- the files that come with the command: the agent, the symbolizer helper. */
#ifndef LS_SELF_PATH_H
#define LS_SELF_PATH_H

#include <stddef.h>

/* The first of tails that exists with access mode (R_OK, X_OK), each taken
 * relative to the directory of the running executable: "NAME" beside it,
 * "../lib/NAME" in a sibling directory. out receives an absolute path with
 * no "..". 0, or -ENOENT when none is there. */
int ls_beside_self(const char *const *tails, size_t n, int mode, char *out, size_t len);
/* The agent, beside the command (build tree: bin/ and lib/ are siblings; installed: ../lib or
 * the libdir it was installed with): 0, or -ENOENT. */
int ls_agent_beside_self(char *out, size_t len);

#endif
