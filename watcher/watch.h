/* watch.h -- the watcher: what it does each tick over one process image's record.
 *
 * The same code runs in the agent's own thread (direct use) and in
 * `loopstall run` (watching every process it started): it notices iterations
 * running past the threshold, takes the CPU snapshot the loop thread must not
 * take, asks for stack samples of a loop stuck on the CPU, says when a loop
 * hangs, moves finished stalls from the rings into its store, and retires the
 * slots of loop threads that exited. It reads and writes only the record and
 * /proc, so the watched process may be this one or another (pid).
 */
#ifndef LS_WATCH_H
#define LS_WATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "record.h"
#include "store.h"

#define LS_HANG_FACTOR 10 /* a stall this many thresholds long is a hang: say so */
/* An ongoing stall's length is refreshed this often, from this long after it
 * crossed the threshold: a host killed without a word (SIGKILL) leaves a hang on
 * disk at most this much (plus a tick and a write) shorter than it was, and a
 * stall killed sooner than this after crossing is on disk only if the
 * once-a-second news wrote it (under run the record outlives the host). */
#define LS_ONGOING_REFRESH_NS 150000000u

/* The watcher's own view of one slot. */
struct ls_watch_loop {
    int32_t tid;          /* whose view it is: a reused slot starts afresh */
    uint64_t seen_seq;    /* the iteration last looked at */
    uint64_t snapped_seq; /* the iteration the CPU snapshot was taken for */
    uint64_t ongoing_seq; /* the iteration last reported as ongoing */
    uint64_t ongoing_told_ns;
    uint64_t sample_next_ns; /* when the next sample of this iteration is due */
    uint32_t samples;        /* samples requested in this iteration */
    /* Pacing across iterations (LS_SAMPLE_COST_NS): credit left, as of paced_ns. */
    uint64_t sample_credit_ns, paced_ns;
    int hang_told;
    uint64_t alive_checked_ns;
    /* The call in progress named while the process could still be asked (a
     * descriptor means nothing once it is gone): for the call that began at
     * target_start. */
    uint64_t target_start;
    char target[LS_TARGET_MAX];
    /* Outside the host only: its thread's schedstat and syscall files, kept open (fd + 1). */
    int sched_fd, syscall_fd;
};

struct ls_watch {
    struct ls_record *rec;
    pid_t pid;        /* the watched process; 0 for this one */
    pid_t sender_pid; /* this process and its uid, for the sampling signal's siginfo */
    uid_t sender_uid;
    /* Says one line (the hang announcement) where the user reads: the
     * host's stderr for the agent, the command's own for `run`. */
    void (*say)(void *ctx, const char *line);
    void *ctx;
    struct ls_store store;
    uint64_t refined_ns; /* when the clock's rate was last refined */
    struct ls_watch_loop loops[LS_MAX_LOOPS];
};

enum { LS_NEWS_NONE, LS_NEWS_SOME, LS_NEWS_URGENT };

void ls_watch_init(struct ls_watch *w, struct ls_record *rec, pid_t pid, void *(*alloc)(size_t));

/* How often a report of a running image is written while it has news: finished stalls at most
 * once a second, an ongoing stall as often as it is refreshed (the agent's own watcher, and
 * `loopstall collect`'s for each process). */
#define LS_NEWS_INTERVAL_NS   1000000000ULL
#define LS_URGENT_INTERVAL_NS LS_ONGOING_REFRESH_NS
/* The pacing of those writes: news is what a tick returned (LS_NEWS_*), *pending the most
 * urgent news not written yet (a refresh held back by the rate stays urgent until written, or the
 * report falls a second behind the hang) and *last_ns when the last write began. 1 when a write
 * is due at now_ns: the caller writes, and both are updated as if it had. */
static inline int ls_news_due(int news, int *pending, uint64_t *last_ns, uint64_t now_ns)
{
    if (news > *pending) *pending = news;
    if (*pending == LS_NEWS_NONE) return 0;
    uint64_t wait = *pending == LS_NEWS_URGENT ? LS_URGENT_INTERVAL_NS : LS_NEWS_INTERVAL_NS;
    if (now_ns - *last_ns < wait) return 0;
    *last_ns = now_ns; /* from the start of a write to the next: the rate is the rate */
    *pending = LS_NEWS_NONE;
    return 1;
}
/* What a tick saw, for the time to the next one: some loop inside an iteration, some
 * iteration a quarter of a threshold long already (it is being sampled), some loop that began
 * an iteration since the last tick (a watcher dozes only after ticks that saw none of these). */
enum { LS_WATCH_BUSY = 1, LS_WATCH_HOT = 2, LS_WATCH_STIRRED = 4 /* an iteration began */ };

/* One tick at now (record ticks). Returns LS_NEWS_*: SOME when a loop just went
 * past the threshold or finished stalls were taken, URGENT when an ongoing stall
 * is due for a refresh (LS_ONGOING_REFRESH_NS). *busy
 * gets the LS_WATCH_* flags of what the tick saw. */
int ls_watch_tick(struct ls_watch *w, uint64_t now, int *busy);
/* Closes what the watcher keeps open for the image (outside the host). */
void ls_watch_release(struct ls_watch *w);
/* How long to sleep before the next tick of record r, after one that saw busy (LS_WATCH_*
 * flags) at r's threshold. */
uint64_t ls_watch_interval_ns(const struct ls_record *r, int busy);
/* Both watchers (the agent's thread, run's collector) doze after LS_DOZE_QUIET_TICKS ticks in a
 * row that saw no LS_WATCH_* flag, and still look every LS_DOZE_NS while they doze. */
#define LS_DOZE_QUIET_TICKS 2
#define LS_DOZE_NS          1000000000ULL
/* 1 when every loop is waiting and none began an iteration since the last tick: what a watcher
 * checks again after saying it dozes (record->watcher_asleep), before it sleeps. */
int ls_watch_all_waiting(const struct ls_watch *w);
/* Moves finished stalls from every ring into the store; 1 when there were some. */
int ls_watch_drain(struct ls_watch *w);
/* The view of slot l's iteration if it has run past the threshold at now:
 * fills s and returns 1. ended: the image ended at now, so the iteration is
 * over (a finished stall) rather than ongoing. */
int ls_watch_in_progress(const struct ls_watch *w, const struct ls_loop *l, uint64_t now, int ended,
                         struct ls_stall_rec *s);

#endif
