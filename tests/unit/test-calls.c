/* test-calls.c -- the table of intercepted functions answers lookups and errno questions. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "calls.h"
#include "errnames.h"

Test(calls, every_family_in_the_design_is_covered)
{
    const char *must[] = {
        "read",     "pread64",         "__read_chk",  "readv",        "writev",    "recv",
        "recvmsg",  "sendmsg",         "sendfile",    "connect",      "accept4",   "open",
        "__open_2", "fsync",           "fdatasync",   "flock",        "fcntl",     "poll",
        "select",   "epoll_wait",      "epoll_pwait", "epoll_pwait2", "nanosleep", "usleep",
        "sleep",    "clock_nanosleep", "getaddrinfo", "getnameinfo",  "waitpid",   "system",
        "popen"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert_geq(ls_call_lookup(must[i], strlen(must[i])), 0, "%s is not intercepted",
                      must[i]);
    cr_assert_eq(ls_call_lookup("vfork", 5), -1, "vfork is never wrapped");
}

Test(calls, errors_a_function_can_return_are_accepted_with_their_value)
{
    int v = 0;
    int fn = ls_call_lookup("connect", 7);
    cr_assert(ls_call_can_fail_with(fn, "ECONNREFUSED", 12, &v));
    cr_assert_eq(v, ECONNREFUSED);
    fn = ls_call_lookup("getaddrinfo", 11);
    cr_assert(ls_call_can_fail_with(fn, "EAI_NONAME", 10, &v));
    cr_assert_eq(v, EAI_NONAME);
}

Test(calls, errors_a_function_cannot_return_are_refused)
{
    int v = 0;
    cr_assert_not(ls_call_can_fail_with(ls_call_lookup("read", 4), "ENOENT", 6, &v));
    cr_assert_not(ls_call_can_fail_with(ls_call_lookup("getaddrinfo", 11), "ECONNREFUSED", 12, &v));
    cr_assert_not(ls_call_can_fail_with(ls_call_lookup("sleep", 5), "EINTR", 5, &v));
}

Test(calls, every_listed_error_name_is_known)
{
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        const char *p = ls_calls[fn].errnos;
        while (*p) {
            while (*p == ' ')
                p++;
            const char *e = p;
            while (*e && *e != ' ')
                e++;
            int v;
            if (e > p)
                cr_assert_eq(ls_errno_by_name(p, (size_t)(e - p), &v), 0, "%s: unknown error %.*s",
                             ls_calls[fn].name, (int)(e - p), p);
            p = e;
        }
    }
}
