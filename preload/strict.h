/* strict.h -- --strict: blocking-category calls on a loop thread, however short. */
#ifndef LS_STRICT_H
#define LS_STRICT_H

#include <stdint.h>

#include "record.h"

/* Notes a call of fn that took ns on loop l, when it is one that can block. */
void ls_strict_note(struct ls_loop *l, int fn, int tkind, uint64_t target, uint64_t ns);

#endif
