/* write.c -- write one image's loopstall/1 document from its record and the watcher's store. */
#include "write.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "calls.h"
#include "classify.h"
#include "clock.h"
#include "modules_lookup.h"
#include "procfs.h"
#include "pynames.h"

/* The writer runs on the watcher's one thread; these are too big for its stack. */
static struct ls_module modtab[LS_MODULES];
static uint32_t nmod;
static struct ls_stall_rec live;
static char argvbuf[LS_ARGV_MAX + 1];

static void write_native_frame(struct ls_json *j, uint64_t ip)
{
    const struct ls_module *m = ls_module_of(modtab, nmod, ip);
    ls_json_begin_object(j, NULL);
    ls_json_null(j, "symbol");
    ls_json_string(j, "module", m ? m->path : NULL);
    ls_json_hex(j, "offset", m ? ip - m->base : ip);
    if (m && m->build_id[0]) ls_json_string(j, "build_id", m->build_id);
    if (!m) ls_json_hex(j, "address", ip);
    ls_json_end_object(j);
}

static void write_py_frame(struct ls_json *j, const struct ls_record *r, const struct ls_pyframe *f)
{
    const char *q = NULL, *file = NULL;
    int first = 0;
    int named = ls_pyname_get(r, f->name, &q, &file, &first);
    ls_json_begin_object(j, NULL);
    ls_json_string(j, "lang", "python");
    ls_json_string(j, "symbol", named ? q : NULL);
    ls_json_string(j, "file", named ? file : NULL);
    if (f->line > 0) {
        ls_json_int(j, "line", f->line);
    } else if (named && first > 0) {
        ls_json_int(j, "line", first);
        ls_json_string(j, "line_is", "function_start");
    }
    ls_json_end_object(j);
}

/* Interpreter frames stand where the interpreter's eval loop was on the
 * native stack (py-spy's merge rule, ls_py_merge): one stack reads from the
 * blocking call down to main. */
static void write_stack(struct ls_json *j, const struct ls_record *r, const char *key,
                        const struct ls_stack *s)
{
    ls_json_begin_array(j, key);
    if (s) {
        int n = s->n < LS_FRAMES ? s->n : LS_FRAMES;
        int npy = s->npy < LS_PY_FRAMES ? s->npy : LS_PY_FRAMES;
        if (npy && atomic_load_explicit(&r->py_ready, memory_order_acquire)) {
            struct ls_py_raw raw[LS_PY_FRAMES];
            for (int i = 0; i < npy; i++)
                raw[i] = (struct ls_py_raw){.code = s->py[i].code,
                                            .lasti = s->py[i].lasti,
                                            .entry = (uint8_t)s->py[i].entry};
            struct ls_py_slot order[LS_FRAMES + LS_PY_FRAMES];
            int m = ls_py_merge(&r->py_layout, s->ip, n, raw, npy, order,
                                (int)(sizeof order / sizeof order[0]));
            for (int i = 0; i < m; i++) {
                if (order[i].python)
                    write_py_frame(j, r, &s->py[order[i].index]);
                else
                    write_native_frame(j, s->ip[order[i].index]);
            }
        } else {
            for (int i = 0; i < n; i++)
                write_native_frame(j, s->ip[i]);
        }
    }
    ls_json_end_array(j);
}

/* Can /proc still speak for this image? Always for the agent's own process
 * (it writes before the image ends); for another process only while its
 * image runs: after an exec /proc shows the next image, after an exit
 * nothing (or a stranger that got the pid). */
static int proc_is_this_image(const struct ls_watch *w, enum ls_image_end end)
{
    return w->pid == 0 || end == LS_END_RUNNING;
}

/* argv as the process shows it now (a server renames itself after its
 * start), or as it was at load; trailing padding trimmed. */
