/* merge.h -- per-process report files in, one loopstall/1 report out. */
#ifndef LS_MERGE_H
#define LS_MERGE_H

#include <jansson.h>

/* Loads each file (a loopstall/1 document, checked field by field) and returns
 * one report holding all their processes, or NULL with one line on stderr
 * naming the file, and the field, at fault. */
json_t *ls_merge_files(char *const *paths, int n);

/* Loads every loopstall.*.json in dir (what the agent leaves); *count says how
 * many. A file that cannot be read as a report is named on stderr and skipped. */
json_t *ls_merge_dir(const char *dir, int *count);

/* Files and directories together, as `loopstall report` takes them: NULL
 * (message printed) when a file is bad or a directory holds no report. */
json_t *ls_merge_inputs(char *const *paths, int n);

/* After symbolization: rebuilds each process's sites (sites.c) and orders
 * stalls by start time. */
void ls_finish_report(json_t *report);

#endif
