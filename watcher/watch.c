/* watch.c -- one watcher tick over a record (see watch.h). */
#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "calls.h"
#include "classify.h"
#include "cpu.h"
#include "clock.h"
#include "modules_lookup.h"
#include "procfs.h"
#include "target_name.h"

void ls_watch_init(struct ls_watch *w, struct ls_record *rec, pid_t pid, void *(*alloc)(size_t))
{
    /* w is zeroed already (static or calloc'd): no memset, which at a
     * process's load would cost as much as the rest of the agent's start. */
    w->rec = rec;
    w->pid = pid;
    w->store.alloc = alloc;
}

void ls_watch_release(struct ls_watch *w)
{
    for (int i = 0; i < LS_MAX_LOOPS; i++) {
        ls_proc_close(&w->loops[i].sched_fd);
        ls_proc_close(&w->loops[i].syscall_fd);
    }
}

uint64_t ls_watch_interval_ns(const struct ls_record *r, int busy)
{
    uint64_t threshold_ns = r->threshold_ns;
    /* An eighth of a threshold while some iteration has run a quarter of one
     * (the sampler's first steps), half a threshold while some loop is in an
     * iteration, a whole one when every loop waits. Each wake-up costs CPU, so
     * no more often than it must. */
    uint64_t t = (busy & LS_WATCH_HOT)    ? threshold_ns / 8
                 : (busy & LS_WATCH_BUSY) ? threshold_ns / 2
                                          : threshold_ns;
    if (t < 500000) t = 500000;
    if (t > 50000000) t = 50000000;
    return t;
}

/* Takes the CPU snapshot for an iteration the first time the watcher sees it
 * running long enough to matter, so that short iterations cost no /proc read. */
static void snapshot_cpu(struct ls_watch *w, struct ls_loop *l, uint64_t seq, uint64_t start,
                         uint64_t now)
{
    uint64_t cpu = 0, runq = 0;
    struct ls_watch_loop *v = &w->loops[l - w->rec->loops];
    int exact = !w->pid && ls_cpu_snapshot_here(w->rec, l, now, &cpu, &runq) == 0;
    int rc = exact    ? 0
             : w->pid ? ls_sched_times_kept(&v->sched_fd, w->pid, l->tid, &cpu, &runq)
                      : ls_sched_times(w->rec->pid, l->tid, &cpu, &runq);
    if (rc != 0) return;
    atomic_store_explicit(&l->snap_cpu_ns, cpu, memory_order_relaxed);
    atomic_store_explicit(&l->snap_runq_ns, runq, memory_order_relaxed);
    /* Before the snapshot, time not spent in calls is taken as CPU. */
    atomic_store_explicit(&l->snap_pre_ns, ls_cpu_outside_calls(w->rec, l, start, now),
                          memory_order_relaxed);
    atomic_store_explicit(&l->snap_ticks, now, memory_order_relaxed);
    atomic_store_explicit(&l->snap_exact, (uint32_t)exact, memory_order_relaxed);
    atomic_store_explicit(&l->snap_seq, seq, memory_order_release);
}

/* A sample costs the watcher a /proc read and a signal, and the loop thread a walk of its stack:
 * a loop is sampled at most once a millisecond on average, in bursts of up to LS_SAMPLE_BURST_NS
 * worth. One stall's samples (an eighth of a threshold apart) never wait for it; a storm of 1 ms
 * stalls at a 1 ms threshold gets about one each, where it would take two or three. */
#define LS_SAMPLE_COST_NS  1000000ULL
#define LS_SAMPLE_BURST_NS 16000000ULL
static int paced(struct ls_watch_loop *v, uint64_t now_ns)
{
    uint64_t credit = v->paced_ns ? v->sample_credit_ns + (now_ns - v->paced_ns) : ~0ULL;
    v->sample_credit_ns = credit < LS_SAMPLE_BURST_NS ? credit : LS_SAMPLE_BURST_NS;
    v->paced_ns = now_ns;
    return v->sample_credit_ns >= LS_SAMPLE_COST_NS;
}

