/* format.h -- how the human-readable formats write durations, frames and calls. */
#ifndef LS_FORMAT_H
#define LS_FORMAT_H

#include <jansson.h>
#include <stddef.h>

/* "151.0 ms", "820 us", "2.31 s" */
const char *ls_fmt_ns(long long ns, char *buf, size_t len);
/* "time_sleep (timemodule.c:2071)" or "libpython3.11.so.1.0+0x315ad9" */
const char *ls_fmt_frame(json_t *frame, char *buf, size_t len);
/* The stall's culprit: "clock_nanosleep" or "read on /var/lib/x" ; NULL for none. */
const char *ls_fmt_culprit(json_t *stall, char *buf, size_t len);
/* The stack that stands for a stall: its culprit call's, else its own (the part
 * its samples share), else its first sample. */
json_t *ls_stall_stack_shown(json_t *stall);
/* The first frame worth showing to a person, the culprit (frames.h): the
 * innermost frame of the user's own code where there are interpreter frames,
 * else the first named one with a line outside libc and the agent. NULL for an
 * empty stack. */
json_t *ls_first_interesting_frame(json_t *stack);
/* Stalls of a process ordered worst first (a new array; decref it). */
json_t *ls_stalls_worst_first(json_t *proc);

#endif
