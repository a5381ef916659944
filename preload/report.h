/* report.h -- the per-process report file (schema loopstall/1, one process). */
#ifndef LS_REPORT_H
#define LS_REPORT_H

/* Writes DIR/loopstall.<pid>.json atomically (temporary file + rename).
 * The caller holds the report lock. Returns 0 or a negative errno. */
int ls_report_write_locked(void);

#endif
