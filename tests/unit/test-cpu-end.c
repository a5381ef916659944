/* test-cpu-end.c -- the CPU split a loop thread makes at the end of its stall (watcher/cpu.c),
 * on this thread's real clocks, with a watcher outside's snapshot (schedstat) and the sampling
 * handler's note: time off the CPU after the note counts as waiting for one where the thread has
 * not slept since (the hypervisor took its CPU), and as neither where it slept; the same for a
 * stall still running that the loop thread itself fills (a fatal signal's report), never for one
 * another thread fills, which cannot read the loop thread's count of sleeps.
 *
 * A hypervisor's steal cannot be ordered up, so the one case that stands for it dates the note
 * 30 ms back with the thread's CPU clock and sleep count as they are now: 30 ms that its clock
 * does not count and that it did not sleep, which is what steal time leaves. The other cases
 * take the note for real and spin or sleep after it. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "clock.h"
#include "cpu.h"
#include "procfs.h"

#define MS 1000000ULL

static struct ls_record *rec;
static struct ls_loop *loop;

/* A record on CLOCK_MONOTONIC (a tick is a nanosecond) and one slot for this thread, in an
 * iteration begun now, with a watcher outside's snapshot of it taken now. */
static void begin_iteration(void)
{
    rec = calloc(1, sizeof *rec);
    cr_assert_not_null(rec);
    rec->pid = getpid();
    rec->use_tsc = 0;
    loop = &rec->loops[0];
    loop->tid = gettid();
    atomic_store(&loop->cur_fn, -1);
    uint64_t now = ls_rec_ticks(rec), cpu, runq;
    atomic_store(&loop->iter_seq, 7);
    atomic_store(&loop->iter_start, now);
    cr_assert_eq(ls_sched_times(rec->pid, loop->tid, &cpu, &runq), 0);
    atomic_store(&loop->snap_cpu_ns, cpu);
    atomic_store(&loop->snap_runq_ns, runq);
    atomic_store(&loop->snap_ticks, now);
    atomic_store(&loop->snap_seq, 7);
}

static void spin_ms(uint64_t ms)
{
    uint64_t end = ls_mono_ns() + ms * MS;
    while (ls_mono_ns() < end) {
    }
}

/* The stall as the loop thread ends it now, and its class. */
static struct ls_stall_rec end_stall(enum ls_class *class)
{
    struct ls_stall_rec s = {0};
    s.wall_ns = ls_rec_to_ns(rec, ls_rec_ticks(rec) - atomic_load(&loop->iter_start));
    ls_stall_fill_cpu_at_end(rec, loop, 7, &s);
    *class = ls_classify(s.wall_ns, s.cpu_ns, s.runq_ns, s.blocked_ns);
    free(rec);
    return s;
}

/* The note of begin_iteration's iteration dated 30 ms back, as steal time leaves it. */
static void note_30_ms_ago(void)
{
    uint64_t cpu, sleeps;
    ls_cpu_note_exact_here(rec, loop);
    cr_assert_eq(atomic_load(&loop->exact_seq), 7, "the handler took its note");
    cr_assert_eq(ls_thread_cpu_ns_here(loop->tid, &cpu), 0);
    cr_assert_eq(ls_thread_sleeps_here(&sleeps), 0);
    atomic_store(&loop->iter_start, atomic_load(&loop->iter_start) - 30 * MS);
    atomic_store(&loop->exact_ticks, ls_rec_ticks(rec) - 30 * MS);
    atomic_store(&loop->exact_cpu_ns, cpu);
    atomic_store(&loop->exact_sleeps, sleeps);
}

/* The stall still running, as a watcher in the host fills it (an exact snapshot), on this
 * thread: what the agent reports of a stall that a fatal signal cut short. */
static struct ls_stall_rec ongoing_stall(void)
{
    uint64_t cpu;
    cr_assert_eq(ls_thread_cpu_ns_here(loop->tid, &cpu), 0);
    atomic_store(&loop->snap_cpu_ns, cpu);
    atomic_store(&loop->snap_pre_ns, 0);
    atomic_store(&loop->snap_exact, 1);
    struct ls_stall_rec s = {0};
    s.wall_ns = ls_rec_to_ns(rec, ls_rec_ticks(rec) - atomic_load(&loop->iter_start));
    ls_stall_fill_cpu(rec, 0, loop, 7, &s);
    return s;
}

