/* advice.h -- what to do about a stall site: the chapter's decision rules, said in the terms of the
 * runtime or service that stalled. */
#ifndef LS_ADVICE_H
#define LS_ADVICE_H

#include <jansson.h>
#include <stddef.h>

/* The chapter's general rule for a site of class cls ("blocking", "cpu",
 * "mixed", "strict") whose culprit call is fn (NULL for CPU), in no runtime's
 * terms. Never NULL. */
const char *ls_advice(const char *cls, const char *fn);

/* Advice for one site of process proc, chosen from what was seen: the
 * executable (nginx, Redis, memcached, HAProxy), the frames (Python, Node,
 * libuv; Redis's command), the call and its family. Falls back to ls_advice.
 * Returns buf (or a constant), never NULL. */
const char *ls_site_advice(json_t *proc, json_t *site, char *buf, size_t len);

/* A reviewed site's advice (gate, diff, a report's sites as found): the one ls_site_advice gave it
 * where its process was known (ls_sites_by_id keeps it as "advice"), else ls_advice's. */
const char *ls_review_site_advice(json_t *site);

#endif
