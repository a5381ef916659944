/* short_iov.h -- short=BYTES on vectored I/O: the same vectors, cut to a byte count. */
#ifndef LS_SHORT_IOV_H
#define LS_SHORT_IOV_H

#include <stdint.h>
#include <sys/uio.h>

#include "mem.h"

#define LS_SHORT_IOV_MAX 64

/* Copies iov into out, cut so that the vectors hold at most cap bytes (cap >
 * 0); returns the new count (one empty vector when the first one is, so the
 * call still reaches the kernel as the call it was). The caller's array is
 * read fault-safely: when it cannot be read, cnt comes back unchanged and the
 * caller passes the original on, for the kernel to answer EFAULT as it would. */
static inline int ls_short_iov(const struct iovec *iov, int cnt, uint64_t cap, struct iovec *out,
                               const struct iovec **use)
{
    *use = iov;
    int want = cnt < LS_SHORT_IOV_MAX ? cnt : LS_SHORT_IOV_MAX;
    if (want <= 0) return cnt;
    ssize_t got = ls_mem_read(0, (uint64_t)(uintptr_t)iov, out, (size_t)want * sizeof *out);
    if (got != (ssize_t)((size_t)want * sizeof *out)) return cnt;
    int n = 0;
    for (int i = 0; i < want && cap > 0; i++) {
        if (out[i].iov_len > cap) out[i].iov_len = (size_t)cap;
        cap -= out[i].iov_len;
        n++;
    }
    if (!n) {
        out[0].iov_len = 0;
        n = 1;
    }
    *use = out;
    return n;
}

#endif
