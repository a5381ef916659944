/* probe.h -- what calls-probe (run under the agent) and its generated test share: the calling
 * cases, keyed by function name, and the few numbers both sides must agree on.
 *
 * A case makes one successful call of its function with real arguments (a
 * pipe, a socketpair, a temporary file, a child, a mutex...) and records
 * what came back with PROBE_CALL. It calls its own function through libc
 * exactly once; whatever else it needs comes from the probe_* helpers, which
 * call no intercepted function (raw system calls where libc's would be one),
 * so that a rule naming the function counts the case's call and nothing else.
 */
#ifndef PROBE_H
#define PROBE_H

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define PROBE_SENTINEL 0x4c53 /* errno before every call: no real error has this value */
#define PROBE_ASK      64     /* bytes a counted call asks to move (and can: they are there) */
#define PROBE_SHORT    5      /* the cap short= tests put on it */
#define PROBE_EXIT_OK  7      /* what the program an exec or spawn case starts exits with */
#define PROBE_NO_CASE  3      /* calls-probe's exit status for a row with no case */
#define PROBE_DELAY_MS 100    /* the delay the thread tests inject: far above any natural call */

/* One call a case made. */
struct probe_call {
    int on_loop; /* the calling thread has been made a loop (a child made from it does too) */
    long ret;    /* the result as a number; 1 or 0 for a pointer (non-NULL or NULL) */
    int err;     /* errno right after the call */
    uint64_t ns; /* how long the call took, as its caller saw it */
    int started; /* an exec case: the program it started ran and exited PROBE_EXIT_OK */
};

struct probe_case {
    const char *name;
    void (*run)(struct probe_call *c);
    int in_child; /* an exec: made in a forked child, since success never returns */
    int adopts;   /* an epoll wait: the thread that makes it becomes a loop by making it */
};

/* Records expr's result and errno, errno set to PROBE_SENTINEL before. */
#define PROBE_CALL(c, expr)                                                                        \
    do {                                                                                           \
        uint64_t probe_t0 = probe_now();                                                           \
        errno = PROBE_SENTINEL;                                                                    \
        long probe_r = (long)(expr);                                                               \
        (c)->err = errno;                                                                          \
        (c)->ns = probe_now() - probe_t0;                                                          \
        (c)->ret = probe_r;                                                                        \
    } while (0)

/* The per-family tables (cases-*.c), each ended by a NULL name. */
extern const struct probe_case probe_cases_io[];
extern const struct probe_case probe_cases_net[];
extern const struct probe_case probe_cases_open[];
extern const struct probe_case probe_cases_wait[];
extern const struct probe_case probe_cases_proc[];
extern const struct probe_case probe_cases_thread[];

/* Helpers (probe-util.c): never an intercepted function. */
uint64_t probe_now(void);
void probe_die(const char *what);
void probe_close(int fd);
void probe_write_all(int fd, const void *buf, size_t n);
void probe_reap(pid_t pid);
/* A pipe holding PROBE_ASK bytes, ready to read from p[0]. */
void probe_full_pipe(int p[2]);
/* An empty pipe, room to write PROBE_ASK bytes into p[1]. */
void probe_empty_pipe(int p[2]);
/* Four vectors over buf (PROBE_ASK bytes): an empty one first, then 3, 10 and the rest. */
void probe_iov(struct iovec *v, char *buf);
/* A connected AF_UNIX stream pair; sv[1] holds PROBE_ASK bytes for sv[0] when full. */
void probe_socketpair(int sv[2], int full);
/* A new file of PROBE_ASK bytes in the probe's scratch directory; its path (static). */
const char *probe_file(void);
/* probe_file() opened read-write (raw openat). */
int probe_open_file(void);
/* A TCP listener on 127.0.0.1 (port 0); *addr receives its address. */
int probe_listener(struct sockaddr_in *addr);
/* A socket connected to addr with a raw connect, for cases that need the other end. */
int probe_connect(const struct sockaddr_in *addr);
/* The function under test (calls-probe's argument). */
extern const char *probe_fn;
/* Makes the calling thread a loop with an epoll wait that is not probe_fn (so that a rule naming
 * it sees nothing), and starts its first iteration. */
void probe_become_loop(void);
/* The epoll descriptor the calling thread's loop waits on, or a new one. */
int probe_loop_epoll(void);
/* Runs body in a forked child (made a loop first when c->on_loop) and fills c from what
 * happened: body's failure, or the start of the program it exec'd. */
void probe_in_child(struct probe_call *c, void (*body)(struct probe_call *c));
/* Removes everything probe_file made. */
void probe_cleanup(void);

#endif
