/* sys.h -- system calls made with the instruction itself: no libc function, no lookup, errno
 * untouched.
 *
 * Two users: raw_calls.c's stand-ins for glibc's cancellable calls, and the agent's load path
 * (ls_raw_syscall), which runs in every process the agent is preloaded into, loop or not. There
 * libc's syscall() would have to be looked up first (the agent wraps syscall() itself, so it
 * cannot call it by name), and that first lookup cost `true` ~4 us of its start-up, most of it
 * page faults in the lookup's code and tables. Elsewhere real.h's ls_raw_syscall is libc's
 * syscall(), looked up.
 */
#ifndef LS_SYS_H
#define LS_SYS_H

#if defined(__x86_64__)

#define LS_SYS_DIRECT 1

/* The system call, with as many argument registers as it takes (each one set costs an
 * instruction on every call). The kernel's result: -errno on failure. */
static inline long ls_sys1(long n, long a1)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a1) : "rcx", "r11", "memory");
    return ret;
}

static inline long ls_sys3(long n, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long ls_sys4(long n, long a1, long a2, long a3, long a4)
{
    register long r10 __asm__("r10") = a4;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long ls_sys6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* ls_raw_syscall(SYS_x, its arguments): the kernel's result, -errno on failure. Every call sets
 * all six argument registers (a system call takes at most six; the load path makes few), so none
 * is dropped. */
#define LS_RAW_PAD_(n, a, b, c, d, e, f, ...)                                                      \
    ls_sys6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define ls_raw_syscall(...) LS_RAW_PAD_(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

#endif

#endif
