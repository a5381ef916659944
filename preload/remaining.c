/* remaining.c -- the time left of a wait's timeout (see remaining.h). */
#include "remaining.h"

#include "mem.h"
#include "ticks.h"

int ls_remaining_ms(int tmo, uint64_t start)
{
    if (tmo < 0) return tmo;
    uint64_t spent_ms = ls_ticks_to_ns(ls_ticks() - start) / 1000000;
    return spent_ms >= (uint64_t)tmo ? 0 : tmo - (int)spent_ms;
}

void ls_timeout_from_ts(struct ls_timeout *to, const struct timespec *ts)
{
    to->ts_arg = ts;
    to->known = 0;
    to->blocking = 1;
    if (!ts) return;
    if (ls_mem_read(0, (uint64_t)(uintptr_t)ts, &to->orig, sizeof to->orig) != sizeof to->orig)
        return; /* unreadable: the kernel will say EFAULT */
    to->known = 1;
    to->blocking = to->orig.tv_sec != 0 || to->orig.tv_nsec != 0;
}

void ls_timeout_from_tv(struct ls_timeout *to, const struct timeval *tv)
{
    struct timeval v;
    to->ts_arg = NULL;
    to->known = 0;
    to->blocking = 1;
    if (!tv || ls_mem_read(0, (uint64_t)(uintptr_t)tv, &v, sizeof v) != sizeof v) return;
    to->blocking = v.tv_sec != 0 || v.tv_usec != 0;
}

void ls_timeout_left(struct ls_timeout *to, uint64_t start)
{
    if (!to->known) return; /* no timeout (forever), or none we could read */
    uint64_t total = (uint64_t)to->orig.tv_sec * 1000000000ULL + (uint64_t)to->orig.tv_nsec;
    uint64_t spent = ls_ticks_to_ns(ls_ticks() - start);
    uint64_t left = spent >= total ? 0 : total - spent;
    to->left.tv_sec = (time_t)(left / 1000000000ULL);
    to->left.tv_nsec = (long)(left % 1000000000ULL);
    to->ts_arg = &to->left;
}
