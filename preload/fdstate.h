/* fdstate.h -- which descriptors can never block: non-blocking sockets, pipes and ttys.
 *
 * A read or write on a non-blocking socket returns at once (or EAGAIN): it can
 * never be what stalls a loop, and a busy server like Redis makes two of them
 * per request. The agent learns each descriptor's kind once (fstat and
 * F_GETFL, the first time a loop thread uses it) and from then on passes such
 * calls straight through, untimed. It forgets a descriptor when the host
 * closes or replaces it (close, syscall(SYS_close) as libuv does, close_range,
 * dup2, dup3) or changes its mode (fcntl F_SETFL, ioctl FIONBIO).
 */
#ifndef LS_FDSTATE_H
#define LS_FDSTATE_H

#include <stdatomic.h>
#include <stdint.h>

#define LS_FD_MAX 65536 /* descriptors above this are always timed */

extern _Atomic uint64_t ls_fd_known[LS_FD_MAX / 64];
extern _Atomic uint64_t ls_fd_nonblock[LS_FD_MAX / 64];

static inline __attribute__((always_inline)) int ls_fd_bit(_Atomic uint64_t *map, int fd)
{
    return (int)((atomic_load_explicit(&map[(unsigned)fd >> 6], memory_order_relaxed) >>
                  ((unsigned)fd & 63)) &
                 1);
}

/* 1 when fd is known to be a non-blocking socket, pipe or tty. */
static inline __attribute__((always_inline)) int ls_fd_never_blocks(int fd)
{
    return (unsigned)fd < LS_FD_MAX && ls_fd_bit(ls_fd_nonblock, fd);
}

/* 1 when fd's kind has not been learned yet. */
static inline __attribute__((always_inline)) int ls_fd_unknown(int fd)
{
    return (unsigned)fd < LS_FD_MAX && !ls_fd_bit(ls_fd_known, fd);
}

/* Learns fd's kind (two system calls, once per descriptor). Keeps errno. */
void ls_fd_learn(int fd);
/* Forgets what is known of fd (out of line: two locked instructions). */
void ls_fd_forget_known(int fd);

/* Forgets what is known of fd; a load and a bit test when nothing is (a file, a descriptor
 * never used on a loop thread), which is what most closes find. Only the known bit is tested:
 * ls_fd_learn sets it after the non-blocking one and ls_fd_forget_known clears it last, so a
 * descriptor marked non-blocking is always known except inside a learn racing a close of the
 * same descriptor on another thread, which is a race whatever the order (the learn's fstat may
 * see either file). */
static inline __attribute__((always_inline)) void ls_fd_forget(int fd)
{
    if ((unsigned)fd < LS_FD_MAX && ls_fd_bit(ls_fd_known, fd)) ls_fd_forget_known(fd);
}
/* Forgets every descriptor from lo to hi (close_range). */
void ls_fd_forget_range(unsigned lo, unsigned hi);

#endif
