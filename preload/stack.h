/* stack.h -- the stack of a call that mattered, taken in the wrapper after the call returned. */
#ifndef LS_STACK_H
#define LS_STACK_H

#include "record.h"

/* Captures the calling thread's stack, innermost first, without the agent's
 * own frames: native return addresses, and the interpreter's frames when the
 * host runs one the agent reads. l is the thread's loop slot (or NULL). */
void ls_stack_capture(const struct ls_loop *l, struct ls_stack *out);

#endif
