/* test-site-id.c -- site ids depend on names only, so they survive runs, rebuilds and ASLR. */
#include <criterion/criterion.h>
#include <string.h>

#include "site_id.h"

Test(site_id, the_same_names_give_the_same_id)
{
    const char *a[] = {"time_sleep", NULL, "PyObject_Vectorcall"};
    const char *b[] = {"time_sleep", "PyObject_Vectorcall"};
    char x[LS_SITE_ID_LEN], y[LS_SITE_ID_LEN];
    ls_site_id("blocking", "clock_nanosleep", a, 3, x);
    ls_site_id("blocking", "clock_nanosleep", b, 2, y);
    cr_assert_str_eq(x, y, "unknown frames do not count");
    cr_assert_eq(strlen(x), 16);
}

Test(site_id, class_call_or_frames_that_differ_give_different_ids)
{
    const char *f[] = {"handler"};
    const char *g[] = {"other_handler"};
    char a[LS_SITE_ID_LEN], b[LS_SITE_ID_LEN], c[LS_SITE_ID_LEN], d[LS_SITE_ID_LEN];
    ls_site_id("blocking", "read", f, 1, a);
    ls_site_id("mixed", "read", f, 1, b);
    ls_site_id("blocking", "recv", f, 1, c);
    ls_site_id("blocking", "read", g, 1, d);
    cr_assert_str_neq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_str_neq(a, d);
}

Test(site_id, names_are_separated_so_that_concatenations_do_not_collide)
{
    const char *f[] = {"ab", "c"};
    const char *g[] = {"a", "bc"};
    char a[LS_SITE_ID_LEN], b[LS_SITE_ID_LEN];
    ls_site_id("cpu", NULL, f, 2, a);
    ls_site_id("cpu", NULL, g, 2, b);
    cr_assert_str_neq(a, b);
}

Test(site_id, only_the_innermost_named_frames_count)
{
    const char *f[] = {"a", "b", "c", "d", "e"};
    const char *g[] = {"a", "b", "c", "d", "zzz"};
    char a[LS_SITE_ID_LEN], b[LS_SITE_ID_LEN];
    ls_site_id("cpu", NULL, f, 5, a);
    ls_site_id("cpu", NULL, g, 5, b);
    cr_assert_str_eq(a, b, "a caller far up the stack does not split a site");
}
