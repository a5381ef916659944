/* test-unwind-fp-only.c -- the walker built for frame pointers only (what other architectures
 * and glibc before 2.35 get) names chains that keep the rbp chain, JIT frames included.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "ut.h"

int ut_fp_root(struct ut_capture *c);
int ut_fp_jit_root(const struct ut_jit *j, struct ut_capture *c);
int ut_fp_spin_root(void);

__attribute__((noinline)) int ut_fp_root(struct ut_capture *c)
{
    return fp_level1(ut_capture_here, c) + 1;
}

Test(unwind_fp_only, names_every_function_of_a_chain_built_with_frame_pointers)
{
    struct ut_capture c = {.b = ut_bounds(), .ours_only = 1};
    ut_fp_root(&c);
    static const char *const chain[] = {"ut_capture_here", "fp_level4", "fp_level3",
                                        "fp_level2",       "fp_level1", "ut_fp_root"};
    cr_assert(ut_names_at(c.ips, c.n, 0, chain, 6), "walk:\n%s", ut_describe(c.ips, c.n));
}

__attribute__((noinline)) int ut_fp_jit_root(const struct ut_jit *j, struct ut_capture *c)
{
    return fp_through_jit((jit_call_fn)(uintptr_t)j->code, fp_level3, ut_capture_here, c) + 1;
}

Test(unwind_fp_only, passes_through_a_jit_frame)
{
    struct ut_jit j = ut_jit_call();
    struct ut_capture c = {.b = ut_bounds(), .ours_only = 1};
    ut_fp_jit_root(&j, &c);
    static const char *const inner[] = {"ut_capture_here", "fp_level4", "fp_level3"};
    static const char *const outer[] = {"fp_through_jit", "ut_fp_jit_root"};
    cr_assert(ut_names_at(c.ips, c.n, 0, inner, 3), "walk:\n%s", ut_describe(c.ips, c.n));
    cr_assert(ut_in_jit(&j, c.ips[3]), "walk:\n%s", ut_describe(c.ips, c.n));
    cr_assert(ut_names_at(c.ips, c.n, 4, outer, 2), "walk:\n%s", ut_describe(c.ips, c.n));
    ut_jit_free(&j);
}

#define SAMPLES 30

static struct {
    struct ls_stack_bounds b;
    volatile int stop;
    atomic_int taken;
    uint64_t pc[SAMPLES];
    uint64_t ips[SAMPLES][UT_MAX_FRAMES];
    int n[SAMPLES];
} s;

static void on_sample(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    int i = atomic_load(&s.taken);
    if (i >= SAMPLES) return;
    s.pc[i] = (uint64_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP];
    s.n[i] = ls_unwind_ucontext(ucv, &s.b, s.ips[i], UT_MAX_FRAMES);
    atomic_store(&s.taken, i + 1);
    if (i + 1 == SAMPLES) s.stop = 1;
}

__attribute__((noinline)) int ut_fp_spin_root(void)
{
    return (int)fp_spin1(&s.stop) + 1;
}

/* In spin4's loop its frame is set up: the chain from its rbp names every caller. */
Test(unwind_fp_only, names_every_caller_under_a_timer_signal, .timeout = 60)
{
    s.b = ut_bounds();
    ut_on_signal(SIGPROF, on_sample, SA_RESTART);
    void *t = ut_cpu_timer_start(SIGPROF, 1000);
    ut_fp_spin_root();
    ut_cpu_timer_stop(t);
    signal(SIGPROF, SIG_IGN);
    static const char *const chain[] = {"fp_spin4", "fp_spin3", "fp_spin2", "fp_spin1",
                                        "ut_fp_spin_root"};
    int in_loop = 0;
    for (int i = 0; i < SAMPLES; i++) {
        if (strcmp(ut_sym(s.pc[i]), "fp_spin4") != 0) continue;
        in_loop++;
        cr_assert(ut_names_at(s.ips[i], s.n[i], 0, chain, 5), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
    }
    cr_assert_geq(in_loop, SAMPLES / 2);
}
