/* lifecycle.c -- the agent's life in the host: constructor, destructor, fork, the end of an image.
 *
 * The only file that knows every stage. At load it reads the configuration
 * and makes the record (shared with `loopstall run`'s watcher, or the
 * agent's own); it resolves no real function (each is looked up at its first
 * call), starts no thread, installs no signal handler and calibrates nothing
 * until a loop appears, so that a process that never runs one pays almost
 * nothing: bench/benchmark-startup.sh measures it.
 *
 * The loader runs the constructors of the program's own libraries before a
 * preloaded library's, so a host library's constructor can create threads
 * or wait in epoll before ours has run: the first wrapper that needs the
 * agent's state then sets it up (ls_agent_ready), once, and the constructor
 * finds it done.
 */
#include "lifecycle.h"

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "fatal.h"
#include "handover.h"
#include "inject.h"
#include "identity.h"
#include "iteration.h"
#include "modules.h"
#include "procfs.h"
#include "real.h"
#include "sampler.h"
#include "say.h"
#include "state.h"
#include "this_process.h"
#include "ticks.h"
#include "watchdog.h"

LS_HIDDEN __thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec")));
LS_HIDDEN struct ls_proc ls_proc;

extern int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                             void *dso);
extern void *__dso_handle;

static _Atomic int image_ended;
static _Atomic int fatal_installed; /* inherited by a forked child, with the handlers */
static int load_argc;               /* the constructor's arguments, while it runs */
static char **load_argv;
LS_HIDDEN _Atomic int ls_agent_state; /* 0: not set up, 1: being set up, 2: set up, 3: off */

/* CLOCK_MONOTONIC read by the system call, not the vDSO: the process's first vDSO read faults
 * in the vDSO's data page and libc's clock_gettime, two page faults (~5 us here) that a process
 * that never reads the clock again would pay for the base pair alone. A pair read this way is
 * looser (~170 ns between its TSC reads here, against ~50 ns), which the first estimate, made at
 * least 20 us and usually milliseconds later (ticks.c), takes in its stride. */
