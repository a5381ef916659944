/* test-lab-d3b.c -- D3B in quick mode: a process pool and a free thread pool beat CPU work in
 * the loop, a pool behind one global lock (Python's GIL) does not. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "labrun.h"

static double rate_of(const char *variant)
{
    json_t *r = lab_run("lab-d3b", variant, NULL);
    double rate = lab_rate(r);
    json_decref(r);
    return rate;
}

/* Speedup needs a free core, and other work on a shared 2-core machine can take it for a
 * second: run bad and the variant back to back, up to five times, and keep the best ratio.
 * Noise only ever hides parallelism, it never invents it. */
static double best_ratio(const char *variant, double want)
{
    double best = 0;
    for (int i = 0; i < 5 && best < want; i++) {
        double bad = rate_of("bad"), other = rate_of(variant);
        cr_log_info("try %d: %s %.1f/s, bad %.1f/s, %.2fx", i + 1, variant, other, bad,
                    other / bad);
        if (other / bad > best) best = other / bad;
    }
    return best;
}

Test(d3b, a_process_pool_runs_cpu_jobs_faster_than_the_loop)
{
    double r = best_ratio("procpool", 1.3);
    cr_expect_geq(r, 1.3, "procpool/bad at best %.2fx", r);
}

Test(d3b, a_free_thread_pool_runs_cpu_jobs_faster_than_the_loop)
{
    double r = best_ratio("threads", 1.3);
    cr_expect_geq(r, 1.3, "threads/bad at best %.2fx", r);
}

Test(d3b, a_thread_pool_behind_one_global_lock_is_about_as_fast_as_the_loop)
{
    /* Here noise can push the ratio either way: pass when one back-to-back pair is close. */
    double r = 0;
    for (int i = 0; i < 3; i++) {
        double bad = rate_of("bad"), gil = rate_of("gil");
        r = gil / bad;
        cr_log_info("try %d: gil %.1f/s, bad %.1f/s, %.2fx", i + 1, gil, bad, r);
        if (r >= 0.65 && r <= 1.35) break;
    }
    cr_expect(r >= 0.65 && r <= 1.35, "gil/bad %.2fx", r);
}

Test(d3b, the_cpu_job_is_calibrated_to_about_ten_milliseconds)
{
    json_t *r = lab_run("lab-d3b", "bad", NULL);
    double ms = lab_num(r, "params.job_ms");
    cr_expect(ms > 5 && ms < 20, "job takes %.2f ms", ms);
    json_decref(r);
}
