/* fatal.c -- the final report on a fatal signal the host does not handle (see fatal.h). */
#include "fatal.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "state.h"

static const int watched[] = {SIGHUP, SIGINT,  SIGQUIT, SIGILL, SIGABRT, SIGBUS,
                              SIGFPE, SIGSEGV, SIGTERM, SIGSYS, SIGXCPU, SIGXFSZ};
static _Atomic unsigned char ours[65];
static void (*image_ends)(int sig);

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    int saved = errno;
    if (image_ends) image_ends(sig);
    /* Then what would have happened without us: the default action, on the
     * same signal. A fault re-raises by returning to the faulting instruction. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    atomic_store(&ours[sig], 0);
    syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE) {
        uint64_t unblock = 1ULL << (sig - 1);
        syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, NULL, 8);
        syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
    }
    errno = saved;
}

LS_COLD void ls_fatal_install(void (*ends)(int sig))
{
    image_ends = ends;
    for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++) {
        int sig = watched[i];
        struct sigaction old;
        if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fatal;
        sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        atomic_store(&ours[sig], 1);
        if (sigaction(sig, &sa, NULL) != 0) atomic_store(&ours[sig], 0);
    }
}

int ls_fatal_is_ours(int sig, void (*h)(int, siginfo_t *, void *))
{
    return sig > 0 && sig < 65 && atomic_load(&ours[sig]) && h == on_fatal;
}

void ls_fatal_host_claims(int sig)
{
    if (sig > 0 && sig < 65) atomic_store(&ours[sig], 0);
}
