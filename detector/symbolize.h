/* symbolize.h -- give report frames function names and source lines from debug information. */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <jansson.h>

struct ls_symbolizer;

struct ls_symbolizer *ls_symbolizer_new(void);
void ls_symbolizer_free(struct ls_symbolizer *s);

/* Fills "symbol", "file" and "line" of one frame object from its "module" and
 * "offset", where the module's debug information (or symbol table) knows them
 * and its build-id still matches the report. A frame nothing knows is left as it
 * is: symbol null, module and offset kept. pid is the frame's process (for the
 * perf map a JIT writes, /tmp/perf-PID.map). */
void ls_symbolize_frame(struct ls_symbolizer *s, json_t *frame, long pid);

/* Symbolizes every frame of every process in a merged report. */
void ls_symbolize_report(struct ls_symbolizer *s, json_t *report);

#endif