/* Asks the loop thread for a stack sample: only while it runs in user space
 * (a signal landing in a system call could turn it into EINTR), never while
 * it blocks the signal (it would stay pending, for a later ppoll or a
 * signalfd to take), never inside an intercepted call. The signal carries the
 * record's cookie so that the handler tells it from anyone else's. */
static int request_sample(struct ls_watch *w, struct ls_loop *l, uint32_t slot)
{
    struct ls_record *r = w->rec;
    int sig = atomic_load_explicit(&r->sample_signal, memory_order_relaxed);
    if (!sig || slot >= LS_SAMPLES) return 0;
    if (atomic_load_explicit(&l->sig_blocked, memory_order_relaxed)) return 0;
    if (atomic_load_explicit(&l->cur_fn, memory_order_relaxed) >= 0) return 0;
    struct ls_watch_loop *v = &w->loops[l - r->loops];
    /* In the host, a thread on a CPU is told by its clock, without opening /proc. */
    int user = w->pid ? ls_thread_in_user_space_kept(&v->syscall_fd, w->pid, l->tid)
               : ls_thread_on_cpu_here(l->tid) == 1 ? 1
                                                    : ls_thread_in_user_space(r->pid, l->tid);
    if (user != 1) return 0;
    /* Reading /proc took a while: a call the thread entered since would take the signal. */
    if (atomic_load_explicit(&l->cur_fn, memory_order_acquire) >= 0) return 0;
    atomic_store_explicit(&l->sample_next, slot, memory_order_release);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    /* Who sends it (only informative: the handler knows ours by the cookie), asked once. */
    if (!w->sender_pid) {
        w->sender_pid = (pid_t)syscall(SYS_getpid);
        w->sender_uid = (uid_t)syscall(SYS_getuid);
    }
    si.si_pid = w->sender_pid;
    si.si_uid = w->sender_uid;
    si.si_value.sival_ptr = (void *)(uintptr_t)r->sample_cookie;
    int saved = errno;
    long rc = syscall(SYS_rt_tgsigqueueinfo, (pid_t)r->pid, (pid_t)l->tid, sig, &si);
    errno = saved;
    return rc == 0;
}

/* The line that says a loop hangs: which thread, for how long, in what. */
static void tell_hang(struct ls_watch *w, struct ls_loop *l, uint64_t ran_ns)
{
    char what[300] = "running code outside any intercepted call";
    int fn = atomic_load_explicit(&l->cur_fn, memory_order_acquire);
    if (fn >= 0 && fn < LS_FN_COUNT) {
        char target[LS_TARGET_MAX];
        ls_target_describe(w->pid, atomic_load_explicit(&l->cur_tkind, memory_order_relaxed),
                           atomic_load_explicit(&l->cur_target, memory_order_relaxed), target,
                           sizeof target);
        snprintf(what, sizeof what, "blocked in %s%s%s", ls_calls[fn].name, target[0] ? " on " : "",
                 target);
    } else {
        uint32_t n = atomic_load_explicit(&l->live_nsamples, memory_order_acquire);
        if (n > LS_SAMPLES) n = LS_SAMPLES;
        if (n) {
            char frame[256];
            if (ls_stack_innermost_name(w->rec, &l->live_samples[n - 1], frame, sizeof frame))
                snprintf(what, sizeof what, "running in %s", frame);
        }
    }
    char line[512], how_long[32];
    /* A threshold of a few ms makes hangs "0.0 s" long in tenths: say those in ms. */
    if (ran_ns < 100000000ULL)
        snprintf(how_long, sizeof how_long, "%.0f ms", (double)ran_ns / 1e6);
    else
        snprintf(how_long, sizeof how_long, "%.1f s", (double)ran_ns / 1e9);
    snprintf(line, sizeof line,
             "loopstall: pid %d: event loop thread %d has been stuck for %s, %s\n",
             (int)w->rec->pid, (int)l->tid, how_long, what);
    if (w->say) w->say(w->ctx, line);
}

