/* interp.h -- the interpreter's frames on the agent's side: find the interpreter once, capture its
 * frames.
 *
 * When the host is a CPython the agent reads (common/pyframes.h), every
 * stack it keeps carries the interpreter's frames too, taken at the same
 * instant as the native ones: in the wrapper when a kept call returns, in
 * the signal handler for a CPU sample. Detection happens once, on the first
 * loop thread, inside its wait (so the interpreter's self-check sees real
 * frames); an interpreter it does not know turns the feature off with one
 * line, and native frames stay as they are.
 */
#ifndef LS_INTERP_H
#define LS_INTERP_H

#include "record.h"

/* A thread became a loop: detect the interpreter (once per process) and
 * note this thread's interpreter state. Not in a signal handler. */
void ls_interp_adopt(struct ls_loop *l);
/* Captures the interpreter frames of the calling loop thread into s->py
 * (raw: code and instruction). Async-signal-safe. */
void ls_interp_capture(const struct ls_loop *l, struct ls_stack *s);
/* Names s's captured frames while their code objects live: fault-safe reads and a lock-free
 * table, so the sampling handler does it too, at the instant of the sample. */
void ls_interp_resolve(struct ls_stack *s);

#endif
