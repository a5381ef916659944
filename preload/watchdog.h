/* watchdog.h -- used directly (no watcher outside), the agent's own watcher thread.
 *
 * It runs the watcher (watcher/watch.h) over this process's record, on a
 * thread of its own that blocks every signal, started at the first loop (or
 * the first fired rule), and writes the report file while there is news. A
 * process that never runs a loop never has it, so it stays single-threaded.
 */
#ifndef LS_WATCHDOG_H
#define LS_WATCHDOG_H

#include "write.h"

/* Starts the thread if this process has none yet and needs one. */
void ls_watchdog_ensure(void);
/* The image ends: drains what is left and writes the final report, waiting
 * a bounded time for a write in progress (a hung directory cannot hang the
 * host's exit). Safe from a signal handler. */
void ls_watchdog_final(enum ls_image_end how);
/* An exec failed: the image goes on, and so does the watcher. */
void ls_watchdog_resume(void);
/* In a forked child: no watcher thread exists; the next loop starts one. */
void ls_watchdog_after_fork(void);
/* Wakes the watcher from its doze (a loop began an iteration); keeps errno. */
void ls_watchdog_wake(void);

#endif
