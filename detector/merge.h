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

/* A report already in memory (`loopstall run`'s collector holds the reports
 * it writes, when nobody asked for the files): its text, and a name for the
 * messages that would name a file. */
struct ls_report_text {
    char name[64];
    char *text;
    size_t len;
};

/* What `loopstall run` merges: the n reports it holds, then every
 * loopstall.*.json in dir (an agent that could not hand its record over
 * writes there). *count says how many were read; a bad one is named on
 * stderr and skipped. */
json_t *ls_merge_run(const struct ls_report_text *texts, int n, const char *dir, int *count);

/* Files and directories together, as `loopstall report` takes them: NULL
 * (message printed) when a file is bad or a directory holds no report. */
json_t *ls_merge_inputs(char *const *paths, int n);

/* After symbolization: rebuilds each process's sites (sites.c) and orders
 * stalls by start time. */
void ls_finish_report(json_t *report);

#endif
