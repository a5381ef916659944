/* merge.h -- per-process report files in, one loopstall/1 report out. */
#ifndef LS_MERGE_H
#define LS_MERGE_H

#include <jansson.h>

/* Loads each file (a loopstall/1 document) and returns one report holding all
 * their processes, or NULL with one line on stderr naming the file at fault. */
json_t *ls_merge_files(char *const *paths, int n);

/* Loads every loopstall.*.json in dir (what the agent leaves); *count says how many. */
json_t *ls_merge_dir(const char *dir, int *count);

/* After symbolization: recomputes each site's id from names and joins sites
 * that turn out to be the same, and orders stalls by start time. */
void ls_finish_report(json_t *report);

#endif
