/* test-lab-d3b.c -- D3B in quick mode: a process pool and a free thread pool turn the cores the
 * machine gives them into throughput, a pool under a model of Python's GIL gets one core and
 * makes the loop itself wait for the lock. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>

#include "labrun.h"

struct run {
    double rate;    /* jobs per second */
    double cores;   /* CPU the lab got, in cores (process and worker processes) */
    double idle;    /* cores the machine left idle meanwhile */
    double workers; /* threads or processes of the pool */
    double lag_p99; /* the loop's own lag, ms */
    double work;    /* millions of lab_cpu_job rounds done per core-second: how well the cores
                       went into jobs, the same whatever each run's calibration picked */
};

static struct run run_of(const char *variant)
{
    json_t *r = lab_run("lab-d3b", variant, NULL);
    struct run x = {lab_rate(r),
                    lab_num(r, "params.cpu_cores_used"),
                    lab_num(r, "params.cpu_cores_idle"),
                    lab_num(r, "params.workers"),
                    lab_num(r, "loop_lag_ms.p99"),
                    0};
    x.work = x.rate * lab_num(r, "params.job_iters") / x.cores / 1e6;
    cr_log_info("%s: %.1f jobs/s on %.2f cores, %.2f idle on the machine, loop lag p99 %.1f ms",
                variant, x.rate, x.cores, x.idle, x.lag_p99);
    json_decref(r);
    return x;
}

/* A speedup needs free cores, and on a shared 2-core machine other work can hold them. So the
 * variant is judged with the cores it got, stated in the log: it must take the cores the
 * machine offered (what it used plus what stayed idle, up to its pool size), and turn them into
 * jobs at the loop's rate per core. A pool that serialised its jobs fails the first on an idle
 * machine, one that wasted CPU in its plumbing fails the second on any machine. */
static void expect_parallel_speedup(const char *variant)
{
    struct run bad = run_of("bad"), v = run_of(variant);
    double offered = fmin(v.workers, v.cores + v.idle);
    double per_core = v.work, bad_per_core = bad.work;
    cr_log_info("%s got %.2f of the %.2f cores the machine offered: %.2fx bad's throughput, "
                "%.0fM job rounds per core-second against bad's %.0fM",
                variant, v.cores, offered, v.rate / bad.rate, per_core, bad_per_core);
    cr_expect_geq(v.cores, 0.75 * offered, "%s used %.2f cores with %.2f offered", variant, v.cores,
                  offered);
    cr_expect_geq(per_core, 0.75 * bad_per_core, "%s: %.0fM rounds per core-second, bad %.0fM",
                  variant, per_core, bad_per_core);
    if (offered >= 1.6)
        cr_expect_geq(v.rate / bad.rate, 1.3, "%s/bad %.2fx with %.2f cores", variant,
                      v.rate / bad.rate, v.cores);
    else
        /* Logged, not warned: Criterion exits non-zero on a warning. */
        cr_log_info("NOT ASSERTED: only %.2f cores were free for %s, and the 1.3x speedup over bad "
                    "needs two; the two checks above judged it at the %.2f cores it got",
                    offered, variant, v.cores);
}

Test(d3b, a_process_pool_turns_the_cores_it_gets_into_throughput)
{
    expect_parallel_speedup("procpool");
}

Test(d3b, a_free_thread_pool_turns_the_cores_it_gets_into_throughput)
{
    expect_parallel_speedup("threads");
}

Test(d3b, a_thread_pool_under_a_gil_runs_on_one_core_at_the_loops_rate)
{
    struct run bad = run_of("bad"), gil = run_of("gil");
    /* The lock admits one job at a time whatever the machine's load: at most one core, spent on
     * jobs as efficiently as the loop spends it, so throughput no better than bad's per core. */
    cr_expect_leq(gil.cores, 1.25, "gil used %.2f cores", gil.cores);
    cr_expect(gil.work >= 0.65 * bad.work && gil.work <= 1.35 * bad.work,
              "gil %.0fM rounds per core-second, bad %.0fM", gil.work, bad.work);
    double one_core = bad.rate / bad.cores; /* bad's jobs per second on a whole core */
    cr_expect_leq(gil.rate, 1.35 * one_core, "gil %.1f jobs/s, more than one core's %.1f", gil.rate,
                  one_core);
}

Test(d3b, under_a_gil_the_loop_waits_for_the_lock_so_its_lag_is_far_above_threads_and_near_bad)
{
    struct run bad = run_of("bad"), threads = run_of("threads");
    json_t *r = lab_run("lab-d3b", "gil", NULL);
    double lag = lab_num(r, "loop_lag_ms.p99"), share = lab_num(r, "params.loop_gil_wait_share");
    double interval = lab_num(r, "params.switch_interval_ms");
    cr_log_info("loop lag p99: gil %.1f ms, threads %.1f ms, bad %.1f ms; the gil loop waited "
                "for the lock %.0f%% of the run",
                lag, threads.lag_p99, bad.lag_p99, 100 * share);
    /* Every wake of the loop waits for the lock while six threads hand it round every switch
     * interval: most of the run, and at least one interval per wake. */
    cr_expect_geq(share, 0.4, "the loop waited for the lock only %.0f%% of the run", 100 * share);
    cr_expect_geq(lag, interval, "lag p99 %.1f ms under a %.0f ms switch interval", lag, interval);
    /* About 8x threads' lag on a quiet machine and 2x when other work leaves the lab half a core
     * (then threads' loop waits for a CPU too); bad's loop runs 32 jobs a turn, about 3x gil's. */
    cr_expect_geq(lag, 1.5 * threads.lag_p99, "gil lag p99 %.1f ms, threads %.1f ms", lag,
                  threads.lag_p99);
    cr_expect_geq(lag, bad.lag_p99 / 8, "gil lag p99 %.1f ms, bad %.1f ms", lag, bad.lag_p99);
    json_decref(r);
}

Test(d3b, the_cpu_job_is_calibrated_to_about_ten_milliseconds)
{
    json_t *r = lab_run("lab-d3b", "bad", NULL);
    double ms = lab_num(r, "params.job_ms");
    cr_expect(ms > 5 && ms < 20, "job takes %.2f ms", ms);
    json_decref(r);
}
