/* text_stall.h -- one stall in the text report: where its time went, its calls, its culprit and
 * the stack below it, its samples. */
#ifndef LS_TEXT_STALL_H
#define LS_TEXT_STALL_H

#include <jansson.h>
#include <stdio.h>

/* Writes stall number n (as "#n"). */
void ls_text_stall(FILE *out, json_t *stall, size_t n);

/* Writes a stack, one "at FRAME" line each under indent, around its culprit
 * frame at index culprit (-1: none): a native stack from its innermost frame;
 * a stack with interpreter frames from the call down to the culprit (the
 * library's frames below it shortened when they are many), then the
 * interpreter frames that called it (the interpreter's own native frames in
 * between are left out). */
void ls_text_stack(FILE *out, json_t *stack, long culprit, const char *indent);

#endif
