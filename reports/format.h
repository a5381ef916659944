/* format.h -- how the human-readable formats write durations, frames and calls. */
#ifndef LS_FORMAT_H
#define LS_FORMAT_H

#include <jansson.h>
#include <stddef.h>

/* "151.0 ms", "820 us", "2.31 s" */
const char *ls_fmt_ns(long long ns, char *buf, size_t len);
/* "time_sleep (timemodule.c:2071)" or "libpython3.11.so.1.0+0x315ad9" */
const char *ls_fmt_frame(json_t *frame, char *buf, size_t len);
/* The stall's culprit call: "clock_nanosleep" or "read on /var/lib/x"; NULL for none (and
 * for CPU work, whose calls are not where the time went). */
const char *ls_fmt_culprit(json_t *stall, char *buf, size_t len);
/* The stack that stands for a stall: its culprit call's (unless the stall was
 * CPU work: then the calls are not where the time went), else its own (the
 * part its samples share), else its first sample. */
json_t *ls_stall_stack_shown(json_t *stall);
/* The index of the culprit frame in ls_stall_stack_shown (frames.h: the CPU
 * rule when no call is the culprit); -1 for none. */
long ls_stall_where_index(json_t *stall);
/* "load_config (app.py:7) <- handler (app.py:12)": frame i of stack and, when
 * it is the user's interpreter frame, up to two of the user's frames that
 * called it. NULL when i is no frame. */
const char *ls_fmt_where(json_t *stack, long i, char *buf, size_t len);
/* What a stall was, in one phrase: "clock_nanosleep in load_config (app.py:7)
 * <- handler (app.py:12)", "read on /var/x in load (a.c:3)", "in burn
 * (app.py:10)" for CPU work. NULL when neither a call nor a frame is known. */
const char *ls_fmt_stall_cause(json_t *stall, char *buf, size_t len);
/* Where a stall's wall time went, as a sum that adds up: "150.2 ms blocked +
 * 39 us on-CPU + 3.0 ms waiting for a CPU (run queue)", then "+ X unaccounted"
 * for time off the CPU outside any intercepted call, or "- X counted twice"
 * when CPU or run-queue time fell inside the calls (a call's wall time holds
 * the CPU its system call used and the wait for a CPU after it woke). */
const char *ls_fmt_time_split(json_t *stall, char *buf, size_t len);
/* The first frame worth showing to a person, the culprit (frames.h): the
 * innermost frame of the user's own code where there are interpreter frames,
 * else the first named one with a line outside libc and the agent. NULL for an
 * empty stack. */
json_t *ls_first_interesting_frame(json_t *stack);
/* Names frames of the process's main executable after what the user ran
 * (argv[0]) where the executable is called otherwise (Debian's redis-server is
 * a link to redis-check-rdb), until called again; NULL stops it. */
void ls_fmt_use_process(json_t *proc);
/* 1 when the process's executable is called otherwise than what argv[0] names. */
int ls_fmt_exe_differs(json_t *proc);
/* 1 when a loop of proc is worth calling one: it iterated more than once, or
 * stalled. A thread that waited in epoll once (Node's platform thread) is not. */
int ls_loop_counts(json_t *proc, json_t *loop);
/* Stalls of a process ordered worst first (a new array; decref it). */
json_t *ls_stalls_worst_first(json_t *proc);

#endif
