/* report.c -- write this process's report: its loops, stalls (finished and ongoing), sites, rules.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "inject.h"
#include "json_out.h"
#include "modules.h"
#include "site_id.h"
#include "store.h"
#include "threads.h"
#include "ticks.h"

static ssize_t raw_write(int fd, const void *buf, size_t len)
{
    return syscall(SYS_write, fd, buf, len);
}

static int raw_open(const char *path, int flags, int mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

static void raw_close(int fd)
{
    syscall(SYS_close, fd);
}

/* Reads a small /proc file into buf (NUL-terminated); returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = raw_open(path, O_RDONLY, 0);
    if (fd < 0) return -1;
    ssize_t total = 0, n;
    while ((size_t)total < len - 1 &&
           (n = syscall(SYS_read, fd, buf + total, len - 1 - (size_t)total)) > 0)
        total += n;
    raw_close(fd);
    buf[total] = '\0';
    return total;
}

static void write_frames(struct ls_json *j, const char *key, const struct ls_frames *f)
{
    ls_json_begin_array(j, key);
    for (uint32_t i = 0; f && i < f->n; i++) {
        struct ls_frame_info fi;
        ls_modules_lookup(f->ip[i], &fi);
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "symbol", fi.symbol);
        ls_json_string(j, "module", fi.module);
        ls_json_hex(j, "offset", fi.offset);
        if (fi.build_id) ls_json_string(j, "build_id", fi.build_id);
        if (!fi.module) ls_json_hex(j, "address", f->ip[i]);
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
}

static void write_argv(struct ls_json *j, const char *key)
{
    static char buf[16384];
    ssize_t n = read_small("/proc/self/cmdline", buf, sizeof buf);
    ls_json_begin_array(j, key);
    for (ssize_t i = 0; i < n;) {
        ls_json_string(j, NULL, buf + i);
        i += (ssize_t)strlen(buf + i) + 1;
    }
    ls_json_end_array(j);
}

/* The iteration time below which a fraction q of iterations fall, from the histogram. */
static uint64_t percentile(const struct ls_loop *l, double q)
{
    uint64_t total = 0;
    for (int b = 0; b < LS_HIST_BUCKETS; b++)
        total += l->hist[b];
    if (!total) return 0;
    uint64_t rank = (uint64_t)(q * (double)total + 0.5);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < LS_HIST_BUCKETS; b++) {
        seen += l->hist[b];
        if (seen < rank) continue;
        if (b < (1 << LS_HIST_SUB_BITS)) return (uint64_t)b;
        unsigned shift = (unsigned)(b >> LS_HIST_SUB_BITS) - 1;
        uint64_t sub = (uint64_t)(b & ((1 << LS_HIST_SUB_BITS) - 1)) + (1u << LS_HIST_SUB_BITS);
        uint64_t mid = (sub << shift) + ((1ULL << shift) >> 1);
        return mid > l->max_ns ? l->max_ns : mid;
    }
    return l->max_ns;
}

static void write_loop(struct ls_json *j, const struct ls_loop *l, uint64_t now)
{
    char path[64], name[32];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)l->tid);
    /* The current name if the thread is still here (threads rename themselves), else the one it
     * had. */
    if (atomic_load(&l->state) != LS_SLOT_ACTIVE || read_small(path, name, sizeof name) <= 0)
        snprintf(name, sizeof name, "%s", l->name[0] ? l->name : "?");
    name[strcspn(name, "\n")] = '\0';
    ls_json_begin_object(j, NULL);
    ls_json_int(j, "tid", l->tid);
    ls_json_string(j, "name", name);
    ls_json_int(j, "fd", l->loop_fd);
    ls_json_uint(j, "iterations", l->iterations);
    ls_json_uint(j, "busy_ns", l->busy_ns);
    ls_json_uint(j, "observed_ns", ls_ticks_to_ns(now - l->adopted_ticks));
    ls_json_begin_object(j, "iteration_ns");
    ls_json_uint(j, "p50", percentile(l, 0.50));
    ls_json_uint(j, "p99", percentile(l, 0.99));
    ls_json_uint(j, "max", l->max_ns);
    ls_json_end_object(j);
    ls_json_bool(j, "exited", atomic_load(&l->state) == LS_SLOT_GONE);
    ls_json_uint(j, "dropped", atomic_load(&l->ring_dropped));
    ls_json_end_object(j);
}