/* A loop thread that exited: its finished stalls and statistics go to the
 * store and its slot is freed for the next loop. */
static void retire(struct ls_watch *w, struct ls_loop *l, uint64_t now)
{
    struct ls_loop_summary sum;
    ls_loop_summarize(w->rec, l, now, &sum);
    sum.exited = 1;
    ls_store_add_gone(&w->store, &sum);
    struct ls_watch_loop *v = &w->loops[l - w->rec->loops];
    ls_proc_close(&v->sched_fd);
    ls_proc_close(&v->syscall_fd);
    memset(v, 0, sizeof *v);
    uint32_t zero_from = (uint32_t)offsetof(struct ls_loop, tid);
    memset((char *)l + zero_from, 0, sizeof *l - zero_from);
    atomic_store_explicit(&l->state, LS_SLOT_FREE, memory_order_release);
}

static int drain_one(struct ls_watch *w, struct ls_loop *l)
{
    int news = 0;
    uint32_t tail = atomic_load_explicit(&l->ring_tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&l->ring_head, memory_order_acquire);
    for (; tail != head; tail++) {
        ls_store_add(&w->store, &l->ring[tail % LS_RING]);
        news = 1;
    }
    atomic_store_explicit(&l->ring_tail, tail, memory_order_release);
    return news;
}

int ls_watch_drain(struct ls_watch *w)
{
    int news = 0;
    uint32_t n = atomic_load_explicit(&w->rec->nloops, memory_order_acquire);
    for (uint32_t i = 0; i < n && i < LS_MAX_LOOPS; i++) {
        struct ls_loop *l = &w->rec->loops[i];
        if (atomic_load_explicit(&l->state, memory_order_acquire) >= LS_SLOT_ACTIVE)
            news |= drain_one(w, l);
    }
    return news;
}