static void write_argv(struct ls_json *j, const struct ls_watch *w, const char *key,
                       enum ls_image_end end)
{
    char path[64];
    ls_proc_path(path, sizeof path, w->pid, 0, "cmdline");
    ssize_t n = proc_is_this_image(w, end) ? ls_read_small(path, argvbuf, sizeof argvbuf) : 0;
    if (n <= 0) {
        n = w->rec->argv_len < LS_ARGV_MAX ? w->rec->argv_len : LS_ARGV_MAX;
        memcpy(argvbuf, w->rec->argv, (size_t)n);
    }
    argvbuf[n] = '\0';
    /* nginx and others write their title over argv and pad it with spaces or NULs. */
    while (n > 0 && (argvbuf[n - 1] == '\0' || argvbuf[n - 1] == ' '))
        argvbuf[--n] = '\0';
    ls_json_begin_array(j, key);
    for (ssize_t i = 0; i < n;) {
        size_t len = strlen(argvbuf + i);
        char *e = argvbuf + i + len;
        while (e > argvbuf + i && e[-1] == ' ')
            *--e = '\0';
        ls_json_string(j, NULL, argvbuf + i);
        i += (ssize_t)len + 1;
    }
    ls_json_end_array(j);
}

static void write_hist(struct ls_json *j, const struct ls_loop *l)
{
    ls_json_begin_object(j, "iteration_hist");
    ls_json_uint(j, "bucket_bits", LS_HIST_SUB_BITS);
    ls_json_begin_array(j, "counts");
    for (int b = 0; b < LS_HIST_BUCKETS; b++) {
        uint32_t c = atomic_load_explicit(&l->hist[b], memory_order_relaxed);
        if (!c) continue;
        ls_json_begin_array(j, NULL);
        ls_json_uint(j, NULL, (uint64_t)b);
        ls_json_uint(j, NULL, c);
        ls_json_end_array(j);
    }
    ls_json_end_array(j);
    ls_json_end_object(j);
}

static void write_loop(struct ls_json *j, const struct ls_watch *w, const struct ls_loop_summary *s,
                       const struct ls_loop *l, enum ls_image_end end)
{
    char name[32];
    memcpy(name, s->name, sizeof s->name);
    name[sizeof s->name] = '\0';
    if (l && proc_is_this_image(w, end)) {
        /* The current name while the thread is here (threads rename themselves). */
        char path[64], now[32];
        ls_proc_path(path, sizeof path, w->pid, l->tid, "comm");
        if (ls_read_small(path, now, sizeof now) > 0) {
            now[strcspn(now, "\n")] = '\0';
            memcpy(name, now, sizeof name);
        }
    }
    ls_json_begin_object(j, NULL);
    ls_json_int(j, "tid", s->tid);
    ls_json_string(j, "name", name[0] ? name : "?");
    ls_json_int(j, "fd", s->fd);
    ls_json_uint(j, "iterations", s->iterations);
    ls_json_uint(j, "busy_ns", s->busy_ns);
    ls_json_uint(j, "observed_ns", s->observed_ns);
    ls_json_begin_object(j, "iteration_ns");
    ls_json_uint(j, "p50", s->p50_ns);
    ls_json_uint(j, "p99", s->p99_ns);
    ls_json_uint(j, "max", s->max_ns);
    ls_json_end_object(j);
    if (l) write_hist(j, l);
    ls_json_bool(j, "exited", s->exited);
    ls_json_uint(j, "dropped", s->dropped);
    ls_json_end_object(j);
}

static void write_stall(struct ls_json *j, const struct ls_record *r, const struct ls_stall_rec *s)
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
    ls_json_string(j, "phase", s->startup ? "startup" : "serving");
    ls_json_bool(j, "ongoing", s->ongoing);
    ls_json_uint(j, "call_count", s->call_count);
    ls_json_begin_array(j, "calls");
    for (int i = 0; i < s->ncalls && i < LS_STALL_CALLS; i++) {
        const struct ls_call_rec *c = &s->calls[i];
        if (c->fn < 0 || c->fn >= LS_FN_COUNT) continue;
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "fn", ls_calls[c->fn].name);
        ls_json_string(j, "family", ls_family_name(ls_calls[c->fn].family));
        ls_json_uint(j, "wall_ns", c->wall_ns);
        ls_json_uint(j, "offset_ns", c->start_ns);
        ls_json_string(j, "target", c->target[0] ? c->target : NULL);
        if (c->rule >= 0 && (uint32_t)c->rule < r->nrules) {
            ls_json_uint(j, "injected_ns", c->injected_ns);
            ls_json_string(j, "rule", r->rule_text[c->rule]);
        }
        write_stack(j, r, "stack", &c->stack);
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
    write_stack(j, r, "stack", ls_stall_culprit_stack(s, NULL));
    ls_json_begin_array(j, "samples");
    for (int i = 0; i < s->nsamples && i < LS_SAMPLES; i++)
        write_stack(j, r, NULL, &s->samples[i]);
    ls_json_end_array(j);
    ls_json_end_object(j);
}

