/* symbolizer_client.h -- asking `loopstall-symbolizer` (symbolizer.c) to name native frames. */
#ifndef LS_SYMBOLIZER_CLIENT_H
#define LS_SYMBOLIZER_CLIENT_H

#include <jansson.h>

/* Sends questions (an array of {"module", "offset", "build_id"}) to a fresh
 * helper and returns its answers: an array of the same length, each
 * {"symbol", "file", "line"} or part of it, {} where nothing is known. NULL
 * when the helper cannot be found, started or understood: one line on stderr
 * says so (once per process), and the frames keep their module and offset. */
json_t *ls_symbolizer_ask(json_t *questions);

#endif