static int watch_loop(struct ls_watch *w, struct ls_loop *l, uint64_t now, uint64_t now_ns,
                      int *busy)
{
    struct ls_watch_loop *v = &w->loops[l - w->rec->loops];
    uint32_t state = atomic_load_explicit(&l->state, memory_order_acquire);
    if (state == LS_SLOT_GONE) {
        drain_one(w, l);
        retire(w, l, now);
        return LS_NEWS_SOME;
    }
    if (state != LS_SLOT_ACTIVE) return LS_NEWS_NONE;
    if (v->tid != l->tid) {
        ls_proc_close(&v->sched_fd);
        ls_proc_close(&v->syscall_fd);
        memset(v, 0, sizeof *v);
        v->tid = l->tid;
        v->alive_checked_ns = now_ns;
    }
    /* A thread that vanished without its exit being seen (the agent hears of
     * the threads it started; not of every other) is noticed here. */
    if (now_ns - v->alive_checked_ns > 1000000000ULL) {
        v->alive_checked_ns = now_ns;
        if (!ls_thread_alive(w->rec->pid, l->tid)) {
            drain_one(w, l);
            retire(w, l, now);
            return LS_NEWS_SOME;
        }
    }
    uint64_t seq = atomic_load_explicit(&l->iter_seq, memory_order_relaxed);
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_acquire);
    if (seq != v->seen_seq) {
        v->seen_seq = seq;
        *busy |= LS_WATCH_STIRRED;
    }
    if (!start || now < start) return LS_NEWS_NONE;
    *busy |= LS_WATCH_BUSY;
    const struct ls_record *r = w->rec;
    uint64_t ran = ls_rec_to_ns(r, now - start);
    if (ran < r->threshold_ns / 4) return LS_NEWS_NONE;
    *busy |= LS_WATCH_HOT;
    if (seq != v->snapped_seq) {
        v->snapped_seq = seq;
        snapshot_cpu(w, l, seq, start, now);
        v->samples = 0;
        v->sample_next_ns = r->threshold_ns / 2;
    }
    /* Samples from half a threshold on, an eighth of one apart until there are LS_SAMPLES (a
     * stall 1.4 thresholds long has them all, its whole length covered), then less often
     * as it drags on; past the cap, the last slots are reused so a hang shows where it is now.
     * An iteration that ends short of the threshold throws its few samples away. */
    if (ran >= v->sample_next_ns && paced(v, now_ns)) {
        uint32_t n = v->samples;
        uint32_t slot = n < LS_SAMPLES ? n : LS_SAMPLES / 2 + (n - LS_SAMPLES) % (LS_SAMPLES / 2);
        if (request_sample(w, l, slot)) {
            v->samples++;
            v->sample_credit_ns -= LS_SAMPLE_COST_NS;
        }
        uint64_t step = v->samples < LS_SAMPLES         ? r->threshold_ns / 8
                        : r->threshold_ns / 2 > ran / 4 ? r->threshold_ns / 2
                                                        : ran / 4;
        v->sample_next_ns = ran + step;
    }
    if (ran < r->threshold_ns) return LS_NEWS_NONE;
    int news = LS_NEWS_NONE;
    if (v->ongoing_seq != seq) {
        /* Newly past the threshold: news, written with the rest (at most once a
         * second); still ongoing LS_ONGOING_REFRESH_NS later, urgent, and its length
         * refreshed that often while it lasts. A storm of short stalls (10,000 of
         * 1.2 ms at 1 ms) so rewrites the report once a second, not at each one. */
        v->ongoing_seq = seq;
        v->ongoing_told_ns = now_ns;
        v->hang_told = 0;
        news = LS_NEWS_SOME;
    } else if (now_ns - v->ongoing_told_ns >= LS_ONGOING_REFRESH_NS) {
        v->ongoing_told_ns = now_ns;
        news = LS_NEWS_URGENT;
    }
    /* Name the call the loop is stuck in now, while /proc can still say. */
    uint64_t cur = atomic_load_explicit(&l->cur_start, memory_order_relaxed);
    if (atomic_load_explicit(&l->cur_fn, memory_order_acquire) >= 0 && cur != v->target_start) {
        ls_target_describe(w->pid, atomic_load_explicit(&l->cur_tkind, memory_order_relaxed),
                           atomic_load_explicit(&l->cur_target, memory_order_relaxed), v->target,
                           sizeof v->target);
        v->target_start = cur;
    }
    if (!v->hang_told && ran >= LS_HANG_FACTOR * r->threshold_ns) {
        v->hang_told = 1;
        tell_hang(w, l, ran);
    }
    return news;
}

int ls_watch_all_waiting(const struct ls_watch *w)
{
    uint32_t n = atomic_load_explicit(&w->rec->nloops, memory_order_acquire);
    for (uint32_t i = 0; i < n && i < LS_MAX_LOOPS; i++) {
        const struct ls_loop *l = &w->rec->loops[i];
        if (atomic_load_explicit(&l->state, memory_order_acquire) != LS_SLOT_ACTIVE) continue;
        if (atomic_load_explicit(&l->iter_start, memory_order_acquire) ||
            atomic_load_explicit(&l->iter_seq, memory_order_relaxed) != w->loops[i].seen_seq)
            return 0;
    }
    return 1;
}

/* The clock's rate is refined ten times a second, not at every tick: its error shrinks with the
 * time since the base pair, not with how often it is measured, and the five pairs of reads cost a
 * storm's watcher (a tick every half millisecond) 3% of its CPU. */
#define LS_REFINE_INTERVAL_NS 100000000ULL

int ls_watch_tick(struct ls_watch *w, uint64_t now, int *busy)
{
    int news = LS_NEWS_NONE;
    uint64_t now_ns = ls_mono_ns();
    *busy = 0;
    if (now_ns - w->refined_ns >= LS_REFINE_INTERVAL_NS) {
        w->refined_ns = now_ns;
        ls_clock_refine(w->rec);
    }
    uint32_t n = atomic_load_explicit(&w->rec->nloops, memory_order_acquire);
    for (uint32_t i = 0; i < n && i < LS_MAX_LOOPS; i++) {
        int r = watch_loop(w, &w->rec->loops[i], now, now_ns, busy);
        if (r > news) news = r;
    }
    if (ls_watch_drain(w) && news < LS_NEWS_SOME) news = LS_NEWS_SOME;
    return news;
}

