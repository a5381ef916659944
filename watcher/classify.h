/* classify.h -- what kind of stall an iteration was, from where its time went. */
#ifndef LS_CLASSIFY_H
#define LS_CLASSIFY_H

#include <stdint.h>

#include "record.h"

/* The scheduler's accounting decides: a loop thread that wanted the CPU
 * (running, or runnable on a busy machine) most of the stall was computing;
 * one that was off the CPU was blocked, in a call we saw or one we did not.
 * In between, or when both are large, it is mixed. */
enum ls_class ls_classify(uint64_t wall, uint64_t cpu, uint64_t runq, uint64_t blocked);
const char *ls_class_name(enum ls_class c);
static inline enum ls_class ls_stall_class(const struct ls_stall_rec *s)
{
    return ls_classify(s->wall_ns, s->cpu_ns, s->runq_ns, s->blocked_ns);
}

#endif