static void write_stall(struct ls_json *j, const struct ls_stall_rec *s)
{
    ls_json_begin_object(j, NULL);
    ls_json_int(j, "tid", s->tid);
    ls_json_uint(j, "start_ns", s->start_ns);
    ls_json_uint(j, "wall_ns", s->wall_ns);
    ls_json_uint(j, "cpu_ns", s->cpu_ns);
    ls_json_uint(j, "runq_ns", s->runq_ns);
    ls_json_uint(j, "blocked_ns", s->blocked_ns);
    ls_json_uint(j, "injected_ns", s->injected_ns);
    ls_json_string(j, "class", ls_class_name(ls_stall_class(s)));
    ls_json_bool(j, "ongoing", s->ongoing);
    ls_json_uint(j, "call_count", s->call_count);
    ls_json_begin_array(j, "calls");
    for (int i = 0; i < s->ncalls; i++) {
        const struct ls_call_rec *c = &s->calls[i];
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "fn", ls_calls[c->fn].name);
        ls_json_string(j, "family", ls_family_name(ls_calls[c->fn].family));
        ls_json_uint(j, "wall_ns", c->wall_ns);
        ls_json_uint(j, "offset_ns", c->start_ns);
        ls_json_string(j, "target", c->target[0] ? c->target : NULL);
        if (c->rule >= 0) {
            ls_json_uint(j, "injected_ns", c->injected_ns);
            ls_json_string(j, "rule", ls_inject_rule(c->rule)->text);
        }
        write_frames(j, "stack", &c->stack);
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
    write_frames(j, "stack", ls_stall_stack(s));
    ls_json_begin_array(j, "samples");
    for (int i = 0; i < s->nsamples; i++)
        write_frames(j, NULL, &s->samples[i]);
    ls_json_end_array(j);
    ls_json_end_object(j);
}

/* Builds the view of an iteration still running past the threshold. */
static int ongoing_stall(struct ls_loop *l, uint64_t now, struct ls_stall_rec *s)
{
    if (atomic_load(&l->state) != LS_SLOT_ACTIVE) return 0;
    uint64_t start = atomic_load_explicit(&l->iter_start, memory_order_acquire);
    if (!start || now <= start || ls_ticks_to_ns(now - start) < ls_cfg.threshold_ns) return 0;
    memset(s, 0, sizeof *s);
    s->tid = l->tid;
    s->ongoing = 1;
    s->start_ns = ls_ticks_to_ns(start - ls_start_ticks);
    s->wall_ns = ls_ticks_to_ns(now - start);
    s->injected_ns = l->injected_ns;
    s->call_count = l->call_count;
    uint64_t blocked = atomic_load_explicit(&l->blocked_ticks, memory_order_relaxed);
    /* Finished calls of this iteration (a racy copy: the loop may be adding one). */
    uint32_t n = l->ncalls < LS_STALL_CALLS ? l->ncalls : LS_STALL_CALLS;
    for (uint32_t i = 0; i < n; i++) {
        s->calls[s->ncalls] = l->calls[i];
        s->calls[s->ncalls].target[LS_TARGET_MAX - 1] = '\0';
        s->ncalls++;
    }
    /* The call in progress, if any, comes first: it is what the loop is stuck in. */
    int fn = atomic_load_explicit(&l->cur_fn, memory_order_acquire);
    uint64_t cur = atomic_load_explicit(&l->cur_start, memory_order_relaxed);
    if (fn >= 0 && cur >= start && cur <= now) {
        if (s->ncalls == LS_STALL_CALLS) s->ncalls--;
        memmove(&s->calls[1], &s->calls[0], s->ncalls * sizeof s->calls[0]);
        struct ls_call_rec *c = &s->calls[0];
        memset(c, 0, sizeof *c);
        c->fn = (int16_t)fn;
        c->rule = -1;
        c->start_ns = ls_ticks_to_ns(cur - start);
        c->wall_ns = ls_ticks_to_ns(now - cur);
        ls_target_of(l->cur_tkind, l->cur_target, l->cur_target_text, c->target, sizeof c->target);
        s->ncalls++;
        blocked += now - cur;
    }
    s->blocked_ns = ls_ticks_to_ns(blocked);
    if (s->blocked_ns > s->wall_ns) s->blocked_ns = s->wall_ns;
    ls_stall_fill_live(l, atomic_load_explicit(&l->iter_seq, memory_order_relaxed), s);
    return 1;
}

static void write_site(struct ls_json *j, const struct ls_site *site)
{
    const char *names[LS_FRAMES];
    size_t n = 0;
    for (uint32_t i = 0; i < site->stack.n; i++) {
        struct ls_frame_info fi;
        ls_modules_lookup(site->stack.ip[i], &fi);
        names[n++] = fi.symbol;
    }
    char id[LS_SITE_ID_LEN];
    const char *cls = ls_class_name(site->cls);
    const char *fn = site->fn >= 0 ? ls_calls[site->fn].name : NULL;
    ls_site_id(cls, fn, names, n, id);
    ls_json_begin_object(j, NULL);
    ls_json_string(j, "id", id);
    ls_json_string(j, "class", cls);
    ls_json_string(j, "fn", fn);
    ls_json_uint(j, "count", site->count);
    ls_json_uint(j, "total_ns", site->total_ns);
    ls_json_uint(j, "max_ns", site->max_ns);
    write_frames(j, "stack", &site->stack);
    ls_json_end_object(j);
}

