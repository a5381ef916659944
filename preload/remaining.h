/* remaining.h -- what is left of a wait's timeout, to wait again after an EINTR of our own.
 *
 * The caller's timeout is read fault-safely (a bad pointer must reach the
 * kernel, for it to answer EFAULT as it would without us) and never written.
 */
#ifndef LS_REMAINING_H
#define LS_REMAINING_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

struct ls_timeout {
    int blocking;                  /* the wait can block (no timeout, or a nonzero one) */
    int known;                     /* the caller's timeout could be read */
    struct timespec orig;          /* as the caller gave it */
    struct timespec left;          /* what is left, recomputed by ls_timeout_left */
    const struct timespec *ts_arg; /* what to pass: the caller's pointer, then &left */
};

/* milliseconds left of tmo (-1: forever stays forever) since start ticks. */
int ls_remaining_ms(int tmo, uint64_t start);
void ls_timeout_from_ts(struct ls_timeout *to, const struct timespec *ts);
void ls_timeout_from_tv(struct ls_timeout *to, const struct timeval *tv);
/* Recomputes to->left from its start and points ts_arg at it. */
void ls_timeout_left(struct ls_timeout *to, uint64_t start);

#endif
