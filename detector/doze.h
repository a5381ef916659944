/* doze.h -- how `loopstall run`'s collector sleeps while every loop it watches waits.
 *
 * An idle service's loops wait for minutes; a collector that still looks at their records every
 * threshold pays a wake-up each time (1000 a second at 1 ms) for nothing. Dozing, the collector
 * says so in each record (its watcher_asleep word, the futex the agent's own watcher dozes on in
 * direct use): the first loop that begins an iteration clears its word and wakes the futex
 * (preload/iteration.h). The collector itself waits in epoll, for hellos, exits and signals, so
 * one thread of run waits on every word at once (futex_waitv) and makes the wake-up an eventfd
 * the collector's epoll set holds. The collector still looks once a second (the store a loop
 * made in the moment the words were set may be unseen: the race the direct watcher has too).
 */
#ifndef LS_DOZE_H
#define LS_DOZE_H

#include <stdatomic.h>
#include <stdint.h>

struct ls_doze;

/* A doze for up to LS_DOZE_WORDS records; NULL when the kernel has no futex_waitv (before
 * Linux 5.16) or no thread or eventfd could be had: the collector then never dozes. */
enum { LS_DOZE_WORDS = 128 };
struct ls_doze *ls_doze_open(void);
/* The eventfd to hold in an epoll set: readable when a loop woke the doze. */
int ls_doze_fd(const struct ls_doze *d);
/* Sets each word to 1 (the watcher dozes), for the caller to look again whether every loop
 * still waits; 0 when there are too many words to wait on (nothing is set). */
int ls_doze_prepare(struct ls_doze *d, _Atomic uint32_t *const *words, int n);
/* Starts waiting on the words prepared (after the caller looked again). */
void ls_doze_start(struct ls_doze *d);
/* Ends the doze (prepared or started): every word back to 0, the waiting thread back from its
 * wait, the eventfd drained; the records may be unmapped after it. */
void ls_doze_end(struct ls_doze *d);
/* 1 between ls_doze_prepare and ls_doze_end. */
int ls_doze_active(const struct ls_doze *d);
void ls_doze_close(struct ls_doze *d);

#endif
