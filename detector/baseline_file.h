/* baseline_file.h -- the baseline file (loopstall-baseline/1): accepted sites, read strictly and
 * written deterministically. */
#ifndef LS_BASELINE_FILE_H
#define LS_BASELINE_FILE_H

#include <jansson.h>

#define LS_BASELINE_SCHEMA "loopstall-baseline/1"

/* Reads and checks a baseline file. Returns an object {id: entry} of its
 * accepted sites, or NULL after one line on stderr naming the file, the field
 * and what is accepted there (prefix: who is reading, e.g. "loopstall gate"). */
json_t *ls_baseline_load(const char *path, const char *prefix);

/* A starting baseline accepting every site of sites_by_id ({id: site}), each
 * with a reason naming the report it was seen in and a max_ms budget of twice
 * its longest stall. Entries are sorted by id: the same sites give the same
 * file, whatever order they came in. */
json_t *ls_baseline_from_sites(json_t *sites_by_id, const char *report_name);

/* Writes a baseline as `loopstall baseline` does (indented, keys in a fixed order). */
int ls_baseline_write(json_t *baseline, FILE *out);

#endif
