/* test-classify.c -- a stall's class at every threshold of watcher/classify.c.
 *
 * The rules, from the scheduler's accounting (compute = CPU time + time runnable but waiting
 * for a CPU): cpu when compute is at least 60% of the stall and blocked time under 30%;
 * otherwise blocking when blocked time is at least 60% or compute at most 25%; mixed in
 * between. Each edge is checked on both sides, at a millisecond's scale and an hour's.
 */
#include <criterion/criterion.h>

#include "classify.h"

/* The class of a stall of wall units, the others given in thousandths of it. */
static enum ls_class at(uint64_t wall, unsigned cpu_pm, unsigned runq_pm, unsigned blocked_pm)
{
    return ls_classify(wall, wall / 1000 * cpu_pm, wall / 1000 * runq_pm, wall / 1000 * blocked_pm);
}

static const uint64_t scales[] = {1000, 20000000ULL, 3600000000000ULL}; /* 1 us, 20 ms, 1 h */

#define EACH_SCALE for (size_t s_ = 0; s_ < 3; s_++)
#define W          scales[s_]

Test(classify, sixty_percent_of_compute_is_cpu_and_a_hair_less_is_not)
{
    EACH_SCALE
    {
        cr_expect_eq(at(W, 600, 0, 0), LS_CLASS_CPU, "wall %llu", (unsigned long long)W);
        cr_expect_eq(at(W, 599, 0, 0), LS_CLASS_MIXED, "wall %llu", (unsigned long long)W);
        cr_expect_eq(at(W, 1000, 0, 0), LS_CLASS_CPU);
    }
}

Test(classify, waiting_for_a_cpu_counts_as_computing)
{
    EACH_SCALE
    {
        cr_expect_eq(at(W, 300, 300, 0), LS_CLASS_CPU, "half on the CPU, half runnable");
        cr_expect_eq(at(W, 0, 600, 0), LS_CLASS_CPU, "runnable the whole time on a busy machine");
        cr_expect_eq(at(W, 300, 299, 0), LS_CLASS_MIXED);
    }
}

Test(classify, blocked_time_under_thirty_percent_keeps_a_cpu_stall_cpu)
{
    EACH_SCALE
    {
        cr_expect_eq(at(W, 700, 0, 299), LS_CLASS_CPU);
        cr_expect_eq(at(W, 700, 0, 300), LS_CLASS_MIXED, "30%% blocked is no longer cpu");
    }
}

Test(classify, sixty_percent_blocked_is_blocking_whatever_the_compute)
{
    EACH_SCALE
    {
        cr_expect_eq(at(W, 300, 0, 600), LS_CLASS_BLOCKING);
        cr_expect_eq(at(W, 300, 0, 599), LS_CLASS_MIXED);
        /* Accounting that overlaps (both large) is blocking, not cpu. */
        cr_expect_eq(at(W, 700, 0, 600), LS_CLASS_BLOCKING);
    }
}

Test(classify, a_quarter_or_less_of_compute_is_blocking_even_in_no_call_we_saw)
{
    EACH_SCALE
    {
        cr_expect_eq(at(W, 250, 0, 0), LS_CLASS_BLOCKING, "off the CPU in a call not intercepted");
        cr_expect_eq(at(W, 251, 0, 0), LS_CLASS_MIXED);
        cr_expect_eq(at(W, 0, 0, 0), LS_CLASS_BLOCKING);
        cr_expect_eq(at(W, 100, 150, 0), LS_CLASS_BLOCKING, "runq counts towards the quarter");
    }
}

Test(classify, edges_that_fall_between_whole_units_round_the_way_the_fractions_say)
{
    /* A 7 ns stall: 60% is 4.2, so 5 is cpu and 4 is not; 25% is 1.75, so 1 is blocking. */
    cr_expect_eq(ls_classify(7, 5, 0, 0), LS_CLASS_CPU);
    cr_expect_eq(ls_classify(7, 4, 0, 0), LS_CLASS_MIXED);
    cr_expect_eq(ls_classify(7, 1, 0, 0), LS_CLASS_BLOCKING);
    cr_expect_eq(ls_classify(7, 2, 0, 0), LS_CLASS_MIXED);
    /* 30% of 7 is 2.1: blocked 2 keeps cpu, 3 does not; 60% is 4.2: 5 is blocking. */
    cr_expect_eq(ls_classify(7, 5, 0, 2), LS_CLASS_CPU);
    cr_expect_eq(ls_classify(7, 5, 0, 3), LS_CLASS_MIXED);
    cr_expect_eq(ls_classify(7, 2, 0, 5), LS_CLASS_BLOCKING);
    cr_expect_eq(ls_classify(7, 2, 0, 4), LS_CLASS_MIXED);
}

Test(classify, every_class_has_its_report_name)
{
    cr_expect_str_eq(ls_class_name(LS_CLASS_BLOCKING), "blocking");
    cr_expect_str_eq(ls_class_name(LS_CLASS_CPU), "cpu");
    cr_expect_str_eq(ls_class_name(LS_CLASS_MIXED), "mixed");
    cr_expect_str_eq(ls_class_name((enum ls_class)7), "mixed", "an unknown value is mixed");
}
