/* report_file.h -- used directly, this image's report file: DIR/loopstall.<pid>[.<image>].json. */
#ifndef LS_REPORT_FILE_H
#define LS_REPORT_FILE_H

#include <stdint.h>

#include "write.h"

/* Writes the report of watcher w as of now atomically: an unnamed file in
 * the directory (O_TMPFILE) given a temporary name and renamed over the
 * report, so that a writer killed half-way leaves no partial report and
 * (but for an instant) no temporary file. The directory is made if missing.
 * 0, or a negative errno (said on stderr the first time). */
int ls_report_file_write(struct ls_watch *w, uint64_t now, enum ls_image_end end);

#endif
