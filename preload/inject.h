/* inject.h -- the agent's fault-injection matcher: which rule fires on which call.
 *
 * The constructor parses LOOPSTALL_INJECT once (ls_inject_init); a wrapper then
 * asks, for its own call:
 *
 *     if (ls_inject_on && ls_inject_wants(fn) && ls_inject_decide(fn, ...))
 *
 * and applies the action: sleep act.delay_ns (ls_inject_sleep), then either fail
 * with act.err in the function's convention without calling the real function
 * (act.fail), or call it with its byte count capped at act.short_bytes.
 * Nothing here allocates, locks or uses stdio; every function keeps errno intact.
 */
#ifndef LS_INJECT_H
#define LS_INJECT_H

#include "calls.h"
#include "inject_rule.h"

#include <stdatomic.h>
#include <stdint.h>

#ifndef LS_HIDDEN
#define LS_HIDDEN __attribute__((visibility("hidden")))
#endif

/* What the wrapper must do to the call; the effects of every rule that fired
 * on it combine (a delay rule and an errno rule together make a slow failure). */
struct ls_inject_action {
    int rule;             /* index of the first rule that fired */
    uint64_t delay_ns;    /* sleep this long before the call (delays and jitter, summed) */
    int fail;             /* nonzero: do not call the real function, fail with err */
    int err;              /* errno, the error number itself (F_RETERR) or an EAI_* code */
    uint64_t short_bytes; /* nonzero: cap the call's byte count at this */
};

/* Nonzero when at least one rule is active. Written only by ls_inject_init. */
LS_HIDDEN extern int ls_inject_on;
/* Bit fn is set when some rule names function fn. */
LS_HIDDEN extern uint64_t ls_inject_mask[(LS_FN_COUNT + 63) / 64];

/* The wrappers' first test after ls_inject_on: one load and a bit test. */
static inline int ls_inject_wants(int fn)
{
    return (int)((ls_inject_mask[(unsigned)fn >> 6] >> ((unsigned)fn & 63)) & 1);
}

/* Called by the agent's constructor with getenv("LOOPSTALL_INJECT"), which may
 * be NULL. On a bad rule it writes one line to stderr and leaves injection off,
 * so the host runs as if nothing was asked. Calling it again replaces the rules
 * and resets their counters (tests do); it must not race with ls_inject_decide. */
LS_HIDDEN void ls_inject_init(const char *env_value);

/* Called by a wrapper for its call to fn. on_loop: the calling thread is an
 * event-loop thread. tkind and target name what the call waits on: the fd
 * (LS_T_FD, LS_T_EPOLL), a const char * path (LS_T_PATH), a const struct
 * sockaddr * (LS_T_SOCKADDR), the const char * node, possibly NULL (LS_T_HOST),
 * the pid (LS_T_PID), the const char * command (LS_T_CMD). Returns 1 and fills
 * act when a rule fires, 0 otherwise. Safe from any thread, lock-free. */
LS_HIDDEN int ls_inject_decide(int fn, int on_loop, int tkind, intptr_t target,
                               struct ls_inject_action *act);

/* Sleeps ns on the calling thread against an absolute CLOCK_MONOTONIC deadline,
 * through the raw system call so that it never enters the agent's own wrappers,
 * and resumes after signals. */
LS_HIDDEN void ls_inject_sleep(uint64_t ns);

/* For the report writer: the active rules and how often each fired. */
LS_HIDDEN int ls_inject_rule_count(void);
LS_HIDDEN const struct ls_rule *ls_inject_rule(int i);
LS_HIDDEN uint64_t ls_inject_fired(int i);
/* How many calls matched rule i's function and filters (fired or not). */
LS_HIDDEN uint64_t ls_inject_matched(int i);

/* Mirrors each rule's fire count into fired[i] (the record's, which the
 * watcher reads) and copies the rules' text and count; NULL unbinds. */
LS_HIDDEN void ls_inject_bind(_Atomic uint64_t *fired, char (*text)[LS_RULE_TEXT_MAX],
                              uint32_t *nrules);

/* For the agent's fork handler, in the child: counts start again from zero so
 * that the child's report lists its own fires; the rules stay. */
LS_HIDDEN void ls_inject_reset_counts(void);

#endif
