/* test-lab-mixed.c -- the mixed pipeline in quick mode: the bounded queue keeps memory and
 * latency small at the same throughput. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "labrun.h"

Test(mixed, a_bounded_queue_between_stages_holds_memory_and_latency_down)
{
    json_t *b = lab_run("lab-mixed", "bounded", NULL);
    json_t *u = lab_run("lab-mixed", "unbounded", NULL);
    cr_expect_leq(lab_num(b, "params.peak_queue"), lab_num(b, "params.queue"));
    cr_expect_geq(lab_num(u, "params.peak_held_mb"), 4 * lab_num(b, "params.peak_held_mb"));
    cr_expect_geq(lab_latency(u, "p99"), 3 * lab_latency(b, "p99"));
    /* The bound costs no throughput: the CPU stage is the bottleneck either way. */
    cr_expect_geq(lab_rate(b), 0.7 * lab_rate(u));
    json_decref(b);
    json_decref(u);
}
