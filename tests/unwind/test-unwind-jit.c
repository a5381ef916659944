/* test-unwind-jit.c -- the walker passes through code no module describes (a JIT's, with V8's
 * push rbp; mov rbp,rsp frames and no CFI) by the frame-pointer chain, and back into CFI.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "ut.h"

int ut_jit_root(const struct ut_jit *j, struct ut_capture *c);
int ut_jit_spin_root(const struct ut_jit *j);
int ut_jit_loop_root(const struct ut_jit *j);

__attribute__((noinline)) int ut_jit_root(const struct ut_jit *j, struct ut_capture *c)
{
    return nofp_through_jit((jit_call_fn)(uintptr_t)j->code, nofp_level3, ut_capture_here, c) + 1;
}

/* C frames without frame pointers, a JIT frame, C frames again: all named, in order. */
Test(unwind_jit, passes_through_a_jit_frame_between_two_c_frames)
{
    struct ut_jit j = ut_jit_call();
    struct ut_capture c = {.b = ut_bounds()};
    ut_jit_root(&j, &c);
    static const char *const inner[] = {"ut_capture_here", "nofp_level4", "nofp_level3"};
    static const char *const outer[] = {"nofp_through_jit", "ut_jit_root"};
    cr_assert(ut_names_at(c.ips, c.n, 0, inner, 3), "walk:\n%s", ut_describe(c.ips, c.n));
    cr_assert(ut_in_jit(&j, c.ips[3]), "frame 3 is the JIT's:\n%s", ut_describe(c.ips, c.n));
    cr_assert(ut_names_at(c.ips, c.n, 4, outer, 2), "walk:\n%s", ut_describe(c.ips, c.n));
    cr_assert_gt(c.n, 6, "CFI again under the JIT frame:\n%s", ut_describe(c.ips, c.n));
    ut_assert_same_as_libunwind_or_better(&c);
    ut_jit_free(&j);
}

/* ---- From a signal: in C under a JIT frame, and in the JIT code itself ---- */

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

static void sample(int (*root)(const struct ut_jit *), const struct ut_jit *j)
{
    memset(&s, 0, sizeof s);
    s.b = ut_bounds();
    ut_on_signal(SIGPROF, on_sample, SA_RESTART);
    void *t = ut_cpu_timer_start(SIGPROF, 1000);
    root(j);
    ut_cpu_timer_stop(t);
    signal(SIGPROF, SIG_IGN);
}

__attribute__((noinline)) int ut_jit_spin_root(const struct ut_jit *j)
{
    return nofp_through_jit((jit_call_fn)(uintptr_t)j->code, nofp_spin_level3, NULL,
                            (void *)&s.stop) +
           1;
}

Test(unwind_jit, walks_from_a_signal_in_c_code_called_by_jit_code, .timeout = 60)
{
    struct ut_jit j = ut_jit_call();
    sample(ut_jit_spin_root, &j);
    static const char *const inner[] = {"nofp_spin4", "nofp_spin3", "nofp_spin_level3"};
    static const char *const outer[] = {"nofp_through_jit", "ut_jit_spin_root"};
    int in_loop = 0;
    for (int i = 0; i < SAMPLES; i++) {
        if (strcmp(ut_sym(s.pc[i]), "nofp_spin4") != 0) continue;
        in_loop++;
        cr_assert(ut_names_at(s.ips[i], s.n[i], 0, inner, 3), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
        cr_assert(ut_in_jit(&j, s.ips[i][3]), "sample %d:\n%s", i, ut_describe(s.ips[i], s.n[i]));
        cr_assert(ut_names_at(s.ips[i], s.n[i], 4, outer, 2), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
    }
    cr_assert_geq(in_loop, SAMPLES / 2);
    ut_jit_free(&j);
}

/* The JIT's own loop, called like a C function pointer by frames without frame pointers. */
__attribute__((noinline)) int ut_jit_loop_root(const struct ut_jit *j)
{
    return nofp_level1((chain_fn)(uintptr_t)j->code, (void *)&s.stop) + 1;
}

Test(unwind_jit, walks_from_a_signal_inside_jit_code, .timeout = 60)
{
    struct ut_jit j = ut_jit_spin();
    sample(ut_jit_loop_root, &j);
    static const char *const under[] = {"nofp_level4", "nofp_level3", "nofp_level2", "nofp_level1",
                                        "ut_jit_loop_root"};
    int in_jit = 0;
    for (int i = 0; i < SAMPLES; i++) {
        /* Past its prologue (the loop) the JIT frame has its frame pointer set up. */
        if (!ut_in_jit(&j, s.pc[i]) || s.pc[i] < (uint64_t)(uintptr_t)j.code + 4) continue;
        in_jit++;
        cr_assert_eq(s.ips[i][0], s.pc[i]);
        cr_assert(ut_names_at(s.ips[i], s.n[i], 1, under, 5), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
    }
    cr_assert_geq(in_jit, SAMPLES / 2);
    ut_jit_free(&j);
}
