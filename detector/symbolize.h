/* symbolize.h -- give report frames function names and source lines from debug information. */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <jansson.h>

struct ls_symbolizer;

struct ls_symbolizer *ls_symbolizer_new(void);
void ls_symbolizer_free(struct ls_symbolizer *s);

/* Makes frame an interpreter frame when name is what V8 writes in its perf map
 * for a JavaScript function ("JS:~loadConfig /srv/app.js:2:20", older V8's
 * "LazyCompile:*f file:3"): "lang": "js", the function's name as "symbol"
 * ("(anonymous)" for none), the script as "file" and the function's first line
 * as "line" with "line_is": "function_start". Returns 1 then; 0, touching
 * nothing, for a builtin's, a stub's or any other name. */
int ls_js_frame_from_perf_name(json_t *frame, const char *name);

/* Symbolizes every frame of every process in a merged report: "symbol",
 * "file" and "line" of native frames from their "module" and "offset", where
 * the module's debug information (or symbol table) knows them and its
 * build-id still matches the report, asked of `loopstall-symbolizer` in one
 * exchange (none when no native frame needs a name); JIT frames from the
 * perf map of their process (/tmp/perf-PID.map). A frame nothing knows is
 * left as it is: symbol null, module and offset kept. */
void ls_symbolize_report(struct ls_symbolizer *s, json_t *report);

#endif
