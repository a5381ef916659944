/* test-unwind-chains.c -- the walker names every frame of known call chains, with and without
 * frame pointers, from a wrapper-like call and from a signal, through libc, as well as libunwind.
 */
#define UNW_LOCAL_ONLY
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "ut.h"

/* Frames the tests name: exported (the executable is linked with -rdynamic) for dladdr. */
int ut_root_nofp(struct ut_capture *c);
int ut_root_fp(struct ut_capture *c);
int ut_sort_with_capture(void *arg);
int ut_spin_root_nofp(void);
int ut_spin_root_fp(void);
int ut_blocking_read(void *arg);

/* ---- From a wrapper-like call ---- */

__attribute__((noinline)) int ut_root_nofp(struct ut_capture *c)
{
    return nofp_level1(ut_capture_here, c) + 1;
}

__attribute__((noinline)) int ut_root_fp(struct ut_capture *c)
{
    return fp_level1(ut_capture_here, c) + 1;
}

static const char *const nofp_chain[] = {"ut_capture_here", "nofp_level4", "nofp_level3",
                                         "nofp_level2",     "nofp_level1", "ut_root_nofp"};
static const char *const fp_chain[] = {"ut_capture_here", "fp_level4", "fp_level3",
                                       "fp_level2",       "fp_level1", "ut_root_fp"};

Test(unwind_here, names_every_function_of_a_chain_built_without_frame_pointers)
{
    struct ut_capture c = {.b = ut_bounds()};
    ut_root_nofp(&c);
    cr_assert(ut_names_at(c.ips, c.n, 0, nofp_chain, 6), "walk:\n%s", ut_describe(c.ips, c.n));
    /* Only CFI can do that: the frame-pointer chain skips straight past the nofp_ frames. */
    cr_assert_eq(ut_find(c.fp_ips, c.fp_n, 0, "nofp_level2"), -1,
                 "the chain was meant to have no frame pointers:\n%s",
                 ut_describe(c.fp_ips, c.fp_n));
    cr_assert_gt(c.n, 6, "the walk goes on past the test into the runner");
}

Test(unwind_here, names_every_function_of_a_chain_built_with_frame_pointers)
{
    struct ut_capture c = {.b = ut_bounds()};
    ut_root_fp(&c);
    cr_assert(ut_names_at(c.ips, c.n, 0, fp_chain, 6), "walk:\n%s", ut_describe(c.ips, c.n));
}

Test(unwind_here, finds_the_same_frames_as_libunwind_or_more)
{
    struct ut_capture nofp = {.b = ut_bounds()}, fp = {.b = ut_bounds()};
    ut_root_nofp(&nofp);
    ut_root_fp(&fp);
    ut_assert_same_as_libunwind_or_better(&nofp);
    ut_assert_same_as_libunwind_or_better(&fp);
}

static uint64_t symbol_end(void *fn)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    cr_assert(dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) && sym);
    return (uint64_t)(uintptr_t)fn + sym->st_size;
}

/* A library dlopen'd after start can be dlclose'd during a walk: its tables are read fault-safely.
 */
Test(unwind_here, names_the_frames_of_a_library_dlopened_after_start)
{
    void *lib = dlopen(UT_CHAIN_DL, RTLD_NOW | RTLD_LOCAL);
    cr_assert(lib, "%s", dlerror());
    int (*level1)(chain_fn, void *) = (int (*)(chain_fn, void *))dlsym(lib, "dl_level1");
    cr_assert(level1);
    struct ut_capture c = {.b = ut_bounds()};
    level1(ut_capture_here, &c);
    static const char *const chain[] = {"ut_capture_here", "dl_level4", "dl_level3", "dl_level2",
                                        "dl_level1"};
    cr_assert(ut_names_at(c.ips, c.n, 0, chain, 5), "walk:\n%s", ut_describe(c.ips, c.n));
    cr_assert_str_eq(ut_sym(c.ips[5]),
                     "unwind_here_names_the_frames_of_a_library_dlopened_after_start_impl",
                     "walk:\n%s", ut_describe(c.ips, c.n));
    ut_assert_same_as_libunwind_or_better(&c);
    dlclose(lib);
}

Test(unwind_here, leaves_out_every_frame_in_the_text_it_is_told_to_skip)
{
    struct ut_capture c = {.b = ut_bounds()};
    c.skip_lo = (uint64_t)(uintptr_t)nofp_level4;
    c.skip_hi = symbol_end((void *)nofp_level4);
    ut_root_nofp(&c);
    static const char *const without_level4[] = {"ut_capture_here", "nofp_level3", "nofp_level2",
                                                 "nofp_level1", "ut_root_nofp"};
    cr_assert(ut_names_at(c.ips, c.n, 0, without_level4, 5), "walk:\n%s", ut_describe(c.ips, c.n));
}

