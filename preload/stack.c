/* stack.c -- capture the stack of a call that mattered, in its wrapper (see stack.h).
 *
 * Native frames with the agent's own walker (unwind.h), the interpreter's
 * frames at the same instant (interp.h), named before the wrapper returns,
 * while the code objects are surely alive. The thread's stack bounds come
 * from its loop slot, or (a thread that is not a loop, creating one thread
 * too many) are found once and kept in its thread-local state.
 */
#include "stack.h"

#include "interp.h"
#include "state.h"
#include "unwind.h"

static __thread struct ls_stack_bounds bounds __attribute__((tls_model("initial-exec")));
static __thread int bounds_known __attribute__((tls_model("initial-exec")));

void ls_stack_capture(const struct ls_loop *l, struct ls_stack *f)
{
    struct ls_stack_bounds b;
    if (l && l->stack_hi) {
        b.lo = l->stack_lo;
        b.hi = l->stack_hi;
    } else {
        if (!bounds_known) bounds_known = ls_stack_bounds_of_self(&bounds) == 0 ? 1 : -1;
        b = bounds_known == 1 ? bounds : (struct ls_stack_bounds){0, 0};
    }
    int n = ls_unwind_here(&b, ls_proc.self_lo, ls_proc.self_hi, f->ip, LS_FRAMES);
    f->n = (uint8_t)(n > 0 ? n : 0);
    f->flags = 0;
    ls_interp_capture(l, f);
    ls_interp_resolve(f);
}
