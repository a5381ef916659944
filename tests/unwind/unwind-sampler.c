/* unwind-sampler.c -- samples a thread that loops in dl_iterate_phdr, as the agent's sampler
 * samples a loop thread, with our walker or with libunwind (the agent's old handler).
 *
 * usage: unwind-sampler ours|libunwind SAMPLES
 * Each sample is a signal sent with tgkill and walked in the handler; the main thread waits for
 * the handler to finish before sending the next. Prints "SAMPLES samples, F frames, K inside
 * dl_iterate_phdr" (K: walks with a frame in it; ours only) and exits 0,
 * or, when a handler has not finished after 2 s (the thread deadlocked on the loader lock it
 * already held), prints "hang at sample K" and exits 3.
 */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "unwind.h"

#define MAX_FRAMES 64

static int use_libunwind;
static struct ls_stack_bounds bounds;
static atomic_int handled;
static atomic_long frames;
static atomic_int looper_tid;
static atomic_int stop;
static atomic_int inside;               /* walks that went through dl_iterate_phdr */
static uint64_t iterate_lo, iterate_hi; /* its code */

static void walk_with_libunwind(void)
{
    /* What preload/sampler.c did: a per-thread cache, then unw_step to the end. */
    unw_context_t ctx;
    unw_cursor_t cur;
    long n = 0;
    if (unw_getcontext(&ctx) == 0 && unw_init_local(&cur, &ctx) == 0)
        while (n < MAX_FRAMES && unw_step(&cur) > 0)
            n++;
    atomic_fetch_add(&frames, n);
}

static void on_sample(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    if (use_libunwind) {
        walk_with_libunwind();
    } else {
        uint64_t ips[MAX_FRAMES];
        int n = ls_unwind_ucontext(uc, &bounds, ips, MAX_FRAMES);
        atomic_fetch_add(&frames, n);
        for (int i = 0; i < n; i++) {
            if (ips[i] >= iterate_lo && ips[i] < iterate_hi) {
                atomic_fetch_add(&inside, 1);
                break;
            }
        }
    }
    atomic_fetch_add(&handled, 1);
}

static int count_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    (*(long *)arg)++;
    return 0;
}

static void *looper(void *arg)
{
    (void)arg;
    if (ls_stack_bounds_of_self(&bounds) != 0) abort();
    atomic_store(&looper_tid, (int)syscall(SYS_gettid));
    long objects = 0;
    while (!atomic_load(&stop))
        dl_iterate_phdr(count_object, &objects);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "ours") != 0 && strcmp(argv[1], "libunwind") != 0)) {
        fprintf(stderr, "usage: unwind-sampler ours|libunwind SAMPLES\n");
        return 2;
    }
    use_libunwind = strcmp(argv[1], "libunwind") == 0;
    int samples = atoi(argv[2]);
    ls_unwind_trust_startup(); /* as the agent does when it adopts a loop */
    if (use_libunwind) unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!dladdr1((void *)dl_iterate_phdr, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym) abort();
    iterate_lo = (uint64_t)(uintptr_t)info.dli_saddr;
    iterate_hi = iterate_lo + sym->st_size;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sample;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(SIGRTMIN + 2, &sa, NULL);

    pthread_t t;
    pthread_create(&t, NULL, looper, NULL);
    while (!atomic_load(&looper_tid))
        usleep(100);
    for (int i = 0; i < samples; i++) {
        syscall(SYS_tgkill, getpid(), atomic_load(&looper_tid), SIGRTMIN + 2);
        double deadline = now_s() + 2.0;
        while (atomic_load(&handled) <= i) {
            if (now_s() > deadline) {
                printf("hang at sample %d\n", i);
                fflush(stdout);
                _exit(3); /* the looper is stuck for good: no join */
            }
            sched_yield();
        }
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("%d samples, %ld frames, %d inside dl_iterate_phdr\n", samples, atomic_load(&frames),
           atomic_load(&inside));
    return 0;
}