/* ---- Through libc: a qsort comparator ---- */

static struct ut_capture *qsort_capture;

__attribute__((noinline)) static int compare_and_capture(const void *a, const void *b)
{
    if (qsort_capture) {
        ut_capture_here(qsort_capture);
        qsort_capture = NULL;
    }
    return *(const int *)a - *(const int *)b;
}

typedef void (*qsort_fn)(void *, size_t, size_t, int (*)(const void *, const void *));

/* libc's own qsort: the sanitizer's interceptor of the same name sorts by itself. */
static qsort_fn libc_qsort(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    cr_assert(libc);
    qsort_fn fn = (qsort_fn)dlsym(libc, "qsort");
    cr_assert(fn);
    return fn;
}

__attribute__((noinline)) int ut_sort_with_capture(void *arg)
{
    int v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    qsort_fn sort = libc_qsort();
    qsort_capture = arg;
    sort(v, 64, sizeof v[0], compare_and_capture);
    return v[0];
}

Test(unwind_here, passes_through_libc_from_a_qsort_comparator)
{
    struct ut_capture c = {.b = ut_bounds()};
    nofp_level1(ut_sort_with_capture, &c);
    /* ut_capture_here, compare_and_capture (static: no dynamic name), then libc's sort. */
    int sorter = ut_find(c.ips, c.n, 0, "ut_sort_with_capture");
    cr_assert_gt(sorter, 2, "walk:\n%s", ut_describe(c.ips, c.n));
    int in_libc = 0;
    for (int i = 2; i < sorter; i++)
        in_libc += strstr(ut_obj(c.ips[i]), "libc.so") != NULL;
    cr_assert_geq(in_libc, 1, "no libc frame between comparator and caller:\n%s",
                  ut_describe(c.ips, c.n));
    static const char *const rest[] = {"ut_sort_with_capture", "nofp_level4", "nofp_level3",
                                       "nofp_level2", "nofp_level1"};
    cr_assert(ut_names_at(c.ips, c.n, sorter, rest, 5), "walk:\n%s", ut_describe(c.ips, c.n));
    ut_assert_same_as_libunwind_or_better(&c);
}

/* Both walks below fail a fault-safe read (process_vm_readv sets EFAULT). */
Test(unwind_here, leaves_errno_as_it_was)
{
    struct ut_capture c = {.b = ut_bounds(), .ours_only = 1}; /* libunwind crashes on this frame */
    errno = 4242;
    ut_cfa_unreadable(ut_capture_here, &c); /* its CFA expression reads address 16 */
    cr_assert_eq(errno, 4242, "errno %d after ls_unwind_here", errno);
    cr_assert_gt(c.n, 0);
}

Test(unwind_ucontext, leaves_errno_as_it_was)
{
    uint64_t stack[16] = {0}, ips[4];
    struct ls_stack_bounds b = {(uint64_t)(uintptr_t)stack, (uint64_t)(uintptr_t)(stack + 16)};
    errno = 4242;
    int n = ut_walk_state(16, (uint64_t)(uintptr_t)stack, 0, &b, ips, 4); /* pc unreadable */
    cr_assert_eq(errno, 4242, "errno %d after ls_unwind_ucontext", errno);
    cr_assert_eq(n, 1);
}

/* ---- From a signal ---- */

#define SAMPLES 40

static struct {
    struct ls_stack_bounds b;
    volatile int stop;
    atomic_int taken;
    uint64_t pc[SAMPLES]; /* the interrupted pc, from the context */
    uint64_t ips[SAMPLES][UT_MAX_FRAMES];
    int n[SAMPLES];
    void *theirs[SAMPLES][UT_MAX_FRAMES];
    int their_n[SAMPLES];
    int here; /* walk with ls_unwind_here from the handler instead */
} s;

static void on_sample(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    int saved = errno;
    int i = atomic_load(&s.taken);
    if (i < SAMPLES) {
        const ucontext_t *uc = ucv;
        s.pc[i] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
        if (s.here)
            s.n[i] = ls_unwind_here(&s.b, 0, 0, s.ips[i], UT_MAX_FRAMES);
        else
            s.n[i] = ls_unwind_ucontext(ucv, &s.b, s.ips[i], UT_MAX_FRAMES);
        s.their_n[i] = unw_backtrace(s.theirs[i], UT_MAX_FRAMES);
        atomic_store(&s.taken, i + 1);
        if (i + 1 == SAMPLES) s.stop = 1;
    }
    errno = saved;
}

__attribute__((noinline)) int ut_spin_root_nofp(void)
{
    return (int)nofp_spin1(&s.stop) + 1;
}

