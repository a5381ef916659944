/* schema.h -- the loopstall/1 report as the reader checks it, field by field, before anything uses
 * it. */
#ifndef LS_SCHEMA_H
#define LS_SCHEMA_H

#include <jansson.h>

/* Checks the type of every field of doc that loopstall reads (fields it does
 * not know are extensions and pass). Returns 0, or -1 after one line on stderr
 * naming the file and the field:
 *   loopstall: r.json: processes[0].stalls[3].samples[1][0].offset: expected a string */
int ls_report_check(json_t *doc, const char *name);

#endif
