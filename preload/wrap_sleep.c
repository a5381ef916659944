/* wrap_sleep.c -- the sleeps, hand-written: an EINTR our own sampling signal caused is absorbed.
 *
 * A signal with a handler interrupts a sleep whatever SA_RESTART says. When
 * the signal was ours (the handler counted a delivery since the call began),
 * the wrapper sleeps again for the time that was left, so that a host that
 * never sees a signal never sees EINTR. Otherwise each is the shared tail
 * around the real call.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "wrap.h"

/* One timed attempt of a call that fails with -1 and errno; *ours says the
 * failure was an EINTR our own signal caused. */
#define ATTEMPT(name, call, ours)                                                                  \
    do {                                                                                           \
        struct ls_call c;                                                                          \
        int err = 0;                                                                               \
        uint64_t sb = 0;                                                                           \
        if (ls_call_begin(&c, LS_FN_##name, LS_T_NONE, 0, &err, &sb)) {                            \
            errno = err;                                                                           \
            return -1;                                                                             \
        }                                                                                          \
        r = call;                                                                                  \
        ls_call_end(&c);                                                                           \
        ours = ls_call_eintr_ours(&c, r == -1 && errno == EINTR);                                  \
    } while (0)

LS_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    LS_RESOLVE(nanosleep);
    if (ls_wrap_idle()) return ls_f(req, rem);
    struct timespec mine, *out = rem ? rem : &mine, again;
    const struct timespec *ask = req;
    int r, ours;
    for (;;) {
        ATTEMPT(nanosleep, ls_f(ask, out), ours);
        if (!ours) return r;
        again = *out; /* the kernel wrote what was left */
        ask = &again;
    }
}

LS_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    ls_real_clock_nanosleep_t ls_f = real(clock_nanosleep);
    if (LS_UNLIKELY(!ls_f)) return ENOSYS;
    if (ls_wrap_idle()) return ls_f(clk, flags, req, rem);
    struct timespec mine, *out = rem ? rem : &mine, again;
    const struct timespec *ask = req;
    for (;;) {
        struct ls_call c;
        int err = 0;
        uint64_t sb = 0;
        if (ls_call_begin(&c, LS_FN_clock_nanosleep, LS_T_NONE, 0, &err, &sb)) return err;
        int r = ls_f(clk, flags, ask, out);
        ls_call_end(&c);
        /* An absolute deadline needs no remainder: the same call sleeps the rest. */
        if (!ls_call_eintr_ours(&c, r == EINTR)) return r;
        if (!(flags & TIMER_ABSTIME)) {
            again = *out;
            ask = &again;
        }
    }
}

LS_EXPORT int usleep(useconds_t us)
{
    LS_RESOLVE(usleep);
    if (ls_wrap_idle()) return ls_f(us);
    uint64_t start = ls_ticks();
    useconds_t ask = us;
    int r, ours;
    for (;;) {
        ATTEMPT(usleep, ls_f(ask), ours);
        if (!ours) return r;
        uint64_t spent_us = ls_ticks_to_ns(ls_ticks() - start) / 1000;
        if (spent_us >= us) return 0;
        ask = (useconds_t)(us - spent_us);
    }
}

LS_EXPORT unsigned int sleep(unsigned int s)
{
    ls_real_sleep_t ls_f = real(sleep);
    if (LS_UNLIKELY(!ls_f)) return s;
    if (ls_wrap_idle()) return ls_f(s);
    unsigned int ask = s, left;
    for (;;) {
        struct ls_call c;
        int err = 0;
        uint64_t sb = 0;
        uint32_t hits = ls_tls.sample_hits;
        if (ls_call_begin(&c, LS_FN_sleep, LS_T_NONE, 0, &err, &sb)) return 0;
        left = ls_f(ask);
        ls_call_end(&c);
        /* sleep returns the seconds left when a handler ran. */
        if (!left || ls_tls.sample_hits == hits) return left;
        ask = left;
    }
}
