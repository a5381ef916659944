/* sites.h -- the one place where stalls become sites: aggregation by cause and the stable ids. */
#ifndef LS_SITES_H
#define LS_SITES_H

#include <jansson.h>

/* Which stalls count: every one, or those of the serving phase only (a stall
 * with "phase": "startup" ran before the loop first went idle). */
enum ls_phases { LS_ALL_PHASES, LS_SERVING_ONLY };

/* The name a frame contributes to a site id: a native frame's symbol, or its
 * module's base name; an interpreter frame's language, qualified name and
 * script ("python:load_config@app.py", written into buf). NULL for none. Which
 * frames of a stack take part is said in sites.c. */
const char *ls_site_frame_name(json_t *frame, char *buf, size_t len);

/* Gives a site object its "id" from its class, call and stack names. */
void ls_site_set_id(json_t *site);

/* A process's sites, aggregated by id, in the order each was first seen: from
 * its stalls and, when the agent folded a storm of stalls, its "folded"
 * aggregates; from an older agent's own "sites" when it dropped stalls; plus
 * strict mode's blocking calls (class "strict"). A new array. */
json_t *ls_sites_of_process(json_t *proc, enum ls_phases phases);

/* Every process's sites joined by id: an object {id: site} with counts and
 * totals added up and the largest max. */
json_t *ls_sites_by_id(json_t *report, enum ls_phases phases);

/* Finishes a process's sites in place: the stack of each CPU stall becomes the
 * part its samples share, then "sites" is rebuilt from every phase. Running it
 * again on its own output changes nothing. */
void ls_sites_finish_process(json_t *proc);

#endif
