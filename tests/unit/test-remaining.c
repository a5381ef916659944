/* test-remaining.c -- what is left of a wait's timeout (preload/remaining.c), for waiting again
 * after an EINTR the agent's own signal caused.
 *
 * The agent's clock runs on CLOCK_MONOTONIC here (no TSC), so a start a known time in the past
 * is a known number of ticks ago; ranges allow for a loaded machine, upper bounds are exact.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "remaining.h"
#include "state.h"
#include "ticks.h"

struct ls_proc ls_proc;
_Atomic uint64_t ls_ns_per_tick_q32 = 1ULL << 32; /* ticks.c's start: a tick is a nanosecond */

static void mono_clock(void)
{
    ls_proc.rec = calloc(1, sizeof *ls_proc.rec); /* ns_per_tick 0 reads as 1: ticks are ns */
    ls_proc.use_tsc = 0;
}

TestSuite(remaining, .init = mono_clock);
TestSuite(timeout, .init = mono_clock);

#define MS 1000000ULL

/* A start ago_ms milliseconds in the past. */
static uint64_t ago(uint64_t ago_ms)
{
    return ls_ticks() - ago_ms * MS;
}

static void *unreadable(void)
{
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    return p;
}

Test(remaining, a_wait_forever_stays_forever_and_zero_stays_zero)
{
    cr_expect_eq(ls_remaining_ms(-1, ago(5000)), -1);
    cr_expect_eq(ls_remaining_ms(-7, ago(5000)), -7, "any negative timeout is forever");
    cr_expect_eq(ls_remaining_ms(0, ls_ticks()), 0);
}

Test(remaining, milliseconds_left_are_the_timeout_less_the_time_spent)
{
    int left = ls_remaining_ms(1000, ago(300));
    cr_expect_leq(left, 700, "300 ms of 1000 are spent: %d left", left);
    cr_expect_geq(left, 500, "%d left", left);
}

Test(remaining, a_timeout_already_spent_leaves_nothing)
{
    cr_expect_eq(ls_remaining_ms(100, ago(250)), 0);
    cr_expect_eq(ls_remaining_ms(100, ago(100)), 0, "spent exactly");
}

Test(remaining, the_longest_timeout_does_not_overflow)
{
    int left = ls_remaining_ms(INT_MAX, ago(10));
    cr_expect_leq(left, INT_MAX - 10);
    cr_expect_geq(left, INT_MAX - 1000);
}

Test(timeout, a_null_timespec_blocks_forever_and_is_passed_on_as_null)
{
    struct ls_timeout to;
    ls_timeout_from_ts(&to, NULL);
    cr_expect(to.blocking);
    cr_expect_not(to.known);
    cr_expect_null(to.ts_arg);
    ls_timeout_left(&to, ago(50));
    cr_expect_null(to.ts_arg, "forever again, not a computed time");
}

Test(timeout, a_zero_timespec_does_not_block)
{
    struct timespec zero = {0, 0}, one = {0, 1};
    struct ls_timeout to;
    ls_timeout_from_ts(&to, &zero);
    cr_expect_not(to.blocking);
    cr_expect(to.known);
    cr_expect_eq(to.ts_arg, &zero, "the caller's own pointer the first time");
    ls_timeout_from_ts(&to, &one);
    cr_expect(to.blocking, "a nanosecond is a wait");
}

Test(timeout, what_is_left_is_recomputed_into_the_agents_copy)
{
    struct timespec ts = {2, 500000000};
    struct ls_timeout to;
    ls_timeout_from_ts(&to, &ts);
    ls_timeout_left(&to, ago(1000));
    cr_assert_eq(to.ts_arg, &to.left);
    uint64_t left = (uint64_t)to.left.tv_sec * 1000000000ULL + (uint64_t)to.left.tv_nsec;
    cr_expect_leq(left, 1500 * MS, "1 s of 2.5 spent: %llu ns left", (unsigned long long)left);
    cr_expect_geq(left, 1300 * MS, "%llu ns left", (unsigned long long)left);
    cr_expect_lt(to.left.tv_nsec, 1000000000L, "a valid timespec");
    cr_expect(ts.tv_sec == 2 && ts.tv_nsec == 500000000, "the caller's timespec is never written");
}

Test(timeout, a_spent_timespec_leaves_zero_not_a_negative_time)
{
    struct timespec ts = {0, 20 * MS};
    struct ls_timeout to;
    ls_timeout_from_ts(&to, &ts);
    ls_timeout_left(&to, ago(100));
    cr_expect(to.left.tv_sec == 0 && to.left.tv_nsec == 0);
}

Test(timeout, an_unreadable_timespec_goes_to_the_kernel_as_it_was_for_efault)
{
    const struct timespec *bad = unreadable();
    struct ls_timeout to;
    ls_timeout_from_ts(&to, bad);
    cr_expect(to.blocking);
    cr_expect_not(to.known);
    cr_expect_eq(to.ts_arg, bad);
    ls_timeout_left(&to, ago(10));
    cr_expect_eq(to.ts_arg, bad, "still the caller's pointer after an EINTR");
}

Test(timeout, select_timevals_say_only_whether_the_wait_blocks)
{
    struct timeval zero = {0, 0}, us = {0, 1};
    struct ls_timeout to;
    ls_timeout_from_tv(&to, NULL);
    cr_expect(to.blocking);
    ls_timeout_from_tv(&to, &zero);
    cr_expect_not(to.blocking);
    ls_timeout_from_tv(&to, &us);
    cr_expect(to.blocking);
    ls_timeout_from_tv(&to, unreadable());
    cr_expect(to.blocking, "unreadable: the kernel decides (EFAULT)");
    cr_expect_null(to.ts_arg, "select keeps its own timeval: Linux writes the time left into it");
}