LS_COLD static uint64_t mono_ns_at_load(void)
{
    struct timespec ts;
    if (ls_raw_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) return ls_mono_ns();
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What the record says of the process at its start, before any loop. */
LS_COLD static void fill_record(struct ls_record *r, const struct ls_record *parent)
{
    r->pid = ls_proc.pid;
    r->ppid = (int32_t)ls_raw_syscall(SYS_getppid);
    r->image = parent ? 0 : ls_cfg.image;
    atomic_store(&r->exit_code, -1);
    r->threshold_ns = ls_cfg.threshold_ns;
    r->strict = ls_cfg.strict;
    r->mode = ls_cfg.mode;
    r->thread_limit = parent ? parent->thread_limit : 0;
    if (parent) {
        /* Same clock as the parent's: a child of a loop need not calibrate again. */
        r->use_tsc = parent->use_tsc;
        r->base_ticks = parent->base_ticks;
        r->base_ns = parent->base_ns;
        atomic_store(&r->ns_per_tick_bits, atomic_load(&parent->ns_per_tick_bits));
        atomic_store(&r->rate_span_ns, atomic_load(&parent->rate_span_ns));
        r->py_layout = parent->py_layout;
        atomic_store(&r->py_ready, atomic_load(&parent->py_ready));
    } else {
        ls_clock_init(r, mono_ns_at_load);
    }
    r->start_ticks = ls_rec_ticks(r);
    /* The base pair's time, taken a microsecond before: no vDSO read at load (clock.c). */
    r->start_mono_ns = r->use_tsc ? r->base_ns : r->start_ticks;
    /* Without rules there is nothing to write: the record's pages stay untouched. */
    if (ls_cfg.inject_set) ls_inject_bind(r->rule_fired, r->rule_text, &r->nrules);
}

/* No memory for a record: the process goes on unobserved (every wrapper passes through),
 * and says so once. */
LS_COLD static void give_up(const char *why)
{
    ls_say("no memory for the record (", why, "): this process is not observed");
    ls_proc.rec = NULL;
    atomic_store(&ls_agent_state, 3);
}

LS_COLD static void after_fork_child(void)
{
    struct ls_tls *t = &ls_tls;
    int saved = errno;
    t->guard = 1;
    struct ls_record *parent = ls_proc.rec;
    ls_modules_fork_child();
    ls_proc.pid = (pid_t)syscall(SYS_getpid);
    int outside = 0;
    struct ls_record *r = ls_record_create(ls_cfg.collector, &outside);
    ls_loops_after_fork();
    if (!r) {
        ls_inject_bind(NULL, NULL, NULL); /* the parent's counters are the parent's */
        ls_record_release(parent);
        give_up("a forked child");
        t->guard = 0;
        errno = saved;
        return;
    }
    ls_proc.rec = r;
    ls_proc.watched_outside = outside;
    ls_inject_reset_counts();
    fill_record(r, parent);
    /* The child's arguments are the parent's; nothing is read from /proc, and the module
     * table waits, as at load, until the child has something to say (most children exec). */
    if (parent->argv_len) {
        memcpy(r->argv, parent->argv, parent->argv_len + 1);
        r->argv_len = parent->argv_len;
        memcpy(r->exe, parent->exe, sizeof r->exe);
    }
    ls_record_release(parent); /* the parent's record is the parent's */
    atomic_store(&image_ended, 0);
    ls_sampler_after_fork();
    ls_watchdog_after_fork();
    t->guard = 0;
    errno = saved;
}

/* Will the image's report be written (the root's always is; ls_worth_a_report decides for
 * the others, from the watcher's side)? Then its argv and modules are worth reading at its
 * end. A process that never ran a loop reads only the record's first page to hear no. */
LS_COLD static int has_news(const struct ls_record *r)
{
    if (ls_proc.pid == ls_cfg.root_pid || atomic_load(&r->nloops) ||
        atomic_load(&r->loops_dropped) || atomic_load(&r->fanout.found))
        return 1;
    for (uint32_t i = 0; i < r->nrules && i < LS_MAX_RULES; i++)
        if (atomic_load(&r->rule_fired[i])) return 1;
    return 0;
}

LS_COLD void ls_image_end(enum ls_image_end how, int code)
{
    if (!ls_agent_set_up()) return; /* ended before the agent was set up: nothing to say */
    /* A vfork child whose exec failed exits (CPython's subprocess: _exit(255)) on this image's
     * memory: the image goes on, and its record and report are not the child's to end. */
    if (!ls_is_this_process()) return;
    int expect = 0;
    if (!atomic_compare_exchange_strong(&image_ended, &expect, 1)) return;
    struct ls_tls *t = &ls_tls;
    int saved = errno, g = t->guard;
    t->guard = 1;
    struct ls_record *r = ls_proc.rec;
    uint64_t now = ls_ticks();
    /* The calling thread's iteration ends here, with its CPU time read now;
     * other loops' iterations end with the image (the writer finishes them).
     * Killed by a signal, the iteration did not end: it was ongoing. */
    if (t->loop && how != LS_END_SIGNAL) ls_iteration_end(t->loop, now);
    /* A process with nothing to say (a shell script's commands) pays nothing more. */
    if (how != LS_END_SIGNAL && has_news(r)) {
        ls_note_identity(r);
        ls_modules_refresh(); /* not from a signal handler: the loader takes its lock */
    }
    atomic_store(&r->exit_code, code);
    atomic_store(&r->end_ticks, now);
    atomic_store(&r->state, how == LS_END_EXEC     ? LS_IMAGE_EXECED
                            : how == LS_END_SIGNAL ? LS_IMAGE_SIGNALED
                                                   : LS_IMAGE_EXITED);
    /* Without news there is no report to write (nor a watcher thread: that comes with a loop). */
    if (has_news(r)) ls_watchdog_final(how);
    t->guard = g;
    errno = saved;
}

LS_COLD void ls_image_resume(void)
{
    struct ls_record *r = ls_proc.rec;
    atomic_store(&r->state, LS_IMAGE_LIVE);
    atomic_store(&r->end_ticks, 0);
    atomic_store(&r->exit_code, -1);
    atomic_store(&image_ended, 0);
    ls_watchdog_resume();
}

/* A fatal signal the host does not handle is the end of the image (used directly). */
static void ended_by_signal(int sig)
{
    ls_image_end(LS_END_SIGNAL, 128 + sig);
}

LS_COLD void ls_image_worth_keeping(void)
{
    /* Under run the watcher outside reads the record after any death, so no handler is
     * needed; but it needs the module table then, for the frames the image now records (a
     * process that never gets here records none: its table is written when it ends). */
    if (ls_proc.watched_outside) {
        int saved = errno, g = ls_tls.guard;
        ls_tls.guard = 1;
        ls_modules_refresh();
        ls_tls.guard = g;
        errno = saved;
        return;
    }
    if (atomic_load_explicit(&fatal_installed, memory_order_acquire)) return;
    int expect = 0;
    if (!atomic_compare_exchange_strong(&fatal_installed, &expect, 1)) return;
    int saved = errno, g = ls_tls.guard;
    ls_tls.guard = 1;
    ls_fatal_install(ended_by_signal);
    ls_tls.guard = g;
    errno = saved;
}

/* Everything the agent sets up once per process (a forked child redoes the
 * per-process part in after_fork_child). What only a process with a loop needs (a
 * calibrated clock, the watcher thread, the sampling and fatal-signal handlers) waits
 * for its first loop; the real functions are looked up at their first call. */
LS_COLD static void set_up(void)
{
    int saved = errno, g = ls_tls.guard;
    ls_tls.guard = 1;
    ls_proc.pid = (pid_t)ls_raw_syscall(SYS_getpid);
    ls_say_init();
    ls_config_read();
    struct link_map *self = ls_real_self();
    if (self && self->l_name && self->l_name[0]) ls_config_set_agent_path(self->l_name);
    int outside = 0;
    struct ls_record *r = ls_record_create(ls_cfg.collector, &outside);
    if (!r) {
        give_up("at load");
        ls_tls.guard = g;
        errno = saved;
        return;
    }
    ls_proc.rec = r;
    ls_proc.watched_outside = outside;
    if (ls_cfg.inject_set) ls_inject_init(getenv("LOOPSTALL_INJECT"));
    /* Every call must meet the rules: the wrappers' pass-through pointers go. */
    if (ls_cfg.inject_set && ls_inject_on) ls_real_pass_off();
    fill_record(r, NULL);
    ls_proc.use_tsc = (int)r->use_tsc;
    ls_ticks_thresholds();
    /* The root of a run always has a report, with its argv even if it is killed without a
     * word; others note theirs when they turn out to have something to say. */
    if (ls_proc.pid == ls_cfg.root_pid) ls_note_identity_at_load(r, load_argc, load_argv);
    ls_modules_find_self();
    ls_proc.on_adopt = ls_image_worth_keeping;
    /* A rule can fire in a process that never runs a loop, and its count is worth a report
     * even if the host then dies of a signal (of its own, or of the fault injected). */
    if (ls_cfg.inject_set && ls_inject_on) ls_image_worth_keeping();
    /* What pthread_atfork does (a stub of libc_nonshared.a, linked at the far end of the text):
     * registered with this object, so that unloading it would remove the handler. */
    __register_atfork(ls_modules_fork_prepare, ls_modules_fork_parent, after_fork_child,
                      __dso_handle);
    ls_tls.guard = g;
    errno = saved;
}

LS_COLD int ls_agent_ready_slow(void)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&ls_agent_state, &expect, 1)) {
        set_up();
        expect = 1; /* set_up gives up (3) when it found no memory for the record */
        atomic_compare_exchange_strong_explicit(&ls_agent_state, &expect, 2, memory_order_release,
                                                memory_order_relaxed);
        return expect == 1;
    }
    return expect == 2; /* 1: another thread is setting it up; 3: off; this call passes through */
}

/* glibc passes an ELF constructor the program's arguments. */
__attribute__((constructor)) static void ls_init(int argc, char **argv, char **envp)
{
    (void)envp;
    load_argc = argc;
    load_argv = argv;
    ls_agent_ready_slow();
    load_argv = NULL; /* main may rewrite them (a process title): /proc says it from now on */
}

__attribute__((destructor)) static void ls_fini(void)
{
    ls_image_end(LS_END_EXIT, -1);
}
