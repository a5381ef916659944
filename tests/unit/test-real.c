/* test-real.c -- the agent's own lookup of the real functions answers what dlsym(RTLD_NEXT) does.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>

#include "calls.h"
#include "real.h"

Test(real, every_function_of_the_table_resolves_to_what_dlsym_next_gives)
{
    int resolved = 0;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        cr_assert_null(ls_real_table[fn], "%s: nothing is resolved before its first use",
                       ls_calls[fn].name);
        void *got = ls_real_get(fn);
        void *expect = dlsym(RTLD_NEXT, ls_calls[fn].name);
        cr_assert_eq(got, expect, "%s: %p, dlsym says %p", ls_calls[fn].name, got, expect);
        cr_assert_eq(ls_real_table[fn], expect, "%s: %p, dlsym says %p", ls_calls[fn].name,
                     ls_real_table[fn], expect);
        resolved += expect != NULL;
    }
    cr_assert_geq(resolved, LS_FN_COUNT - 2, "libc defines (almost) every function of the table");
    /* The point of the quick lookup: dlsym is the exception (names it cannot settle), not the rule.
     */
    cr_log_info("%d of %d names went to dlsym", ls_real_fallbacks, LS_FN_COUNT);
    cr_assert_leq(ls_real_fallbacks, 3, "%d of %d names went to dlsym", ls_real_fallbacks,
                  LS_FN_COUNT);
}