/* Copies the iteration's finished calls while the loop thread may be adding
 * one: it bumps calls_seq around each change (odd while it writes), so a copy
 * taken between two equal even values is whole. */
static uint32_t copy_calls(const struct ls_loop *l, struct ls_call_rec *out)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        uint32_t s1 = atomic_load_explicit(&l->calls_seq, memory_order_acquire);
        if (s1 & 1) continue;
        uint32_t n = l->ncalls < LS_STALL_CALLS ? l->ncalls : LS_STALL_CALLS;
        memcpy(out, l->calls, n * sizeof *out);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&l->calls_seq, memory_order_relaxed) == s1) return n;
    }
    return 0;
}

int ls_watch_in_progress(const struct ls_watch *w, const struct ls_loop *l, uint64_t now, int ended,
                         struct ls_stall_rec *s)
{
    const struct ls_record *r = w->rec;
    if (atomic_load_explicit(&l->state, memory_order_acquire) != LS_SLOT_ACTIVE) return 0;
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_acquire);
    if (!start || now <= start || ls_rec_to_ns(r, now - start) < r->threshold_ns) return 0;
    memset(s, 0, offsetof(struct ls_stall_rec, calls));
    s->tid = l->tid;
    s->ongoing = !ended;
    s->startup = !atomic_load_explicit(&l->idle_seen, memory_order_relaxed);
    s->start_ns = ls_rec_to_ns(r, start - r->start_ticks);
    s->wall_ns = ls_rec_to_ns(r, now - start);
    s->injected_ns = atomic_load_explicit(&l->injected_ns, memory_order_relaxed);
    s->call_count = atomic_load_explicit(&l->call_count, memory_order_relaxed);
    uint64_t blocked = atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed);
    s->ncalls = (uint8_t)copy_calls(l, s->calls);
    for (uint32_t i = 0; i < s->ncalls; i++)
        s->calls[i].target[LS_TARGET_MAX - 1] = '\0';
    /* The call in progress, if any, comes first: it is what the loop is stuck in. */
    int fn = atomic_load_explicit(&l->cur_fn, memory_order_acquire);
    uint64_t cur = atomic_load_explicit(&l->cur_start, memory_order_relaxed);
    if (fn >= 0 && fn < LS_FN_COUNT && cur >= start && cur <= now) {
        if (s->ncalls == LS_STALL_CALLS) s->ncalls--;
        memmove(&s->calls[1], &s->calls[0], s->ncalls * sizeof s->calls[0]);
        struct ls_call_rec *c = &s->calls[0];
        memset(c, 0, offsetof(struct ls_call_rec, stack) + sizeof c->stack.n + sizeof c->stack.npy);
        c->stack.n = c->stack.npy = 0;
        c->fn = (int16_t)fn;
        c->rule = -1;
        c->start_ns = ls_rec_to_ns(r, cur - start);
        c->wall_ns = ls_rec_to_ns(r, now - cur);
        const struct ls_watch_loop *v = &w->loops[l - r->loops];
        if (v->target_start == cur && v->target[0])
            memcpy(c->target, v->target, sizeof c->target);
        else
            ls_target_describe(w->pid, atomic_load_explicit(&l->cur_tkind, memory_order_relaxed),
                               atomic_load_explicit(&l->cur_target, memory_order_relaxed),
                               c->target, sizeof c->target);
        s->ncalls++;
        blocked += now - cur;
    }
    s->blocked_ns = ls_rec_to_ns(r, blocked);
    if (s->blocked_ns > s->wall_ns) s->blocked_ns = s->wall_ns;
    ls_stall_fill_cpu(r, w->pid, l, atomic_load_explicit(&l->iter_seq, memory_order_relaxed), s);
    ls_stall_copy_samples(l, s);
    return 1;
}