static void write_strict(struct ls_json *j, const struct ls_record *r)
{
    ls_json_begin_array(j, "blocking_calls");
    uint32_t nl = atomic_load_explicit(&r->nloops, memory_order_acquire);
    for (uint32_t i = 0; i < nl && i < LS_MAX_LOOPS; i++) {
        const struct ls_loop *l = &r->loops[i];
        if (atomic_load_explicit(&l->state, memory_order_acquire) < LS_SLOT_ACTIVE) continue;
        uint32_t n = atomic_load_explicit(&l->nstrict, memory_order_acquire);
        for (uint32_t k = 0; k < n && k < LS_STRICT_MAX; k++) {
            const struct ls_strict *s = &l->strict[k];
            if (s->fn < 0 || s->fn >= LS_FN_COUNT) continue;
            char target[LS_TARGET_MAX];
            memcpy(target, s->target, sizeof target);
            target[sizeof target - 1] = '\0';
            ls_json_begin_object(j, NULL);
            ls_json_int(j, "tid", l->tid);
            ls_json_string(j, "fn", ls_calls[s->fn].name);
            ls_json_string(j, "family", ls_family_name(ls_calls[s->fn].family));
            ls_json_string(j, "target", target[0] ? target : NULL);
            ls_json_uint(j, "count", s->count);
            ls_json_uint(j, "total_ns", s->total_ns);
            ls_json_uint(j, "max_ns", s->max_ns);
            write_stack(j, r, "stack", &s->stack);
            ls_json_end_object(j);
        }
    }
    ls_json_end_array(j);
}

static void write_folded(struct ls_json *j, const struct ls_watch *w)
{
    ls_json_begin_array(j, "folded");
    for (uint32_t i = 0; i < w->store.nfolded; i++) {
        const struct ls_folded *f = &w->store.folded[i];
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "class", ls_class_name((enum ls_class)f->cls));
        ls_json_string(j, "phase", f->startup ? "startup" : "serving");
        ls_json_string(j, "fn", f->fn >= 0 && f->fn < LS_FN_COUNT ? ls_calls[f->fn].name : NULL);
        ls_json_uint(j, "count", f->count);
        ls_json_uint(j, "total_ns", f->total_ns);
        ls_json_uint(j, "max_ns", f->max_ns);
        write_stack(j, w->rec, "stack", &f->stack);
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
}

static void write_findings(struct ls_json *j, const struct ls_record *r)
{
    ls_json_begin_object(j, "threads");
    ls_json_uint(j, "created", atomic_load_explicit(&r->fanout.created, memory_order_relaxed));
    ls_json_uint(j, "peak_live", atomic_load_explicit(&r->fanout.peak, memory_order_relaxed));
    ls_json_uint(j, "limit", r->thread_limit);
    ls_json_end_object(j);
    ls_json_begin_array(j, "findings");
    if (atomic_load_explicit(&r->fanout.found, memory_order_acquire)) {
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "kind", "unbounded_fanout");
        ls_json_uint(j, "peak_live_threads",
                     atomic_load_explicit(&r->fanout.peak, memory_order_relaxed));
        ls_json_uint(j, "limit", r->thread_limit);
        ls_json_uint(j, "created", atomic_load_explicit(&r->fanout.created, memory_order_relaxed));
        ls_json_uint(j, "first_ns", r->fanout.first_ns);
        ls_json_bool(j, "from_loop", r->fanout.from_loop);
        write_stack(j, r, "stack", &r->fanout.stack);
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
}

