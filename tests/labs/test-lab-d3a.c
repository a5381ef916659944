/* test-lab-d3a.c -- D3A in quick mode: blocking HTTP in the loop is several times slower than
 * the same calls on a bounded pool or the async-native client. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "labrun.h"

Test(d3a, offloading_blocking_http_to_a_bounded_pool_is_several_times_faster_than_the_loop)
{
    json_t *bad = lab_run("lab-d3a", "bad", NULL);
    json_t *good = lab_run("lab-d3a", "good", NULL);
    double ratio = lab_rate(good) / lab_rate(bad);
    cr_log_info("good/bad throughput %.1fx", ratio);
    cr_expect_geq(ratio, 3.0, "good %.1f RPS vs bad %.1f RPS", lab_rate(good), lab_rate(bad));
    cr_expect_eq(lab_num(bad, "errors") + lab_num(good, "errors"), 0);
    json_decref(bad);
    json_decref(good);
}

Test(d3a, the_async_native_client_is_several_times_faster_than_blocking_the_loop)
{
    json_t *bad = lab_run("lab-d3a", "bad", NULL);
    json_t *native = lab_run("lab-d3a", "native", NULL);
    double ratio = lab_rate(native) / lab_rate(bad);
    cr_log_info("native/bad throughput %.1fx", ratio);
    cr_expect_geq(ratio, 3.0, "native %.1f RPS vs bad %.1f RPS", lab_rate(native), lab_rate(bad));
    cr_expect_eq(lab_num(native, "errors"), 0);
    json_decref(bad);
    json_decref(native);
}

Test(d3a, blocking_http_in_the_loop_makes_the_loop_lag_by_many_requests)
{
    json_t *bad = lab_run("lab-d3a", "bad", NULL);
    json_t *native = lab_run("lab-d3a", "native", NULL);
    /* 32 clients each blocking for 25 ms in one loop turn: the probe's timer waits for all. */
    cr_expect_geq(lab_num(bad, "loop_lag_ms.max"), 200.0);
    cr_expect_lt(lab_num(native, "loop_lag_ms.max"), lab_num(bad, "loop_lag_ms.max") / 4);
    json_decref(bad);
    json_decref(native);
}
