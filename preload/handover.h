/* handover.h -- make this image's record: shared with the watcher outside, or the agent's own. */
#ifndef LS_PRELOAD_HANDOVER_H
#define LS_PRELOAD_HANDOVER_H

#include "record.h"

/* Maps a zeroed record. When collector names a watcher (@NAME), the record
 * is a memfd handed over its socket and *outside becomes 1; otherwise, or
 * when that fails (said on stderr once), anonymous memory. NULL when no
 * memory could be mapped at all (the caller says so and observes nothing). */
struct ls_record *ls_record_create(const char *collector, int *outside);
/* Unmaps a record this process no longer writes (a forked child, the parent's). */
void ls_record_release(struct ls_record *r);

#endif