void ls_write_report(struct ls_json *j, struct ls_watch *w, uint64_t now, enum ls_image_end end)
{
    struct ls_record *r = w->rec;
    static const char *const ends[] = {NULL, "exit", "exec", "signal"};
    ls_modules_copy(r, modtab, &nmod);
    ls_json_begin_object(j, NULL);
    ls_json_string(j, "schema", "loopstall/1");
    ls_json_string(j, "tool_version", LOOPSTALL_VERSION);
    write_argv(j, w, "command", end);
    ls_json_null(j, "exit_status");
    ls_json_uint(j, "threshold_ns", r->threshold_ns);
    ls_json_begin_array(j, "processes");
    ls_json_begin_object(j, NULL);
    ls_json_int(j, "pid", r->pid);
    ls_json_int(j, "ppid", r->ppid);
    if (r->image) ls_json_uint(j, "image", r->image);
    write_argv(j, w, "argv", end);
    ls_json_string(j, "exe", r->exe[0] ? r->exe : NULL);
    ls_json_uint(j, "uptime_ns", now > r->start_ticks ? ls_rec_to_ns(r, now - r->start_ticks) : 0);
    if (end != LS_END_RUNNING) ls_json_string(j, "ended", ends[end]);

    ls_json_begin_array(j, "loops");
    for (uint32_t i = 0; i < w->store.ngone; i++)
        write_loop(j, w, &w->store.gone[i], NULL, end);
    uint32_t nl = atomic_load_explicit(&r->nloops, memory_order_acquire);
    for (uint32_t i = 0; i < nl && i < LS_MAX_LOOPS; i++) {
        const struct ls_loop *l = &r->loops[i];
        if (atomic_load_explicit(&l->state, memory_order_acquire) < LS_SLOT_ACTIVE) continue;
        struct ls_loop_summary s;
        ls_loop_summarize(r, l, now, &s);
        write_loop(j, w, &s, l, end);
    }
    ls_json_end_array(j);

    ls_json_begin_array(j, "stalls");
    for (uint32_t i = 0; i < w->store.nkept; i++)
        write_stall(j, r, &w->store.kept[i]);
    for (uint32_t i = 0; i < nl && i < LS_MAX_LOOPS; i++)
        /* Ended by exit or exec: the program itself finished the iteration.
         * Ended by a signal (abort, a fatal signal, a kill), or still running:
         * the stall was ongoing; its length runs to the end the agent saw (or
         * to when the watcher found the process gone). */
        if (ls_watch_in_progress(w, &r->loops[i], now, end == LS_END_EXIT || end == LS_END_EXEC,
                                 &live)) {
            /* Samples of a stall still running are named here, while the process lives. */
            for (uint32_t k = 0; k < live.nsamples; k++)
                ls_pynames_resolve(r, w->pid, &live.samples[k]);
            write_stall(j, r, &live);
        }
    ls_json_end_array(j);

    write_strict(j, r);
    write_folded(j, w);

    ls_json_begin_array(j, "injections");
    for (uint32_t i = 0; i < r->nrules && i < LS_MAX_RULES; i++) {
        ls_json_begin_object(j, NULL);
        ls_json_string(j, "rule", r->rule_text[i]);
        ls_json_uint(j, "fired", atomic_load_explicit(&r->rule_fired[i], memory_order_relaxed));
        ls_json_end_object(j);
    }
    ls_json_end_array(j);
    write_findings(j, r);
    ls_json_uint(j, "dropped",
                 w->store.folded_count + w->store.lost +
                     atomic_load_explicit(&r->stalls_dropped, memory_order_relaxed));
    ls_json_uint(j, "loops_dropped",
                 atomic_load_explicit(&r->loops_dropped, memory_order_relaxed) +
                     w->store.gone_lost);
    ls_json_end_object(j);
    ls_json_end_array(j);
    ls_json_end_object(j);
}

int ls_worth_a_report(const struct ls_watch *w, pid_t root_pid, enum ls_image_end end)
{
    const struct ls_record *r = w->rec;
    if (root_pid && r->pid == root_pid && end != LS_END_EXEC) return 1;
    if (atomic_load(&r->nloops) || w->store.ngone || w->store.nkept || w->store.nfolded) return 1;
    for (uint32_t i = 0; i < r->nrules && i < LS_MAX_RULES; i++)
        if (atomic_load(&r->rule_fired[i])) return 1;
    return atomic_load(&r->loops_dropped) != 0 || atomic_load(&r->fanout.found);
}
