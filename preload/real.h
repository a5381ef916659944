/* real.h -- the one table of real libc functions behind the wrappers (real_<fn>). */
#ifndef LS_REAL_H
#define LS_REAL_H

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "calls.h"
#include "sys.h"

/* One pointer type per function, from the table. */
#define LS_CALL(how, name, ret, params, ...) typedef ret(*ls_real_##name##_t) params;
#include "calls.def"
#undef LS_CALL

extern void *ls_real_table[LS_FN_COUNT];
/* The same pointers for the calls a wrapper may pass straight through: NULL where a function is
 * not looked up yet, and every entry NULL once an injection rule is active (each call must then
 * meet the rules), so that a wrapper's one load and test decides both. */
extern void *ls_pass_table[LS_FN_COUNT];

/* Looks fn up (what dlsym(RTLD_NEXT) would answer) and keeps it in the table; NULL when no
 * object after the agent defines it. The first call of each function comes here, whenever
 * and wherever it is made: lock-free and allocation-free but for names left to dlsym. */
void *ls_real_resolve(int fn);
/* An injection rule is active: nothing passes straight through from now on (ls_pass_table). */
void ls_real_pass_off(void);
/* The agent is about to start its own thread (its watcher, in direct use): while the host has
 * none of its own, its cancellable calls go to raw_calls.c's stand-ins from now on, as glibc
 * would make them without that thread. */
void ls_real_own_thread_begins(void);
/* The host creates a thread of its own, or cancels one: glibc's cancellable functions from now
 * on, where raw_calls.c's stood in for them (the calls they make are the same; glibc's own
 * cancellation bookkeeping around them is what a host with threads may need). */
void ls_real_threads_begin(void);
/* How many names the quick lookup left to dlsym (the tests keep it honest). */
extern _Atomic int ls_real_fallbacks;

/* The agent's own object as the loader knows it (its path is l_name), or NULL. */
struct link_map;
struct link_map *ls_real_self(void);

static inline void *ls_real_get(int fn)
{
    void *p = __atomic_load_n(&ls_real_table[fn], __ATOMIC_RELAXED);
    return __builtin_expect(p != NULL, 1) ? p : ls_real_resolve(fn);
}

/* real(name) is the typed real function, e.g. real(read)(fd, buf, n). */
#define real(name) ((ls_real_##name##_t)ls_real_get(LS_FN_##name))
/* The typed real function if a call may pass straight to it (looked up already, no rule
 * active), else NULL (no lookup): for a wrapper's pass-through path, whose general path looks it
 * up and meets the rules. */
#define real_to_pass(name)                                                                         \
    ((ls_real_##name##_t)__atomic_load_n(&ls_pass_table[LS_FN_##name], __ATOMIC_RELAXED))

/* ls_raw_syscall(SYS_x, its arguments): a system call on the load path, not through the
 * agent's own wrapper of syscall() (wrap_exit.c); the kernel's result, -errno on failure, errno
 * untouched. The instruction itself where sys.h has it, else libc's syscall(), looked up. */
#ifndef LS_SYS_DIRECT
static inline long ls_raw_result(long r, int saved)
{
    long ret = r == -1 ? -(long)errno : r;
    errno = saved;
    return ret;
}
/* errno read before the call: the order of a function's arguments is unspecified. */
#define ls_raw_syscall(...)                                                                        \
    __extension__({                                                                                \
        int ls_saved = errno;                                                                      \
        ls_raw_result(real(syscall)(__VA_ARGS__), ls_saved);                                       \
    })
#endif

#endif
