/* real.c -- resolve the real functions once, at load, and lazily for early callers. */
#include "real.h"

#include <dlfcn.h>

#include "state.h"

LS_HIDDEN void *ls_real_table[LS_FN_COUNT];

void *ls_real_resolve(int fn)
{
    void *p = dlsym(RTLD_NEXT, ls_calls[fn].name);
    if (p) __atomic_store_n(&ls_real_table[fn], p, __ATOMIC_RELAXED);
    return p;
}

void ls_real_resolve_all(void)
{
    for (int fn = 0; fn < LS_FN_COUNT; fn++)
        if (!ls_real_table[fn]) ls_real_resolve(fn);
}
