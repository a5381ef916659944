/* test-lab-d3b.c -- D3B in quick mode: a process pool and a free thread pool beat CPU work in
 * the loop, a pool behind one global lock (Python's GIL) does not. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "labrun.h"

struct run {
    double rate;  /* jobs per second */
    double cores; /* CPU the jobs got, in cores */
};

static struct run run_of(const char *variant)
{
    json_t *r = lab_run("lab-d3b", variant, NULL);
    struct run x = {lab_rate(r), lab_num(r, "params.cpu_cores_used")};
    json_decref(r);
    return x;
}

/* A speedup needs a second core, and on a shared 2-core machine other work can hold it for
 * seconds. Runs bad and the variant back to back up to five times and stops at the first
 * ratio of at least want. When the variant never got more than 1.4 cores, the machine, not
 * the lab, decided: the test says so and skips. */
static void expect_speedup(const char *variant, double want)
{
    double best = 0, most_cores = 0;
    for (int i = 0; i < 5; i++) {
        struct run bad = run_of("bad"), v = run_of(variant);
        double ratio = v.rate / bad.rate;
        cr_log_info("try %d: %s %.1f/s on %.2f cores, bad %.1f/s on %.2f cores: %.2fx", i + 1,
                    variant, v.rate, v.cores, bad.rate, bad.cores, ratio);
        if (ratio > best) best = ratio;
        if (v.cores > most_cores) most_cores = v.cores;
        if (ratio >= want) return;
    }
    if (most_cores < 1.4)
        cr_skip_test("the machine never gave %s a second core (at most %.2f cores): a parallel "
                     "speedup cannot show; best ratio %.2fx",
                     variant, most_cores, best);
    cr_expect_geq(best, want, "%s/bad at best %.2fx, though it got up to %.2f cores", variant, best,
                  most_cores);
}

Test(d3b, a_process_pool_runs_cpu_jobs_faster_than_the_loop)
{
    expect_speedup("procpool", 1.3);
}

Test(d3b, a_free_thread_pool_runs_cpu_jobs_faster_than_the_loop)
{
    expect_speedup("threads", 1.3);
}

Test(d3b, a_thread_pool_behind_one_global_lock_uses_one_core_like_the_loop)
{
    /* The lock admits one job at a time whatever the machine's load: at most one core. */
    struct run bad = {0}, gil = {0};
    double r = 0;
    for (int i = 0; i < 3; i++) {
        bad = run_of("bad");
        gil = run_of("gil");
        r = gil.rate / bad.rate;
        cr_log_info("try %d: gil %.1f/s on %.2f cores, bad %.1f/s on %.2f cores: %.2fx", i + 1,
                    gil.rate, gil.cores, bad.rate, bad.cores, r);
        /* Noise can push the throughput ratio either way: one close pair is enough. */
        if (r >= 0.65 && r <= 1.35) break;
    }
    cr_expect_leq(gil.cores, 1.25, "gil used %.2f cores", gil.cores);
    cr_expect(r >= 0.65 && r <= 1.35, "gil/bad %.2fx", r);
}

Test(d3b, the_cpu_job_is_calibrated_to_about_ten_milliseconds)
{
    json_t *r = lab_run("lab-d3b", "bad", NULL);
    double ms = lab_num(r, "params.job_ms");
    cr_expect(ms > 5 && ms < 20, "job takes %.2f ms", ms);
    json_decref(r);
}
