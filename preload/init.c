/* init.c -- load-time setup: configuration from the environment, fork handling, the final report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "inject.h"
#include "real.h"
#include "report.h"
#include "store.h"
#include "threads.h"
#include "ticks.h"

LS_HIDDEN __thread struct ls_tls ls_tls __attribute__((tls_model("initial-exec")));
LS_HIDDEN struct ls_config ls_cfg = {.threshold_ns = 20000000ULL, .mode = LS_LOOP_EPOLL};
LS_HIDDEN pid_t ls_pid;
LS_HIDDEN uint64_t ls_start_ticks;

/* The thresholds in clock ticks, from the current calibration. Called at load
 * and by the watchdog each time it refines the TSC rate. */
void ls_config_ticks(void)
{
    ls_cfg.threshold_ticks = ls_ns_to_ticks(ls_cfg.threshold_ns);
    /* Calls a tenth of the threshold long (at least 200 us) are kept with their
     * stack and target: shorter ones cannot make up much of a stall. */
    uint64_t min_ns = ls_cfg.threshold_ns / 10;
    if (min_ns < 200000) min_ns = 200000;
    ls_cfg.record_min_ticks = ls_ns_to_ticks(min_ns);
}

/* One line on stderr, without stdio (the host's buffers are not ours to touch). */
static void say(const char *a, const char *b, const char *c)
{
    const char *parts[] = {"loopstall: ", a, b, c, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i]) syscall(SYS_write, 2, parts[i], strlen(parts[i]));
}

static void read_threshold(void)
{
    const char *v = getenv("LOOPSTALL_THRESHOLD_MS");
    if (!v || !*v) return;
    char *end;
    errno = 0;
    double ms = strtod(v, &end);
    if (errno || *end || !(ms > 0) || ms > 3600000) {
        say("LOOPSTALL_THRESHOLD_MS=", v,
            " ignored: expected a number of milliseconds above 0 (default 20)");
        return;
    }
    ls_cfg.threshold_ns = (uint64_t)(ms * 1e6);
}

static void read_mode(void)
{
    const char *v = getenv("LOOPSTALL_LOOP");
    if (!v || !*v || !strcmp(v, "auto") || !strcmp(v, "epoll")) return;
    if (!strcmp(v, "poll")) {
        ls_cfg.mode = LS_LOOP_POLL;
        return;
    }
    say("LOOPSTALL_LOOP=", v, " ignored: expected auto, epoll or poll");
}

static void read_strict(void)
{
    const char *v = getenv("LOOPSTALL_STRICT");
    if (!v || !*v || !strcmp(v, "0")) return;
    if (!strcmp(v, "1")) {
        ls_cfg.strict = 1;
        return;
    }
    say("LOOPSTALL_STRICT=", v, " ignored: expected 0 or 1");
}

static void read_out_dir(void)
{
    const char *v = getenv("LOOPSTALL_OUT");
    if (!v || !*v) {
        v = getenv("TMPDIR");
        if (!v || !*v) v = "/tmp";
    }
    size_t n = strlen(v);
    if (n >= sizeof ls_cfg.out_dir) {
        say("LOOPSTALL_OUT is too long; reports go to ", "/tmp", NULL);
        v = "/tmp";
        n = 4;
    }
    memcpy(ls_cfg.out_dir, v, n + 1);
    mkdir(ls_cfg.out_dir, 0755); /* a missing directory is made; other errors show at write */
}

static void after_fork_child(void)
{
    /* The child is a process of its own: its own report, pid, start, stalls.
     * Only the forking thread exists here; other loops' slots are freed. */
    ls_pid = (pid_t)syscall(SYS_getpid);
    ls_start_ticks = ls_ticks();
    struct ls_loop *mine = ls_tls.loop;
    for (int i = 0; i < LS_MAX_LOOPS; i++) {
        struct ls_loop *l = &ls_loops[i];
        if (l == mine) {
            l->tid = ls_pid;
            l->thread = pthread_self();
            l->iterations = l->busy_ns = l->max_ns = 0;
            memset(l->hist, 0, sizeof l->hist);
            atomic_store(&l->ring_head, 0);
            atomic_store(&l->ring_tail, 0);
            atomic_store(&l->ring_dropped, 0);
            atomic_store(&l->nstrict, 0);
            l->adopted_ticks = ls_start_ticks;
            l->wd_seen_seq = l->wd_ongoing_seq = 0;
            continue;
        }
        if (atomic_load(&l->state) != LS_SLOT_FREE) memset(l, 0, sizeof *l);
    }
    ls_store_reset();
    atomic_store(&ls_dropped, 0);
    ls_inject_reset_counts();
    ls_threads_after_fork_child();
    ls_watchdog_after_fork_child();
}

__attribute__((constructor)) static void ls_init(void)
{
    int saved = errno;
    ls_tls.guard = 1;
    ls_pid = (pid_t)syscall(SYS_getpid);
    ls_ticks_init();
    ls_start_ticks = ls_ticks();
    ls_real_resolve_all();
    ls_stack_init();
    ls_sampler_init();
    read_threshold();
    read_mode();
    read_strict();
    read_out_dir();
    const char *root = getenv("LOOPSTALL_ROOT_PID");
    ls_cfg.root_pid = root ? (pid_t)atoi(root) : 0;
    ls_cfg.threshold_ticks = ls_ns_to_ticks(ls_cfg.threshold_ns);
    /* Calls a tenth of the threshold long (at least 200 us) are kept with their
     * stack and target: shorter ones cannot make up much of a stall. */
    uint64_t min_ns = ls_cfg.threshold_ns / 10;
    if (min_ns < 200000) min_ns = 200000;
    ls_cfg.record_min_ticks = ls_ns_to_ticks(min_ns);
    ls_inject_init(getenv("LOOPSTALL_INJECT"));
    ls_threads_init();
    pthread_atfork(NULL, NULL, after_fork_child);
    ls_tls.guard = 0;
    errno = saved;
}

/* A process with no loop and no fired rule has nothing to say, and a shell
 * script under `run` would otherwise leave a file per command. The process
 * `run` started always reports, so that `run` knows the agent was loaded. */
static int worth_a_report(void)
{
    if (ls_pid == ls_cfg.root_pid) return 1;
    for (int i = 0; i < LS_MAX_LOOPS; i++)
        if (atomic_load(&ls_loops[i].state) != LS_SLOT_FREE) return 1;
    for (int i = 0; i < ls_inject_rule_count(); i++)
        if (ls_inject_fired(i)) return 1;
    return atomic_load(&ls_dropped) != 0 || atomic_load(&ls_fanout.found);
}

__attribute__((destructor)) static void ls_fini(void)
{
    int saved = errno;
    ls_tls.guard = 1;
    /* The exiting thread ends its iteration here. It counts as a stall only when
     * intercepted blocking calls alone filled a threshold (a program that blocks
     * and then exits); otherwise it is the way out (Node's shutdown, exit
     * handlers), not a stall of the loop. */
    struct ls_loop *l = ls_tls.loop;
    if (l && ls_ticks_to_ns(atomic_load(&l->blocked_ticks)) >= ls_cfg.threshold_ns)
        ls_iteration_end(l, ls_ticks());
    else if (l)
        atomic_store(&l->iter_start, 0);
    if (worth_a_report()) ls_report_final();
    ls_tls.guard = 0;
    errno = saved;
}
