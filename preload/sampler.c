/* sampler.c -- stack samples of a loop thread stuck in a CPU stall, taken with a signal.
 *
 * The watchdog asks for a sample only while the loop thread is running in user
 * space (/proc/self/task/TID/syscall says "running"): a signal that landed in
 * one of the host's system calls could turn it into EINTR. The signal is a
 * real-time one no common host uses (Node, Redis and nginx use SIGPROF,
 * SIGALRM, SIGUSR1 and SIGUSR2), and sampling stays off when the host already
 * handles it. The handler records raw instruction pointers into the loop's
 * preallocated sample buffer; names come later, off the loop.
 */
#define UNW_LOCAL_ONLY
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

static int sample_signal; /* 0: sampling is off */

/* Runs on the loop thread, in the middle of its CPU stall. */
static void on_sample(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    int saved = errno;
    struct ls_tls *t = &ls_tls;
    struct ls_loop *l = t->loop;
    /* Only the agent's own requests; never while the agent itself is working. */
    if (l && !t->guard && si->si_code == SI_TKILL && si->si_pid == ls_pid) {
        uint32_t slot = l->sample_next;
        /* libunwind checks memory with system calls: those are the agent's, not the host's. */
        t->guard = 1;
        if (slot < LS_SAMPLES) {
            struct ls_frames *f = &l->live_samples[slot];
            unw_context_t ctx;
            unw_cursor_t cur;
            f->n = 0;
            if (unw_getcontext(&ctx) == 0 && unw_init_local(&cur, &ctx) == 0) {
                int past_signal = 0;
                /* Frames before the interrupted one are the handler's own and the
                 * trampoline's; libunwind flags the interrupted frame itself as the
                 * signal frame (its registers come from the signal context). */
                while (unw_step(&cur) > 0 && f->n < LS_FRAMES) {
                    unw_word_t ip;
                    if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0) break;
                    if (!past_signal && unw_is_signal_frame(&cur) <= 0) continue;
                    past_signal = 1;
                    /* The interrupted pc is exact; callers' are return addresses. */
                    uintptr_t adj = f->n ? 1 : 0;
                    f->ip[f->n] = (uintptr_t)ip - adj;
                    f->n++;
                }
            }
            uint32_t have = atomic_load_explicit(&l->live_nsamples, memory_order_relaxed);
            if (slot + 1 > have)
                atomic_store_explicit(&l->live_nsamples, slot + 1, memory_order_release);
        }
        t->guard = 0;
    }
    errno = saved;
}

void ls_sampler_init(void)
{
    /* Per-thread caches keep libunwind from taking a global lock in the handler. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    for (int sig = SIGRTMAX - 4; sig > SIGRTMIN + 4; sig--) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue; /* the host uses it */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sample;
        sa.sa_flags = SA_RESTART | SA_ONSTACK | SA_SIGINFO;
        sigfillset(&sa.sa_mask);
        if (sigaction(sig, &sa, NULL) == 0) sample_signal = sig;
        return;
    }
}

/* Is the thread in user space right now, outside any system call? The kernel
 * says "running" for a thread on a CPU and "-1 ..." for one preempted in user
 * space; a number is the system call it is blocked in. */
static int running_in_user_space(pid_t tid)
{
    char path[64], buf[32];
    int n = snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (n <= 0) return 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t len = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    return (len >= 7 && memcmp(buf, "running", 7) == 0) || (len >= 3 && memcmp(buf, "-1 ", 3) == 0);
}

/* Called by the watchdog for a loop past its threshold. Returns 1 when a
 * sample was requested. Never while the loop is inside an intercepted call. */
int ls_sampler_request(struct ls_loop *l, uint32_t slot)
{
    if (!sample_signal || slot >= LS_SAMPLES) return 0;
    if (atomic_load_explicit(&l->cur_fn, memory_order_relaxed) >= 0) return 0;
    struct sigaction now;
    if (sigaction(sample_signal, NULL, &now) != 0 || now.sa_sigaction != on_sample) {
        sample_signal = 0; /* the host took the signal over: stop sampling for good */
        return 0;
    }
    if (!running_in_user_space(l->tid)) return 0;
    l->sample_next = slot;
    return syscall(SYS_tgkill, ls_pid, l->tid, sample_signal) == 0;
}
