/* review.h -- verdicts on sites (gate, diff, or a report's sites as found) as the one document the
 * review formats render. */
#ifndef LS_REVIEW_H
#define LS_REVIEW_H

#include <jansson.h>

#include "render.h"
#include "sites.h"

/* A review under way: kind is "gate", "diff" or "report"; subject names the
 * report judged (as the user gave it). The document's shape is in render.h. */
json_t *ls_review_new(const char *kind, const char *subject, json_t *report,
                      const char *source_root);

/* Adds one verdict: state ("new", "over_budget", "over_limit", "accepted",
 * "worse", "unchanged", "gone", "found"), whether it fails, the site, the site
 * it was in the base or the baseline entry it met (either may be NULL), and
 * the reasons, one sentence each (a new array, stolen). */
void ls_review_add(json_t *review, const char *state, int fails, json_t *site, json_t *was,
                   json_t *problems);

/* Orders the verdicts (failures first, then the largest total time; ids break
 * ties), counts them by state and sets the verdict. */
void ls_review_close(json_t *review);

/* A report's sites, each as found (none accepted): what report and run write
 * in the review formats. */
json_t *ls_review_of_report(json_t *report, const char *source_root);

/* Fills out with the absolute source root: given, or the current directory. 0 or -1 (message
 * printed). */
int ls_source_root(const char *given, char *out, size_t len);

/* Sorts an array of objects by their "id" member. */
void ls_review_sort_by_id(json_t *array);

/* The review format for cmd ("gate", "diff"): --format name, else the extension of
 * -o out_path, else text. 0, or -1 after one line naming what is accepted. */
int ls_review_format(const char *cmd, const char *name, const char *out_path,
                     const struct ls_renderer **r);

/* gate.c: report judged against baseline ({id: entry} or NULL), max_stall_ns (0: no limit). */
json_t *ls_gate_review(json_t *report, const char *subject, json_t *baseline,
                       const char *baseline_name, long long max_stall_ns, enum ls_phases phases,
                       const char *source_root);

/* diff.c: head's sites against base's: new (fails), worse, unchanged, gone. */
json_t *ls_diff_review(json_t *base, json_t *head, const char *base_name, const char *head_name,
                       enum ls_phases phases, const char *source_root);

#endif
