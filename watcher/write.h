/* write.h -- one process image's report (schema loopstall/1, one process) from its record and
 * store. */
#ifndef LS_WRITE_H
#define LS_WRITE_H

#include <stdint.h>

#include "json_out.h"
#include "watch.h"

/* How the image ended, as far as the writer knows. */
enum ls_image_end { LS_END_RUNNING, LS_END_EXIT, LS_END_EXEC, LS_END_SIGNAL };

/* Writes the document into j. now: record ticks the report is as of (the
 * image's end when it ended); iterations still in progress past the
 * threshold are written as ongoing stalls, or as finished ones when the
 * image ended. The caller has drained the rings. */
void ls_write_report(struct ls_json *j, struct ls_watch *w, uint64_t now, enum ls_image_end end);
/* Whether the image has anything to say: a loop, a fired rule, a finding,
 * or it is the process `loopstall run` started (root_pid), which always
 * reports so that run knows the agent was there (unless this image only
 * exec'd the next one: a launcher script's images have nothing to say). A
 * shell script's commands would otherwise leave a report each. */
int ls_worth_a_report(const struct ls_watch *w, pid_t root_pid, enum ls_image_end end);

#endif
