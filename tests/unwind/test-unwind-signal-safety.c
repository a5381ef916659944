/* test-unwind-signal-safety.c -- the walker is safe where the agent's sampler runs: on an 8 KiB
 * sigaltstack with the handler on it, and in a signal landing while the thread holds the loader
 * lock inside dl_iterate_phdr (where the libunwind handler it replaces deadlocks).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "ls_test.h"
#include "ut.h"

int ut_alt_root(void);

#define ALT_SIZE 8192
#define SAMPLES  500
#define PAINT    0xa5

static struct {
    struct ls_stack_bounds b;
    uint8_t *alt; /* the alternate stack, a PROT_NONE page below it */
    int walk;     /* 0: the handler only (the baseline) */
    int wanted;
    volatile int stop;
    atomic_int taken;
    atomic_int on_alt; /* samples whose handler ran on the alternate stack */
    uint64_t pc[SAMPLES];
    uint64_t ips[SAMPLES][24];
    int n[SAMPLES];
} s;

static void on_sample(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    volatile char here;
    int i = atomic_load(&s.taken);
    if (i >= s.wanted) return;
    if ((uint8_t *)&here >= s.alt && (uint8_t *)&here < s.alt + ALT_SIZE)
        atomic_fetch_add(&s.on_alt, 1);
    s.pc[i] = (uint64_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP];
    s.n[i] = s.walk ? ls_unwind_ucontext(ucv, &s.b, s.ips[i], 24) : 0;
    atomic_store(&s.taken, i + 1);
    if (i + 1 == s.wanted) s.stop = 1;
}

__attribute__((noinline)) int ut_alt_root(void)
{
    return (int)nofp_spin1(&s.stop) + 1;
}

/* Samples wanted times with the handler on the alternate stack; returns the bytes of it used. */
static size_t run_on_alt_stack(int walk, int wanted)
{
    memset(s.alt, PAINT, ALT_SIZE);
    atomic_store(&s.taken, 0);
    atomic_store(&s.on_alt, 0);
    s.walk = walk;
    s.wanted = wanted;
    s.stop = 0;
    void *t = ut_cpu_timer_start(SIGPROF, 1000);
    ut_alt_root();
    ut_cpu_timer_stop(t);
    cr_assert_eq(atomic_load(&s.on_alt), wanted, "every handler ran on the alternate stack");
    size_t untouched = 0;
    while (untouched < ALT_SIZE && s.alt[untouched] == PAINT)
        untouched++;
    return ALT_SIZE - untouched;
}

Test(unwind_signal_safety, an_8_kib_sigaltstack_holds_the_handler_and_the_walk, .timeout = 120)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *map =
        mmap(NULL, (size_t)page + ALT_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(map != MAP_FAILED);
    s.alt = map + page; /* an overflow runs into the PROT_NONE page: a crash, not corruption */
    cr_assert_eq(mprotect(s.alt, ALT_SIZE, PROT_READ | PROT_WRITE), 0);
    s.b = ut_bounds();
    stack_t ss = {.ss_sp = s.alt, .ss_size = ALT_SIZE, .ss_flags = 0}, old;
    cr_assert_eq(sigaltstack(&ss, &old), 0);
    ut_on_signal(SIGPROF, on_sample, SA_RESTART | SA_ONSTACK);

    size_t baseline = run_on_alt_stack(0, 20);
    size_t used = run_on_alt_stack(1, SAMPLES);
    signal(SIGPROF, SIG_IGN);
    cr_assert_eq(sigaltstack(&old, NULL), 0);
    fprintf(stderr,
            "8 KiB sigaltstack: kernel frame + handler %zu bytes, with the walk %zu (walk %zu)\n",
            baseline, used, used - baseline);

    static const char *const chain[] = {"nofp_spin4", "nofp_spin3", "nofp_spin2", "nofp_spin1",
                                        "ut_alt_root"};
    int in_loop = 0;
    for (int i = 0; i < SAMPLES; i++) {
        if (strcmp(ut_sym(s.pc[i]), "nofp_spin4") != 0) continue;
        in_loop++;
        cr_assert(ut_names_at(s.ips[i], s.n[i], 0, chain, 5), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
    }
    cr_assert_geq(in_loop, SAMPLES / 2);
    /* The walk's own share stays under the 2 KiB unwind.h states. */
    cr_assert_lt(used - baseline, 2048, "the walk used %zu bytes of the alternate stack",
                 used - baseline);
    munmap(map, (size_t)page + ALT_SIZE);
}

static struct ls_proc_result run_sampler(const char *walker)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/unwind-sampler", LS_BIN_DIR);
    char *argv[] = {path, (char *)walker, "5000", NULL};
    return ls_run_argv(argv, NULL, 120);
}

Test(unwind_signal_safety, samples_landing_inside_dl_iterate_phdr_never_hang, .timeout = 150)
{
    struct ls_proc_result r = run_sampler("ours");
    cr_assert_eq(r.status, 0, "status %d: %s%s", r.status, r.out, r.err);
    unsigned samples = 0, inside = 0;
    unsigned long frames = 0;
    cr_assert_eq(sscanf(r.out, "%u samples, %lu frames, %u inside", &samples, &frames, &inside), 3,
                 "%s", r.out);
    cr_assert_eq(samples, 5000);
    cr_assert_geq(inside, samples / 2, "the signals must land in dl_iterate_phdr: %s", r.out);
    ls_proc_result_free(&r);
}

/* The same sampler with the walk the agent used to do (libunwind's unw_step, which calls
 * dl_iterate_phdr): the thread deadlocks on the loader lock it already holds, which the test
 * above would report as a failure. */
Test(unwind_signal_safety, the_libunwind_handler_it_replaces_hangs_on_the_same_samples,
     .timeout = 150)
{
    struct ls_proc_result r = run_sampler("libunwind");
    cr_assert_eq(r.status, 3, "libunwind did not hang this time: %s%s", r.out, r.err);
    cr_assert(strstr(r.out, "hang at sample"), "%s", r.out);
    ls_proc_result_free(&r);
}