Test(cpu_end, time_kept_from_a_thread_that_never_slept_counts_as_waiting_for_a_cpu)
{
    begin_iteration();
    spin_ms(5);
    note_30_ms_ago();
    enum ls_class class;
    struct ls_stall_rec s = end_stall(&class);
    cr_expect_geq(s.runq_ns, 29 * MS, "%.1f ms waiting for a CPU", s.runq_ns / 1e6);
    cr_expect_leq(s.cpu_ns + s.runq_ns, s.wall_ns);
    cr_expect_eq(class, LS_CLASS_CPU, "%.1f ms: %.1f cpu, %.1f waiting", s.wall_ns / 1e6,
                 s.cpu_ns / 1e6, s.runq_ns / 1e6);
}

Test(cpu_end, a_stall_cut_short_on_the_loop_thread_counts_the_time_kept_from_it_too)
{
    begin_iteration();
    note_30_ms_ago();
    struct ls_stall_rec s = ongoing_stall();
    cr_expect_geq(s.runq_ns, 29 * MS, "%.1f ms waiting for a CPU", s.runq_ns / 1e6);
    free(rec);
}

static void *fill_elsewhere(void *out)
{
    /* This thread's count of sleeps made the note's, so that only the check of which thread
     * fills stands between its count and the loop thread's. */
    uint64_t sleeps;
    cr_assert_eq(ls_thread_sleeps_here(&sleeps), 0);
    atomic_store(&loop->exact_sleeps, sleeps);
    *(struct ls_stall_rec *)out = ongoing_stall();
    return NULL;
}

Test(cpu_end, another_thread_filling_the_stall_cannot_tell_the_loop_threads_sleeps)
{
    begin_iteration();
    note_30_ms_ago();
    pthread_t t;
    struct ls_stall_rec s;
    cr_assert_eq(pthread_create(&t, NULL, fill_elsewhere, &s), 0);
    pthread_join(t, NULL);
    cr_expect_lt(s.runq_ns, 10 * MS, "%.1f ms waiting for a CPU", s.runq_ns / 1e6);
    free(rec);
}

Test(cpu_end, a_thread_that_slept_after_the_note_has_that_time_counted_as_neither)
{
    begin_iteration();
    spin_ms(5);
    ls_cpu_note_exact_here(rec, loop);
    cr_assert_eq(atomic_load(&loop->exact_seq), 7);
    struct timespec nap = {0, 40 * MS}; /* a sleep no intercepted call saw: a lock, a page in */
    nanosleep(&nap, NULL);
    enum ls_class class;
    struct ls_stall_rec s = end_stall(&class);
    cr_expect_geq(s.wall_ns, 45 * MS);
    cr_expect_lt(s.runq_ns, 10 * MS, "%.1f ms counted as waiting for a CPU", s.runq_ns / 1e6);
    cr_expect_lt(s.cpu_ns + s.runq_ns, s.wall_ns / 2, "%.1f cpu, %.1f waiting of %.1f ms",
                 s.cpu_ns / 1e6, s.runq_ns / 1e6, s.wall_ns / 1e6);
    cr_expect_neq(class, LS_CLASS_CPU);
}

Test(cpu_end, a_thread_that_spun_after_the_note_is_all_cpu)
{
    begin_iteration();
    spin_ms(5);
    ls_cpu_note_exact_here(rec, loop);
    spin_ms(30);
    enum ls_class class;
    struct ls_stall_rec s = end_stall(&class);
    cr_expect_eq(class, LS_CLASS_CPU, "%.1f ms: %.1f cpu, %.1f waiting", s.wall_ns / 1e6,
                 s.cpu_ns / 1e6, s.runq_ns / 1e6);
    cr_expect_geq(s.cpu_ns + s.runq_ns, s.wall_ns * 9 / 10);
}

Test(cpu_end, the_handler_notes_nothing_inside_an_intercepted_call)
{
    begin_iteration();
    atomic_store(&loop->cur_fn, 0);
    ls_cpu_note_exact_here(rec, loop);
    cr_expect_neq(atomic_load(&loop->exact_seq), 7);
    free(rec);
}
