/* frames.h -- what a frame is to a reader: an interpreter's or native, the user's own code or a
 * library's, and which frame of a stack is the culprit. */
#ifndef LS_FRAMES_H
#define LS_FRAMES_H

#include <jansson.h>
#include <stddef.h>

/* 1 for a Python or JavaScript frame (one with "lang"). */
int ls_frame_is_interp(json_t *frame);

/* 1 for an interpreter frame in the user's own code: not the standard library
 * (.../lib/python3.X/, frozen modules), not site-packages or dist-packages, not
 * node_modules, not Node's own scripts (node:..., paths that are not absolute).
 * Native frames are never the user's by this test. */
int ls_frame_is_user(json_t *frame);

/* 1 when a stack holds at least one interpreter frame. */
int ls_stack_has_interp(json_t *stack);

/* The index of the frame a reader should look at first, the culprit: where a
 * stack has interpreter frames, the innermost one in the user's code (else the
 * innermost interpreter frame); in a native stack, the first frame with a
 * source line outside libc and the agent, else the first named one there,
 * else the innermost. -1 for an empty stack. */
long ls_culprit_index(json_t *stack);

/* The same for the part of a CPU stall's stack its samples share: where the
 * time went, so in a native stack the innermost named frame outside libc and
 * the agent (a hot function in a library without lines is still the place;
 * the first frame with a line can be far out, near the loop). */
long ls_cpu_culprit_index(json_t *stack);

/* 1 when a stack sample of samples says where it was called from: its walk
 * went past its first frame, and reached the interpreter's frames where other
 * samples of the stall did. A walk stops early in code without unwind
 * information that also uses the frame pointer (hand-written assembly); such a
 * sample still says where the CPU was, but not who called it. When no sample
 * says, every sample with a frame counts. */
int ls_sample_counts(json_t *samples, json_t *sample);

/* The index of the next frame outward from index `from` that is the user's
 * interpreter frame, or -1. */
long ls_next_user_frame(json_t *stack, long from);

#endif
