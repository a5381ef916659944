/* fdstate.c -- learn and forget which descriptors can never block (see fdstate.h). */
#include "fdstate.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "config.h"
#include "state.h"
#include "real.h"

LS_HIDDEN _Atomic uint64_t ls_fd_known[LS_FD_MAX / 64];
LS_HIDDEN _Atomic uint64_t ls_fd_nonblock[LS_FD_MAX / 64];

void ls_fd_learn(int fd)
{
    if ((unsigned)fd >= LS_FD_MAX) return;
    int saved = errno;
    uint64_t bit = 1ULL << ((unsigned)fd & 63);
    struct stat st;
    int never = 0;
    if (fstat(fd, &st) == 0) {
        /* Regular files and block devices ignore O_NONBLOCK: they stay timed. */
        if (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
            int fl = real(fcntl)(fd, F_GETFL);
            never = fl >= 0 && (fl & O_NONBLOCK);
        }
        /* Strict mode times every read and write, however sure it is to return at once. */
        if (never && !ls_cfg.strict)
            atomic_fetch_or_explicit(&ls_fd_nonblock[(unsigned)fd >> 6], bit, memory_order_relaxed);
        atomic_fetch_or_explicit(&ls_fd_known[(unsigned)fd >> 6], bit, memory_order_relaxed);
    }
    errno = saved;
}

void ls_fd_forget_known(int fd)
{
    if ((unsigned)fd >= LS_FD_MAX) return;
    uint64_t keep = ~(1ULL << ((unsigned)fd & 63));
    atomic_fetch_and_explicit(&ls_fd_nonblock[(unsigned)fd >> 6], keep, memory_order_relaxed);
    atomic_fetch_and_explicit(&ls_fd_known[(unsigned)fd >> 6], keep, memory_order_relaxed);
}

void ls_fd_forget_range(unsigned lo, unsigned hi)
{
    if (lo >= LS_FD_MAX) return;
    if (hi >= LS_FD_MAX) hi = LS_FD_MAX - 1;
    for (unsigned w = lo >> 6; w <= hi >> 6; w++) {
        /* The bits of lo..hi in this word, cleared; a close is a range of one. */
        unsigned from = w == lo >> 6 ? lo & 63 : 0, to = w == hi >> 6 ? hi & 63 : 63;
        uint64_t range = (to == 63 ? ~0ULL : (1ULL << (to + 1)) - 1) & ~((1ULL << from) - 1);
        atomic_fetch_and_explicit(&ls_fd_nonblock[w], ~range, memory_order_relaxed);
        atomic_fetch_and_explicit(&ls_fd_known[w], ~range, memory_order_relaxed);
    }
}
