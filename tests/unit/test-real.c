/* test-real.c -- the agent's own lookup of the real functions answers what dlsym(RTLD_NEXT) does,
 * but for glibc's cancellable functions once the agent has a thread of its own in a host that has
 * none: their single-threaded stand-ins (raw_calls.c), until the host's first thread or cancel. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "raw_calls.h"

#include "calls.h"
#include "real.h"

Test(real, every_function_of_the_table_resolves_to_what_dlsym_next_gives)
{
    int resolved = 0; /* no thread of the agent's: glibc's own, every one */
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

/* 1 when p is in glibc itself (under a sanitizer, its runtime defines many of these first). */
static int in_libc(void *p)
{
    Dl_info info;
    if (!p || !dladdr(p, &info) || !info.dli_fname) return 0;
    const char *base = strrchr(info.dli_fname, '/');
    return !strcmp(base ? base + 1 : info.dli_fname, "libc.so.6");
}

Test(real, the_agents_own_thread_brings_the_stand_ins_until_the_hosts_first_thread)
{
    cr_assert_str_eq(gnu_get_libc_version(), "2.36", "the stand-ins follow glibc 2.36's wrappers");
    /* Half the table looked up before the agent's thread, half after: both get them. */
    for (int fn = 0; fn < LS_FN_COUNT; fn += 2)
        cr_assert_eq(ls_real_get(fn), dlsym(RTLD_NEXT, ls_calls[fn].name), "%s: glibc's first",
                     ls_calls[fn].name);
    ls_real_own_thread_begins();
    int stood_in = 0, others = 0;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        void *glibc = dlsym(RTLD_NEXT, ls_calls[fn].name);
        void *got = ls_real_get(fn);
        if (ls_raw_call(fn) && in_libc(glibc)) {
            cr_assert_eq(got, ls_raw_call(fn), "%s: the stand-in", ls_calls[fn].name);
            cr_assert_eq(ls_pass_table[fn], got, "%s: passed to", ls_calls[fn].name);
            stood_in++;
        } else {
            /* Not cancellable, or another interposer's function (a sanitizer's): its own. */
            cr_assert_eq(got, glibc, "%s: %p, dlsym says %p", ls_calls[fn].name, got, glibc);
            others += ls_raw_call(fn) != NULL;
        }
    }
    cr_log_info("%d stand-ins; %d functions another object defines first", stood_in, others);
    cr_assert_gt(stood_in, 0);
    ls_real_threads_begin();
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        void *glibc = dlsym(RTLD_NEXT, ls_calls[fn].name);
        cr_assert_eq(ls_real_table[fn], glibc, "%s: glibc's after the first thread",
                     ls_calls[fn].name);
        cr_assert_eq(ls_pass_table[fn], glibc, "%s: passed to", ls_calls[fn].name);
        cr_assert_eq(ls_real_get(fn), glibc, "%s", ls_calls[fn].name);
    }
}

Test(real, a_host_that_had_a_thread_first_never_gets_the_stand_ins)
{
    ls_real_threads_begin();
    ls_real_own_thread_begins();
    for (int fn = 0; fn < LS_FN_COUNT; fn++)
        cr_assert_eq(ls_real_get(fn), dlsym(RTLD_NEXT, ls_calls[fn].name), "%s", ls_calls[fn].name);
}

Test(real, a_stand_in_returns_what_glibcs_function_returns_and_sets_errno_only_on_failure)
{
    /* close and epoll_wait: glibc's own even under the sanitizers, so stood in for here. */
    ls_real_own_thread_begins();
    ls_real_close_t cl = real(close);
    ls_real_epoll_wait_t ew = real(epoll_wait);
    cr_assert_eq((void *)cl, ls_raw_call(LS_FN_close));
    cr_assert_eq((void *)ew, ls_raw_call(LS_FN_epoll_wait));
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[2];
    cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    errno = 1234;
    cr_assert_eq(ew(ep, out, 2, 0), 0);
    cr_assert_eq(write(p[1], "abc", 3), 3);
    cr_assert_eq(ew(ep, out, 2, 0), 1);
    cr_assert_eq(out[0].data.u64, 7);
    cr_assert_eq(errno, 1234, "errno untouched by a call that succeeds");
    cr_assert_eq(ew(-1, out, 2, 0), -1);
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(cl(p[0]), 0);
    cr_assert_eq(cl(p[0]), -1);
    cr_assert_eq(errno, EBADF);
    close(p[1]);
    close(ep);
}