static void write_document(struct ls_json *j)
{
    uint64_t now = ls_ticks();
    ls_json_begin_object(j, NULL);
    ls_json_string(j, "schema", "loopstall/1");
    ls_json_string(j, "tool_version", LOOPSTALL_VERSION);
    write_argv(j, "command");
    ls_json_null(j, "exit_status");
    ls_json_uint(j, "threshold_ns", ls_cfg.threshold_ns);
    ls_json_begin_array(j, "processes");
    ls_json_begin_object(j, NULL);
    ls_json_int(j, "pid", ls_pid);
    ls_json_int(j, "ppid", getppid());
    write_argv(j, "argv");
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    ls_json_string(j, "exe", exe);
    ls_json_uint(j, "uptime_ns", ls_ticks_to_ns(now - ls_start_ticks));

    ls_json_begin_array(j, "loops");
    for (int i = 0; i < LS_MAX_LOOPS; i++)
        if (atomic_load(&ls_loops[i].state) >= LS_SLOT_ACTIVE) write_loop(j, &ls_loops[i], now);
    ls_json_end_array(j);

    ls_json_begin_array(j, "stalls");
    for (uint32_t i = 0; i < ls_store.nkept; i++)
        write_stall(j, &ls_store.kept[i]);
    static struct ls_stall_rec live; /* under the report lock */
    for (int i = 0; i < LS_MAX_LOOPS; i++)
        if (ongoing_stall(&ls_loops[i], now, &live)) write_stall(j, &live);
    ls_json_end_array(j);

    /* Strict mode: every blocking-category call seen on a loop, however short. */
    ls_json_begin_array(j, "blocking_calls");
    for (int i = 0; i < LS_MAX_LOOPS; i++) {
        struct ls_loop *l = &ls_loops[i];
        if (atomic_load(&l->state) < LS_SLOT_ACTIVE) continue;
        uint32_t nstrict = atomic_load_explicit(&l->nstrict, memory_order_acquire);
        for (uint32_t k = 0; k < nstrict; k++) {
            const struct ls_strict *s = &l->strict[k];
            ls_json_begin_object(j, NULL);
            ls_json_int(j, "tid", l->tid);
            ls_json_string(j, "fn", ls_calls[s->fn].name);
            ls_json_string(j, "family", ls_family_name(ls_calls[s->fn].family));
            ls_json_string(j, "target", s->target[0] ? s->target : NULL);
            ls_json_uint(j, "count", s->count);
            ls_json_uint(j, "total_ns", s->total_ns);
            ls_json_uint(j, "max_ns", s->max_ns);
            write_frames(j, "stack", &s->stack);
            ls_json_end_object(j);
        }
    }
    ls_json_end_array(j);

    ls_json_begin_array(j, "sites");
    for (uint32_t i = 0; i < ls_store.nsites; i++)
        write_site(j, &ls_store.sites[i]);
    ls_json_end_array(j);

    ls_json_begin_array(j, "injections");
    for (int i = 0; i < ls_inject_rule_count(); i++) {
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "rule", ls_inject_rule(i)->text);
        ls_json_uint(j, "fired", ls_inject_fired(i));
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
    ls_json_begin_object(j, "threads");
    ls_json_uint(j, "created", atomic_load(&ls_fanout.created));
    ls_json_uint(j, "peak_live", atomic_load(&ls_fanout.peak));
    ls_json_uint(j, "limit", ls_fanout.limit);
    ls_json_end_object(j);
    ls_json_begin_array(j, "findings");
    if (atomic_load(&ls_fanout.found)) {
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "kind", "unbounded_fanout");
        ls_json_uint(j, "peak_live_threads", atomic_load(&ls_fanout.peak));
        ls_json_uint(j, "limit", ls_fanout.limit);
        ls_json_uint(j, "created", atomic_load(&ls_fanout.created));
        ls_json_uint(j, "first_ns", ls_fanout.first_ns);
        ls_json_bool(j, "from_loop", ls_fanout.from_loop);
        write_frames(j, "stack", &ls_fanout.stack);
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
    uint64_t dropped = ls_store.dropped + atomic_load(&ls_dropped);
    for (int i = 0; i < LS_MAX_LOOPS; i++)
        dropped += atomic_load(&ls_loops[i].ring_dropped);
    ls_json_uint(j, "dropped", dropped);
    ls_json_end_object(j);
    ls_json_end_array(j);
    ls_json_end_object(j);
}

int ls_report_write_locked(void)
{
    static int told; /* one line on stderr for the first failure, then quiet */
    static struct ls_json j;
    char path[1200], tmp[1200];
    snprintf(path, sizeof path, "%s/loopstall.%d.json", ls_cfg.out_dir, (int)ls_pid);
    snprintf(tmp, sizeof tmp, "%s/.loopstall.%d.json.tmp", ls_cfg.out_dir, (int)ls_pid);
    int fd = raw_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = fd < 0 ? -errno : 0;
    if (fd >= 0) {
        ls_modules_refresh();
        ls_json_init(&j, fd, raw_write);
        write_document(&j);
        raw_write(fd, "\n", 0);
        err = ls_json_finish(&j);
        raw_close(fd);
        if (!err && syscall(SYS_rename, tmp, path) != 0) err = -errno;
        if (err) syscall(SYS_unlink, tmp);
    }
    if (err && !told) {
        told = 1;
        char msg[1400];
        int m = snprintf(msg, sizeof msg, "loopstall: cannot write %s: %s\n", path, strerror(-err));
        raw_write(2, msg, (size_t)m);
    }
    return err;
}
