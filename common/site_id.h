/* site_id.h -- the stable identity of a stall site, computed the same way by the agent and the
 * command. */
#ifndef LS_SITE_ID_H
#define LS_SITE_ID_H

#include <stddef.h>

#define LS_SITE_ID_LEN    17 /* 16 hex digits and the NUL */
#define LS_SITE_ID_FRAMES 4  /* named frames that make up a site's identity */

/* Builds the id of a site from names only: its class, its culprit function
 * (NULL for CPU) and the names of its innermost frames (symbol, or the
 * module's base name when the symbol is unknown; NULL entries are skipped).
 * Addresses never enter it, so it is stable across runs and rebuilds. */
void ls_site_id(const char *cls, const char *fn, const char *const *frames, size_t nframes,
                char out[LS_SITE_ID_LEN]);

#endif
