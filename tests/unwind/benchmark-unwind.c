/* benchmark-unwind.c -- what a walk costs: ns per 32-frame walk and per frame, median of many,
 * for ls_unwind_here, ls_unwind_ucontext (from getcontext, the signal path without the signal)
 * and libunwind on the same stack: unw_backtrace, and unw_step as the agent's old sampler
 * called it (with its per-thread cache) and with no cache. Built twice:
 * with the startup objects read directly (the agent's case) and with every module read fault-safely
 * (a dlopen'd library).
 *
 * usage: benchmark-unwind [WALKS]   (default 5000 per measurement)
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include "chain.h"
#include "unwind.h"

enum { OURS_HERE, OURS_UCONTEXT, UNW_BACKTRACE, UNW_STEP, UNW_STEP_NO_CACHE, WALKERS };
static const char *const walker_name[WALKERS] = {"ls_unwind_here", "ls_unwind_ucontext",
                                                 "unw_backtrace", "unw_step (per-thread cache)",
                                                 "unw_step (no cache)"};

/* The agent's old sampler: unw_init_local, then unw_step frame by frame. */
static int libunwind_steps(void **ips, int max)
{
    unw_context_t ctx;
    unw_cursor_t cur;
    int n = 0;
    if (unw_getcontext(&ctx) != 0 || unw_init_local(&cur, &ctx) != 0) return 0;
    while (n < max && unw_step(&cur) > 0) {
        unw_word_t ip;
        unw_get_reg(&cur, UNW_REG_IP, &ip);
        ips[n++] = (void *)ip;
    }
    return n;
}

struct bench {
    struct ls_stack_bounds b;
    int walks, frames, walker;
    long *ns;
    int got; /* frames the last walk returned */
};

static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Runs at the bottom of the chain: frames - 1 recursion frames above it. */
static int measure(void *arg)
{
    struct bench *m = arg;
    uint64_t ips[64];
    void *theirs[64];
    ucontext_t uc;
    for (int i = 0; i < m->walks; i++) {
        long t0 = now_ns();
        switch (m->walker) {
        case OURS_HERE:
            m->got = ls_unwind_here(&m->b, 0, 0, ips, m->frames);
            break;
        case OURS_UCONTEXT:
            getcontext(&uc);
            m->got = ls_unwind_ucontext(&uc, &m->b, ips, m->frames);
            break;
        case UNW_BACKTRACE:
            m->got = unw_backtrace(theirs, m->frames);
            break;
        default:
            m->got = libunwind_steps(theirs, m->frames);
            break;
        }
        m->ns[i] = now_ns() - t0;
    }
    qsort(m->ns, (size_t)m->walks, sizeof m->ns[0], cmp_long);
    return 0;
}

static long median_walk(struct bench *m, int walker, int frames)
{
    m->walker = walker;
    m->frames = frames;
    /* Ours keeps nothing between walks; unw_backtrace keeps a per-thread cache of its own. */
    unw_set_caching_policy(unw_local_addr_space,
                           walker == UNW_STEP_NO_CACHE ? UNW_CACHE_NONE : UNW_CACHE_PER_THREAD);
    nofp_recurse(frames, measure, m); /* deeper than needed: the walk stops at frames */
    if (m->got != frames) {
        fprintf(stderr, "%s walked %d frames, not %d\n", walker_name[walker], m->got, frames);
        exit(1);
    }
    return m->ns[m->walks / 2];
}

int main(int argc, char **argv)
{
    struct bench m = {.walks = argc > 1 ? atoi(argv[1]) : 5000};
    if (m.walks < 10 || ls_stack_bounds_of_self(&m.b) != 0) {
        fprintf(stderr, "usage: benchmark-unwind [WALKS >= 10]\n");
        return 2;
    }
    m.ns = calloc((size_t)m.walks, sizeof m.ns[0]);
    ls_unwind_trust_startup(); /* as the agent does when it adopts a loop */
#ifdef LS_UNWIND_TRUST_NO_OBJECT
    printf("every module read fault-safely (process_vm_readv), %d walks each\n", m.walks);
#else
    printf("startup objects read directly, %d walks each\n", m.walks);
#endif
    for (int w = 0; w < WALKERS; w++) {
        long t8 = median_walk(&m, w, 8), t32 = median_walk(&m, w, 32);
        printf("  %-27s 32 frames: %6ld ns (%4ld ns/frame)  8 frames: %5ld ns  "
               "marginal %4ld ns/frame\n",
               walker_name[w], t32, t32 / 32, t8, (t32 - t8) / 24);
    }
    free(m.ns);
    return 0;
}
