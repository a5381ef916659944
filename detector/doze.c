/* doze.c -- the collector's doze (see doze.h): one thread that waits on every record's
 * watcher_asleep word at once and turns a loop's wake-up into an eventfd's readiness. */
#include "doze.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Where the collector is with the doze; only its own thread changes it. */
enum { D_IDLE, D_PREPARED, D_STARTED };

struct ls_doze {
    int efd;
    pid_t owner;     /* the process whose thread this is: a fork of run has none */
    int have_thread; /* started on the first doze, in owner */
    pthread_t thread;
    _Atomic uint32_t state;
    /* Generations, not flags, so that a thread slow to run never mistakes one doze for the
     * next: the collector asks for doze number go, the thread says when it is back from it. */
    _Atomic uint32_t go, done, quit;
    int n;
    _Atomic uint32_t *words[LS_DOZE_WORDS];
    struct futex_waitv waiters[LS_DOZE_WORDS];
};

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static void *doze_main(void *arg)
{
    struct ls_doze *d = arg;
    uint32_t served = atomic_load(&d->done);
    for (;;) {
        uint32_t g;
        while ((g = atomic_load(&d->go)) == served && !atomic_load(&d->quit))
            futex(&d->go, FUTEX_WAIT_PRIVATE, g);
        if (atomic_load(&d->quit)) return NULL;
        served = g;
        /* Returns when a word is no longer 1: a loop began an iteration (and woke it), or the
         * collector ended the doze; at once when one already changed. The words are in shared
         * records, so the wait is not private. */
        syscall(SYS_futex_waitv, d->waiters, (unsigned)d->n, 0, NULL, CLOCK_MONOTONIC);
        uint64_t one = 1;
        while (write(d->efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
        atomic_store(&d->done, g);
        futex(&d->done, FUTEX_WAKE_PRIVATE, 1);
    }
}

struct ls_doze *ls_doze_open(void)
{
    /* futex_waitv with no waiters is refused with EINVAL where it exists, ENOSYS where not. */
    if (syscall(SYS_futex_waitv, NULL, 0u, 0, NULL, CLOCK_MONOTONIC) < 0 && errno == ENOSYS)
        return NULL;
    struct ls_doze *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->efd < 0) {
        free(d);
        return NULL;
    }
    d->owner = getpid();
    return d;
}

int ls_doze_fd(const struct ls_doze *d)
{
    return d->efd;
}

int ls_doze_active(const struct ls_doze *d)
{
    return d && atomic_load(&d->state) != D_IDLE;
}

/* The thread, started in this process if it has none (run forks its background watcher). */
static int have_thread(struct ls_doze *d)
{
    if (d->owner != getpid()) {
        d->owner = getpid();
        d->have_thread = 0;
    }
    if (d->have_thread) return 1;
    /* Signals stay with run's main thread (its signalfd): the thread blocks all of them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    d->have_thread = pthread_create(&d->thread, NULL, doze_main, d) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return d->have_thread;
}

int ls_doze_prepare(struct ls_doze *d, _Atomic uint32_t *const *words, int n)
{
    if (n <= 0 || n > LS_DOZE_WORDS || !have_thread(d)) return 0;
    d->n = n;
    for (int i = 0; i < n; i++) {
        d->words[i] = words[i];
        d->waiters[i] = (struct futex_waitv){
            .val = 1, .uaddr = (uint64_t)(uintptr_t)words[i], .flags = FUTEX_32};
        atomic_store(words[i], 1);
    }
    atomic_store(&d->state, D_PREPARED);
    return 1;
}

void ls_doze_start(struct ls_doze *d)
{
    atomic_store(&d->state, D_STARTED);
    atomic_fetch_add(&d->go, 1);
    futex(&d->go, FUTEX_WAKE_PRIVATE, 1);
}

void ls_doze_end(struct ls_doze *d)
{
    uint32_t s = atomic_load(&d->state);
    if (s == D_IDLE) return;
    for (int i = 0; i < d->n; i++)
        atomic_store(d->words[i], 0);
    if (s == D_STARTED) {
        for (int i = 0; i < d->n; i++)
            futex(d->words[i], FUTEX_WAKE, INT_MAX);
        uint32_t want = atomic_load(&d->go), got;
        while ((got = atomic_load(&d->done)) != want)
            futex(&d->done, FUTEX_WAIT_PRIVATE, got);
        uint64_t v;
        while (read(d->efd, &v, sizeof v) > 0)
            ;
    }
    atomic_store(&d->state, D_IDLE);
}

void ls_doze_close(struct ls_doze *d)
{
    if (!d) return;
    if (d->have_thread && d->owner == getpid()) {
        ls_doze_end(d);
        atomic_store(&d->quit, 1);
        atomic_fetch_add(&d->go, 1); /* a thread about to wait on go sees it change */
        futex(&d->go, FUTEX_WAKE_PRIVATE, 1);
        pthread_join(d->thread, NULL);
    }
    close(d->efd);
    free(d);
}
