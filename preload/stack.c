/* stack.c -- capture raw stacks in wrappers; symbolized later, outside the host (see stack.h). */
#define UNW_LOCAL_ONLY
#include "stack.h"

#include <libunwind.h>

#include "state.h"

void ls_stack_capture(const struct ls_loop *l, struct ls_stack *f)
{
    (void)l;
    void *ips[LS_FRAMES + 8];
    int n = unw_backtrace(ips, (int)(sizeof ips / sizeof ips[0]));
    int i = 0;
    while (i < n && (uintptr_t)ips[i] >= ls_proc.self_lo && (uintptr_t)ips[i] < ls_proc.self_hi)
        i++;
    f->n = 0;
    f->npy = 0;
    for (; i < n && f->n < LS_FRAMES; i++)
        f->ip[f->n++] = (uintptr_t)ips[i] - 1; /* return address: the call is the byte before */
}
