/* test-lab-stress.c -- the stress lab in quick mode: past capacity a thread per request lets p99
 * grow with the backlog while a bounded pool holds it near the service time and sheds. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "labrun.h"

static json_t *both;

static void sweep(void)
{
    both = lab_run("lab-stress", "both", NULL);
}

static void done(void)
{
    json_decref(both);
}

Test(stress, past_capacity_unbounded_p99_is_far_above_bounded_p99, .init = sweep, .fini = done)
{
    double u = lab_num(lab_stress_row(both, "unbounded", 1.5), "latency_ms.p99");
    double b = lab_num(lab_stress_row(both, "bounded", 1.5), "latency_ms.p99");
    cr_log_info("p99 at 1.5x: unbounded %.1f ms, bounded %.1f ms", u, b);
    cr_expect_geq(u, 4 * b, "unbounded p99 %.1f ms vs bounded %.1f ms", u, b);
}

Test(stress, past_capacity_the_bounded_pool_sheds_and_holds_p99_near_the_service_time,
     .init = sweep, .fini = done)
{
    json_t *row = lab_stress_row(both, "bounded", 1.5);
    double service = lab_num(both, "service_ms");
    cr_expect_gt(lab_num(row, "shed"), 0);
    cr_expect_lt(lab_num(row, "latency_ms.p99"), 5 * service);
}

Test(stress, below_capacity_neither_mode_sheds_or_queues, .init = sweep, .fini = done)
{
    double service = lab_num(both, "service_ms");
    const char *modes[] = {"unbounded", "bounded"};
    for (int i = 0; i < 2; i++) {
        json_t *row = lab_stress_row(both, modes[i], 0.5);
        cr_expect_eq(lab_num(row, "shed") + lab_num(row, "refused"), 0, "%s", modes[i]);
        cr_expect_lt(lab_num(row, "latency_ms.p50"), 2 * service, "%s", modes[i]);
    }
}

Test(stress, the_unbounded_mode_runs_a_thread_per_waiting_request, .init = sweep, .fini = done)
{
    json_t *u = lab_stress_row(both, "unbounded", 2.0);
    json_t *b = lab_stress_row(both, "bounded", 2.0);
    cr_expect_gt(lab_num(u, "peak_threads"), 4 * lab_num(b, "peak_threads"));
}
