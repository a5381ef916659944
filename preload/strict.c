/* strict.c -- --strict: blocking-category calls on a loop thread, however short.
 *
 * A call that is fast on a laptop (a file in the page cache, DNS from a local
 * cache) still blocks the loop in production. Strict mode notes every call on
 * a loop thread that can block: sleeps, name resolution, flushes, locks, file
 * opens, children, waits with a timeout, I/O on regular files and blocking
 * sockets. Calls that cannot block are left out: ioctl, dup, close, and opens
 * of character devices (/dev/null, a tty). Each distinct (function, target) is
 * kept once with its stack and counted; the checks that cost a system call
 * run only in strict mode.
 */
#include "strict.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "calls.h"
#include "mem.h"
#include "real.h"
#include "stack.h"
#include "target.h"

/* Whether the call, as made, is one that can block the loop. */
static int can_block(int fn, int tkind, uint64_t target, uint64_t ns)
{
    struct stat st;
    switch (ls_calls[fn].family) {
    case LS_FAM_SLEEP:
    case LS_FAM_DNS:
    case LS_FAM_SYNC:
    case LS_FAM_LOCK:
    case LS_FAM_POLL:  /* only waits with a timeout are timed at all */
    case LS_FAM_EPOLL: /* a nested loop */
        return 1;
    case LS_FAM_MUTEX: /* an uncontended lock never reaches the timed path */
        return ns >= 1000000;
    case LS_FAM_OPEN: {
        char path[512];
        if (tkind != LS_T_PATH || ls_mem_read_str(0, target, path, sizeof path) < 0) return 1;
        return !(syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) == 0 && S_ISCHR(st.st_mode));
    }
    case LS_FAM_PROC:
        /* libuv reaps children with waitpid(WNOHANG): a wait that returned at once is not one. */
        return fn == LS_FN_system || fn == LS_FN_popen || fn == LS_FN_pclose || ns >= 1000000;
    case LS_FAM_IO:
    case LS_FAM_NET: {
        if (fn == LS_FN_ioctl || fn == LS_FN_dup2 || fn == LS_FN_dup3 || fn == LS_FN_close)
            return 0;
        if (tkind != LS_T_FD)
            return tkind == LS_T_SOCKADDR; /* connect: blocking or not, it names a peer */
        if (syscall(SYS_fstat, (int)(int64_t)target, &st) != 0) return 0;
        if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
            return 1; /* disk I/O: no readiness, the loop's thread pool is the way */
        int fl = real(fcntl)((int)(int64_t)target, F_GETFL);
        return fl >= 0 && !(fl & O_NONBLOCK) && S_ISSOCK(st.st_mode);
    }
    default:
        return 0;
    }
}

void ls_strict_note(struct ls_loop *l, int fn, int tkind, uint64_t target, uint64_t ns)
{
    if (!can_block(fn, tkind, target, ns)) return;
    char name[LS_TARGET_MAX];
    ls_target_name(tkind, target, name, sizeof name);
    uint32_t n = atomic_load_explicit(&l->nstrict, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++) {
        struct ls_strict *s = &l->strict[i];
        if (s->fn == fn && !strcmp(s->target, name)) {
            s->count++;
            s->total_ns += ns;
            if (ns > s->max_ns) s->max_ns = ns;
            return;
        }
    }
    if (n == LS_STRICT_MAX) {
        atomic_fetch_add_explicit(&l->strict_dropped, 1, memory_order_relaxed);
        return;
    }
    struct ls_strict *s = &l->strict[n];
    s->fn = (int16_t)fn;
    s->count = 1;
    s->total_ns = s->max_ns = ns;
    memcpy(s->target, name, sizeof s->target);
    ls_stack_capture(l, &s->stack);
    atomic_store_explicit(&l->nstrict, n + 1, memory_order_release);
}
