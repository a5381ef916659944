/* unwind_interim.h -- the stack walker's interface, with libunwind behind it until our own walker
 * lands. */
#ifndef LS_UNWIND_INTERIM_H
#define LS_UNWIND_INTERIM_H

#include <stdint.h>

struct ls_stack_bounds {
    uint64_t lo, hi;
};
int ls_unwind_ucontext(const void *uc, const struct ls_stack_bounds *b, uint64_t *ips, int max);
int ls_stack_bounds_of_self(struct ls_stack_bounds *b);

#endif
