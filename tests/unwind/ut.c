/* ut.c -- helpers the walker's tests share (see ut.h). */
#define UNW_LOCAL_ONLY
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <libunwind.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "ut.h"

/* The startup set trusted before main, as the agent does when it adopts a loop. */
__attribute__((constructor)) static void ut_trust_startup(void)
{
    ls_unwind_trust_startup();
}

struct ls_stack_bounds ut_bounds(void)
{
    struct ls_stack_bounds b;
    int rc = ls_stack_bounds_of_self(&b);
    cr_assert_eq(rc, 0, "ls_stack_bounds_of_self: %s", strerror(-rc));
    return b;
}

const char *ut_sym(uint64_t ip)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)ip, &info) && info.dli_sname) return info.dli_sname;
    return "?";
}

const char *ut_obj(uint64_t ip)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)ip, &info) && info.dli_fname) return info.dli_fname;
    return "?";
}

int ut_names_at(const uint64_t *ips, int n, int at, const char *const *names, int count)
{
    if (at < 0 || at + count > n) return 0;
    for (int i = 0; i < count; i++)
        if (strcmp(ut_sym(ips[at + i]), names[i]) != 0) return 0;
    return 1;
}

int ut_find(const uint64_t *ips, int n, int from, const char *name)
{
    for (int i = from < 0 ? 0 : from; i < n; i++)
        if (strcmp(ut_sym(ips[i]), name) == 0) return i;
    return -1;
}

const char *ut_describe(const uint64_t *ips, int n)
{
    static char buf[8192];
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n && len < sizeof buf - 200; i++) {
        const char *obj = strrchr(ut_obj(ips[i]), '/');
        len += (size_t)snprintf(buf + len, sizeof buf - len, "  %d: %#llx %s (%s)\n", i,
                                (unsigned long long)ips[i], ut_sym(ips[i]),
                                obj ? obj + 1 : ut_obj(ips[i]));
    }
    return buf;
}

static struct ut_jit jit_from(const uint8_t *code, size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *p =
        mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(p != MAP_FAILED);
    memcpy(p, code, len);
    cr_assert_eq(mprotect(p, (size_t)page, PROT_READ | PROT_EXEC), 0);
    __builtin___clear_cache((char *)p, (char *)p + len);
    return (struct ut_jit){p, len};
}

struct ut_jit ut_jit_call(void)
{
    static const uint8_t code[] = {
        0x55,             /* push %rbp */
        0x48, 0x89, 0xe5, /* mov %rsp,%rbp */
        0x48, 0x89, 0xf8, /* mov %rdi,%rax: target */
        0x48, 0x89, 0xf7, /* mov %rsi,%rdi */
        0x48, 0x89, 0xd6, /* mov %rdx,%rsi */
        0xff, 0xd0,       /* call *%rax */
        0x5d,             /* pop %rbp */
        0xc3,             /* ret */
    };
    return jit_from(code, sizeof code);
}

struct ut_jit ut_jit_spin(void)
{
    static const uint8_t code[] = {
        0x55,             /* push %rbp */
        0x48, 0x89, 0xe5, /* mov %rsp,%rbp */
        0x8b, 0x07,       /* 1: mov (%rdi),%eax */
        0x85, 0xc0,       /* test %eax,%eax */
        0x74, 0xfa,       /* je 1b */
        0x5d,             /* pop %rbp */
        0xc3,             /* ret */
    };
    return jit_from(code, sizeof code);
}

int ut_in_jit(const struct ut_jit *j, uint64_t ip)
{
    return ip >= (uint64_t)(uintptr_t)j->code && ip < (uint64_t)(uintptr_t)j->code + j->len;
}

void ut_jit_free(struct ut_jit *j)
{
    munmap(j->code, (size_t)sysconf(_SC_PAGESIZE));
    j->code = NULL;
}

void *ut_cpu_timer_start(int sig, long interval_us)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t t;
    cr_assert_eq(timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &t), 0);
    struct itimerspec its = {{0, interval_us * 1000}, {0, interval_us * 1000}};
    cr_assert_eq(timer_settime(t, 0, &its, NULL), 0);
    return t;
}

void ut_cpu_timer_stop(void *timer)
{
    timer_delete((timer_t)timer);
}

void ut_on_signal(int sig, void (*handler)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigfillset(&sa.sa_mask);
    cr_assert_eq(sigaction(sig, &sa, NULL), 0);
}

/* What a frame-pointer walk alone finds from its caller: the chain a CFI-less walker sees. */
__attribute__((noinline)) static int frame_pointer_walk(const struct ls_stack_bounds *b,
                                                        uint64_t *ips, int max)
{
    uint64_t *fp = __builtin_frame_address(0);
    int n = 0;
    while (n < max && (uint64_t)(uintptr_t)fp >= b->lo && (uint64_t)(uintptr_t)(fp + 2) <= b->hi) {
        ips[n++] = fp[1] - 1;
        uint64_t *next = (uint64_t *)(uintptr_t)fp[0];
        if (next <= fp) break;
        fp = next;
    }
    return n;
}

__attribute__((noinline)) int ut_capture_here(void *capture)
{
    struct ut_capture *c = capture;
    c->n = ls_unwind_here(&c->b, c->skip_lo, c->skip_hi, c->ips, UT_MAX_FRAMES);
    if (c->ours_only) return 0;
    c->their_n = unw_backtrace(c->theirs, UT_MAX_FRAMES);
    c->fp_n = frame_pointer_walk(&c->b, c->fp_ips, UT_MAX_FRAMES);
    return 0;
}

void ut_assert_same_as_libunwind_or_better(const struct ut_capture *c)
{
    uint64_t theirs[UT_MAX_FRAMES];
    for (int i = 0; i < c->their_n; i++)
        theirs[i] = (uint64_t)(uintptr_t)c->theirs[i] - 1;
    cr_assert_gt(c->their_n, 2, "libunwind found %d frames", c->their_n);
    int common = c->n < c->their_n ? c->n : c->their_n;
    for (int i = 1; i < common; i++) {
        /* Better: libunwind's frame is in no object where ours names a function. */
        int better = strcmp(ut_obj(theirs[i]), "?") == 0 && strcmp(ut_sym(c->ips[i]), "?") != 0;
        if (c->ips[i] != theirs[i] && !better) {
            char ours[8192];
            snprintf(ours, sizeof ours, "%s", ut_describe(c->ips, c->n));
            cr_assert_fail("frame %d differs\nours:\n%slibunwind:\n%s", i, ours,
                           ut_describe(theirs, c->their_n));
        }
    }
    cr_assert_geq(c->n, c->their_n, "libunwind found %d frames, we %d\nlibunwind:\n%s", c->their_n,
                  c->n, ut_describe(theirs, c->their_n));
}

int ut_walk_state(uint64_t rip, uint64_t rsp, uint64_t rbp, const struct ls_stack_bounds *b,
                  uint64_t *ips, int max)
{
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)rip;
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)rsp;
    uc.uc_mcontext.gregs[REG_RBP] = (greg_t)rbp;
    return ls_unwind_ucontext(&uc, b, ips, max);
}
