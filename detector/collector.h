/* collector.h -- `loopstall run`'s watcher outside the host: every process's record, watched and
 * reported.
 *
 * Each preloaded process hands its record over an abstract unix socket at
 * load (watcher/hello.h). The collector maps it, runs the watcher on it
 * every tick (the same code the agent runs on itself when used directly:
 * watcher/watch.h), prints the hang line on the command's own stderr, and
 * when the process (or its image, at an exec) ends, writes its report into
 * the run's directory from the record, which outlives the process: a host
 * killed by SIGKILL, or one that ends with _exit, still has its last stall,
 * exact to a tick. So the host never runs a thread of ours, never writes a
 * file, and needs no access to the directory after it drops privileges.
 */
#ifndef LS_COLLECTOR_H
#define LS_COLLECTOR_H

#include <stdint.h>
#include <sys/types.h>

#include "merge.h"

struct ls_collector;

/* Listens on a fresh abstract socket; name receives "@..." for
 * LOOPSTALL_COLLECTOR. dir is where reports are written. NULL on failure
 * (errno set). Each record is watched at its own threshold. */
struct ls_collector *ls_collector_open(const char *dir, char *name, size_t len);
/* The same, listening on the abstract socket @want (what LOOPSTALL_COLLECTOR names in the
 * services' environment: `loopstall collect --name`) instead of a fresh one; EADDRINUSE when
 * another collector has it. want NULL: a fresh one. */
struct ls_collector *ls_collector_open_named(const char *dir, const char *want, char *name,
                                             size_t len);
/* Also writes a running image's report into dir while it has news (ls_news_due: a finished
 * stall at most once a second, an ongoing one as it is refreshed), as the agent's own watcher
 * does: a collector of long-lived services has their stalls on disk before they end. */
void ls_collector_write_running(struct ls_collector *c);
/* Takes records only from processes of user uid, and root (a service that drops privileges
 * hands its record over before it does); any other is refused, with a loss: a record another
 * user made is input this collector need not trust. (An agent, for its part, hands its record
 * only to a watcher of its own user or root.) */
void ls_collector_only_user(struct ls_collector *c, uid_t uid);
/* Keeps the reports in memory instead of writing them into dir (run merges
 * them itself and nobody asked for the files): no file is created, renamed
 * or removed, which on ext4 cost more than everything else run does for a
 * short command. */
void ls_collector_hold_reports(struct ls_collector *c);
/* The reports held so far, in the order their images ended; how many. They
 * stay the collector's (freed by close or forget). */
int ls_collector_held(const struct ls_collector *c, const struct ls_report_text **texts);
/* The pid of the command run started: it reports even with nothing to say. */
void ls_collector_set_root(struct ls_collector *c, pid_t pid);
/* Waits, in one epoll_wait, for whatever comes first: a new record, the end
 * of a watched process, the caller's signalfd, or the next tick (none is due
 * while no record is live), and handles all of it but the signals. Returns 1
 * when the signalfd is readable: the caller reads it (and reaps on SIGCHLD),
 * so a tick with nothing to do is that wait and the watcher's look, no more. */
int ls_collector_wait(struct ls_collector *c);
/* The signalfd ls_collector_wait also waits on; -1 stops waiting on it. */
void ls_collector_watch_signals(struct ls_collector *c, int fd);
/* A process left behind that may not have handed its record over yet: the
 * collector counts as live (ls_collector_live) until pidfd is readable. It
 * takes pidfd. */
void ls_collector_await(struct ls_collector *c, int pidfd);
/* A process ended: reaped by the caller with this wait status (its images
 * are finished as of now, or as of the end their agent recorded). */
void ls_collector_ended(struct ls_collector *c, pid_t pid, int status);
/* Records still live (their process has not ended), and processes awaited. */
int ls_collector_live(const struct ls_collector *c);
/* The pids of live records, for the summary and for forwarding signals; returns how many. */
int ls_collector_pids(const struct ls_collector *c, pid_t *out, int max);
/* Reports that could not be made: one line each, for the summary. */
int ls_collector_losses(const struct ls_collector *c, const char ***lines);
/* Writes the report of every record still live as of now, as still running (LS_END_RUNNING),
 * and lets it go: the process goes on, unwatched. */
void ls_collector_finish_live(struct ls_collector *c);
/* Finishes every record still live (ls_collector_finish_live), then closes. */
void ls_collector_close(struct ls_collector *c);
/* Lets go of everything without writing anything: another process (--no-wait's background
 * watcher, a fork of this one) finishes the records. */
void ls_collector_forget(struct ls_collector *c);

#endif