__attribute__((noinline)) int ut_spin_root_fp(void)
{
    return (int)fp_spin1(&s.stop) + 1;
}

static void sample_spin(int (*root)(void), int here)
{
    memset(&s, 0, sizeof s);
    s.b = ut_bounds();
    s.here = here;
    ut_on_signal(SIGPROF, on_sample, SA_RESTART);
    void *t = ut_cpu_timer_start(SIGPROF, 1000);
    root();
    ut_cpu_timer_stop(t);
    signal(SIGPROF, SIG_IGN);
}

/* Every sample that landed in spin4 has the whole chain under it; most samples land there. */
static void assert_spin_samples(const char *const *chain, int count)
{
    int in_loop = 0;
    for (int i = 0; i < SAMPLES; i++) {
        if (strcmp(ut_sym(s.pc[i]), chain[0]) != 0) continue;
        in_loop++;
        cr_assert_eq(s.ips[i][0], s.pc[i], "the interrupted pc comes first, exact");
        cr_assert(ut_names_at(s.ips[i], s.n[i], 0, chain, count), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
    }
    cr_assert_geq(in_loop, SAMPLES / 2, "only %d of %d samples in the loop", in_loop, SAMPLES);
}

Test(unwind_ucontext, names_every_function_under_a_timer_signal_in_a_loop_four_deep, .timeout = 60)
{
    static const char *const nofp[] = {"nofp_spin4", "nofp_spin3", "nofp_spin2", "nofp_spin1",
                                       "ut_spin_root_nofp"};
    static const char *const fp[] = {"fp_spin4", "fp_spin3", "fp_spin2", "fp_spin1",
                                     "ut_spin_root_fp"};
    sample_spin(ut_spin_root_nofp, 0);
    assert_spin_samples(nofp, 5);
    sample_spin(ut_spin_root_fp, 0);
    assert_spin_samples(fp, 5);
}

/* libunwind walks from inside the handler: its list holds the handler's frames, the trampoline,
 * then the interrupted pc and its callers, which must be ours. */
Test(unwind_ucontext, finds_the_same_frames_as_libunwind_or_more, .timeout = 60)
{
    sample_spin(ut_spin_root_nofp, 0);
    int compared = 0;
    for (int i = 0; i < SAMPLES; i++) {
        int j = 0;
        while (j < s.their_n[i] && (uint64_t)(uintptr_t)s.theirs[i][j] != s.pc[i])
            j++;
        if (j == s.their_n[i]) continue; /* libunwind lost the signal frame */
        compared++;
        int theirs = s.their_n[i] - j;
        for (int k = 1; k < theirs && k < s.n[i]; k++)
            cr_assert_eq(s.ips[i][k], (uint64_t)(uintptr_t)s.theirs[i][j + k] - 1,
                         "sample %d frame %d: ours %s, libunwind %s\n%s", i, k, ut_sym(s.ips[i][k]),
                         ut_sym((uint64_t)(uintptr_t)s.theirs[i][j + k]),
                         ut_describe(s.ips[i], s.n[i]));
        cr_assert_geq(s.n[i], theirs, "sample %d: libunwind %d frames, ours %d", i, theirs, s.n[i]);
    }
    cr_assert_geq(compared, SAMPLES / 2);
}

/* ls_unwind_here inside a handler walks out through the signal trampoline (CFA and registers
 * from DWARF expressions) into the interrupted frame, whose pc is then exact. */
Test(unwind_here, walks_out_of_a_signal_handler_through_the_trampoline, .timeout = 60)
{
    sample_spin(ut_spin_root_nofp, 1);
    static const char *const under[] = {"nofp_spin4", "nofp_spin3", "nofp_spin2", "nofp_spin1",
                                        "ut_spin_root_nofp"};
    int in_loop = 0;
    for (int i = 0; i < SAMPLES; i++) {
        if (strcmp(ut_sym(s.pc[i]), "nofp_spin4") != 0) continue;
        in_loop++;
        int at = 0;
        while (at < s.n[i] && s.ips[i][at] != s.pc[i])
            at++;
        cr_assert_lt(at, s.n[i], "sample %d: the interrupted pc %s is missing:\n%s", i,
                     ut_sym(s.pc[i]), ut_describe(s.ips[i], s.n[i]));
        cr_assert(strstr(ut_obj(s.ips[i][at - 1]), "libc.so"),
                  "sample %d: the trampoline (libc) comes before it:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
        cr_assert(ut_names_at(s.ips[i], s.n[i], at, under, 5), "sample %d:\n%s", i,
                  ut_describe(s.ips[i], s.n[i]));
    }
    cr_assert_geq(in_loop, SAMPLES / 2);
}

/* ---- A signal interrupting a system call in libc ---- */

static struct {
    int fds[2];
    pid_t tid;
    struct ls_stack_bounds b;
    atomic_int walked;
    uint64_t pc;
    uint64_t ips[UT_MAX_FRAMES];
    int n;
} rd;

static void on_read_sample(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    const ucontext_t *uc = ucv;
    rd.pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    rd.n = ls_unwind_ucontext(ucv, &rd.b, rd.ips, UT_MAX_FRAMES);
    atomic_store(&rd.walked, 1);
}

__attribute__((noinline)) int ut_blocking_read(void *arg)
{
    (void)arg;
    char ch;
    return (int)read(rd.fds[0], &ch, 1);
}

__attribute__((noinline)) static void *reader_thread(void *arg)
{
    (void)arg;
    rd.b = ut_bounds();
    rd.tid = (pid_t)syscall(SYS_gettid);
    return (void *)(intptr_t)nofp_level1(ut_blocking_read, NULL);
}

static int in_read_syscall(pid_t tid)
{
    char path[64], buf[64] = {0};
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = fgets(buf, sizeof buf, f) && strncmp(buf, "0 ", 2) == 0; /* read is syscall 0 */
    fclose(f);
    return ok;
}

Test(unwind_ucontext, passes_through_libc_from_a_signal_in_a_blocked_read, .timeout = 30)
{
    memset(&rd, 0, sizeof rd);
    cr_assert_eq(pipe(rd.fds), 0);
    ut_on_signal(SIGUSR1, on_read_sample, SA_RESTART);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, reader_thread, NULL), 0);
    for (int i = 0; i < 2000 && !(rd.tid && in_read_syscall(rd.tid)); i++)
        usleep(1000);
    cr_assert(in_read_syscall(rd.tid), "the reader never blocked in read");
    pthread_kill(t, SIGUSR1);
    for (int i = 0; i < 2000 && !atomic_load(&rd.walked); i++)
        usleep(1000);
    cr_assert(atomic_load(&rd.walked));
    cr_assert_eq(write(rd.fds[1], "x", 1), 1);
    pthread_join(t, NULL);
    cr_assert_eq(rd.ips[0], rd.pc);
    cr_assert(strstr(ut_obj(rd.ips[0]), "libc.so"), "interrupted in libc's read:\n%s",
              ut_describe(rd.ips, rd.n));
    int at = ut_find(rd.ips, rd.n, 1, "ut_blocking_read");
    static const char *const chain[] = {"ut_blocking_read", "nofp_level4", "nofp_level3",
                                        "nofp_level2", "nofp_level1"};
    cr_assert(ut_names_at(rd.ips, rd.n, at, chain, 5), "walk:\n%s", ut_describe(rd.ips, rd.n));
    for (int i = 1; i < at; i++) /* read's own frames, and the sanitizer's interceptor */
        cr_assert(strstr(ut_obj(rd.ips[i]), "libc.so") || strstr(ut_obj(rd.ips[i]), "libasan"),
                  "frame %d:\n%s", i, ut_describe(rd.ips, rd.n));
}

/* ---- Stack bounds ---- */

__attribute__((noinline)) static uint64_t deep_address(int depth)
{
    volatile char pad[16384];
    pad[0] = (char)depth;
    if (depth == 0) return (uint64_t)(uintptr_t)&pad[0];
    return deep_address(depth - 1) + (uint64_t)pad[0] * 0;
}

static void *bounds_of_thread(void *arg)
{
    struct ls_stack_bounds *b = arg;
    cr_assert_eq(ls_stack_bounds_of_self(b), 0);
    volatile char here;
    cr_assert((uint64_t)(uintptr_t)&here >= b->lo && (uint64_t)(uintptr_t)&here < b->hi);
    return NULL;
}

Test(stack_bounds, hold_the_stack_of_the_thread_that_asks_even_once_it_grows)
{
    struct ls_stack_bounds b = ut_bounds();
    volatile char here;
    uint64_t at = (uint64_t)(uintptr_t)&here;
    cr_assert(at >= b.lo && at < b.hi, "%#llx not in [%#llx, %#llx)", (unsigned long long)at,
              (unsigned long long)b.lo, (unsigned long long)b.hi);
    /* 1 MiB deeper than when asked: the main thread's stack grew into what the bounds allow. */
    uint64_t deep = deep_address(64);
    cr_assert(deep >= b.lo && deep < b.hi, "a deeper frame %#llx is outside [%#llx, %#llx)",
              (unsigned long long)deep, (unsigned long long)b.lo, (unsigned long long)b.hi);

    struct ls_stack_bounds tb;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, bounds_of_thread, &tb), 0);
    pthread_join(t, NULL);
    cr_assert(tb.hi <= b.lo || tb.lo >= b.hi, "a thread's stack is not the main thread's");
}
