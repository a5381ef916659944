/* test-store.c -- keep-worst and folding in watcher/store.c: the LS_KEEP longest stalls kept in
 * full, every other one folded into an aggregate of its cause, counts exact.
 *
 * A cause is the stall's class, its culprit call (none for cpu), whether it happened at
 * startup, and the innermost LS_FOLD_FRAMES frames of its culprit stack.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "store.h"

static void *zeroed(size_t n)
{
    return calloc(1, n);
}

static struct ls_store fresh(void *(*alloc)(size_t))
{
    struct ls_store st;
    memset(&st, 0, sizeof st);
    st.alloc = alloc;
    return st;
}

enum cause { READ_AT_A, WRITE_AT_B, CPU_AT_C, NCAUSES };

/* A stall of wall_ns with cause c: blocked in the call for blocking ones, on the CPU with one
 * sample for the cpu one. */
static void make(struct ls_stall_rec *s, enum cause c, uint64_t wall_ns)
{
    memset(s, 0, sizeof *s);
    s->tid = 100;
    s->wall_ns = wall_ns;
    if (c == CPU_AT_C) {
        s->cpu_ns = wall_ns;
        s->nsamples = 1;
        s->samples[0].n = 2;
        s->samples[0].ip[0] = 0xc000;
        s->samples[0].ip[1] = 0xc100;
        return;
    }
    s->blocked_ns = wall_ns;
    s->ncalls = 1;
    s->calls[0].fn = c == READ_AT_A ? LS_FN_read : LS_FN_write;
    s->calls[0].rule = -1;
    s->calls[0].wall_ns = wall_ns;
    s->calls[0].stack.n = 2;
    s->calls[0].stack.ip[0] = c == READ_AT_A ? 0xa000 : 0xb000;
    s->calls[0].stack.ip[1] = 0xa100;
}

static const struct ls_folded *aggregate(const struct ls_store *st, int fn, uint64_t ip0)
{
    for (uint32_t i = 0; i < st->nfolded; i++)
        if (st->folded[i].fn == fn && st->folded[i].stack.ip[0] == ip0) return &st->folded[i];
    return NULL;
}

Test(store, the_worst_are_kept_and_every_other_stall_is_folded_by_cause)
{
    enum { N = LS_KEEP + 300 };
    static struct ls_stall_rec s;
    struct ls_store st = fresh(zeroed);
    /* Distinct lengths in a scrambled order; the cause cycles through the three. */
    uint64_t count[NCAUSES] = {0}, total[NCAUSES] = {0}, max[NCAUSES] = {0};
    for (unsigned i = 0; i < N; i++) {
        unsigned k = (i * 7919u) % N; /* 7919 is prime and N is not a multiple of it */
        uint64_t wall = 20000000ULL + k * 1000ULL;
        enum cause c = (enum cause)(k % NCAUSES);
        make(&s, c, wall);
        ls_store_add(&st, &s);
        if (k < N - LS_KEEP) { /* not among the LS_KEEP longest: must be folded */
            count[c]++;
            total[c] += wall;
            if (wall > max[c]) max[c] = wall;
        }
    }
    cr_assert_eq(st.nkept, LS_KEEP);
    uint64_t shortest_kept = UINT64_MAX;
    for (uint32_t i = 0; i < st.nkept; i++)
        if (st.kept[i].wall_ns < shortest_kept) shortest_kept = st.kept[i].wall_ns;
    cr_expect_eq(shortest_kept, 20000000ULL + (N - LS_KEEP) * 1000ULL,
                 "the kept are exactly the %d longest", LS_KEEP);
    cr_expect_eq(st.folded_count, N - LS_KEEP);
    cr_expect_eq(st.lost, 0);
    cr_assert_eq(st.nfolded, 3, "one aggregate per cause");
    const struct ls_folded *f[NCAUSES] = {aggregate(&st, LS_FN_read, 0xa000),
                                          aggregate(&st, LS_FN_write, 0xb000),
                                          aggregate(&st, -1, 0xc000)};
    static const char *const names[] = {"read at A", "write at B", "cpu at C"};
    for (int c = 0; c < NCAUSES; c++) {
        cr_assert_not_null(f[c], "no aggregate for %s", names[c]);
        cr_expect_eq(f[c]->count, count[c], "%s", names[c]);
        cr_expect_eq(f[c]->total_ns, total[c], "%s", names[c]);
        cr_expect_eq(f[c]->max_ns, max[c], "%s", names[c]);
    }
    cr_expect_eq(f[READ_AT_A]->cls, LS_CLASS_BLOCKING);
    cr_expect_eq(f[CPU_AT_C]->cls, LS_CLASS_CPU);
    free(st.kept);
    free(st.folded);
}

Test(store, a_stall_no_longer_than_the_shortest_kept_is_folded_and_a_longer_one_takes_its_place)
{
    static struct ls_stall_rec s;
    struct ls_store st = fresh(zeroed);
    for (unsigned i = 0; i < LS_KEEP; i++) {
        make(&s, READ_AT_A, 30000000ULL + i);
        ls_store_add(&st, &s);
    }
    make(&s, WRITE_AT_B, 30000000ULL); /* as long as the shortest kept */
    ls_store_add(&st, &s);
    cr_expect_eq(st.folded_count, 1);
    cr_expect_not_null(aggregate(&st, LS_FN_write, 0xb000), "the tie is folded, not swapped in");
    make(&s, WRITE_AT_B, 90000000ULL);
    ls_store_add(&st, &s);
    cr_expect_eq(st.folded_count, 2);
    const struct ls_folded *pushed = aggregate(&st, LS_FN_read, 0xa000);
    cr_assert_not_null(pushed, "the stall pushed out is folded");
    cr_expect_eq(pushed->max_ns, 30000000ULL);
    int found = 0;
    for (uint32_t i = 0; i < st.nkept; i++)
        found += st.kept[i].wall_ns == 90000000ULL;
    cr_expect_eq(found, 1, "the longer stall is kept");
    free(st.kept);
    free(st.folded);
}

/* Fills the store so that the next stall is folded. */
static void fill_kept(struct ls_store *st)
{
    static struct ls_stall_rec s;
    for (unsigned i = 0; i < LS_KEEP; i++) {
        make(&s, READ_AT_A, 1000000000ULL);
        ls_store_add(st, &s);
    }
}

Test(store, startup_and_serving_stalls_of_one_cause_fold_apart)
{
    static struct ls_stall_rec s;
    struct ls_store st = fresh(zeroed);
    fill_kept(&st);
    make(&s, WRITE_AT_B, 1000);
    s.startup = 1;
    ls_store_add(&st, &s);
    s.startup = 0;
    ls_store_add(&st, &s);
    ls_store_add(&st, &s);
    cr_assert_eq(st.nfolded, 2);
    cr_expect_eq(st.folded[0].startup + st.folded[1].startup, 1);
    cr_expect_eq(st.folded[0].count + st.folded[1].count, 3);
    free(st.kept);
    free(st.folded);
}

Test(store, only_the_innermost_frames_tell_two_causes_apart)
{
    static struct ls_stall_rec s;
    struct ls_store st = fresh(zeroed);
    fill_kept(&st);
    make(&s, WRITE_AT_B, 1000);
    s.calls[0].stack.n = LS_FOLD_FRAMES + 2;
    for (int i = 0; i < LS_FOLD_FRAMES + 2; i++)
        s.calls[0].stack.ip[i] = 0xb000 + (uint64_t)i * 16;
    ls_store_add(&st, &s);
    s.calls[0].stack.ip[LS_FOLD_FRAMES] = 0xdead; /* differs past the frames that count */
    ls_store_add(&st, &s);
    cr_expect_eq(st.nfolded, 1);
    s.calls[0].stack.ip[LS_FOLD_FRAMES - 1] = 0xbeef; /* differs in the last frame that counts */
    ls_store_add(&st, &s);
    cr_expect_eq(st.nfolded, 2);
    cr_expect_eq(st.folded_count, 3);
    free(st.kept);
    free(st.folded);
}

Test(store, past_every_aggregate_a_new_cause_is_counted_as_lost)
{
    static struct ls_stall_rec s;
    struct ls_store st = fresh(zeroed);
    fill_kept(&st);
    for (unsigned i = 0; i < LS_FOLDED + 5; i++) {
        make(&s, WRITE_AT_B, 1000);
        s.calls[0].stack.ip[0] = 0x100000 + i * 16; /* a new cause each time */
        ls_store_add(&st, &s);
    }
    cr_expect_eq(st.nfolded, LS_FOLDED);
    cr_expect_eq(st.lost, 5);
    cr_expect_eq(st.folded_count, LS_FOLDED + 5, "every stall is counted, even those lost");
    make(&s, WRITE_AT_B, 1000);
    s.calls[0].stack.ip[0] = 0x100000; /* a cause that has an aggregate still folds into it */
    ls_store_add(&st, &s);
    cr_expect_eq(st.lost, 5);
    free(st.kept);
    free(st.folded);
}

static void *no_memory(size_t n)
{
    (void)n;
    return NULL;
}

static void *only_small(size_t n)
{
    return n < LS_KEEP * sizeof(struct ls_stall_rec) ? calloc(1, n) : NULL;
}

Test(store, without_memory_for_the_kept_every_stall_is_folded_and_without_any_it_is_lost)
{
    static struct ls_stall_rec s;
    struct ls_store st = fresh(only_small);
    make(&s, READ_AT_A, 5000);
    ls_store_add(&st, &s);
    ls_store_add(&st, &s);
    cr_expect_eq(st.nkept, 0);
    cr_expect_eq(st.folded_count, 2);
    cr_expect_eq(st.nfolded, 1);
    free(st.folded);
    st = fresh(no_memory);
    ls_store_add(&st, &s);
    cr_expect_eq(st.lost, 1);
    cr_expect_eq(st.folded_count, 1);
}

Test(store, the_culprit_stack_is_the_longest_calls_unless_the_time_was_cpu)
{
    static struct ls_stall_rec s;
    int fn = 99;
    make(&s, READ_AT_A, 1000);
    cr_expect_eq(ls_stall_culprit_stack(&s, &fn), &s.calls[0].stack);
    cr_expect_eq(fn, LS_FN_read);
    make(&s, CPU_AT_C, 1000);
    cr_expect_eq(ls_stall_culprit_stack(&s, &fn), &s.samples[0]);
    cr_expect_eq(fn, -1);
    /* A cpu stall that also made a short call: the call is not the culprit. */
    s.ncalls = 1;
    s.calls[0].fn = LS_FN_read;
    cr_expect_eq(ls_stall_culprit_stack(&s, &fn), &s.samples[0]);
    memset(&s, 0, sizeof s);
    s.wall_ns = 1000;
    cr_expect_null(ls_stall_culprit_stack(&s, &fn), "blocked in nothing seen, never sampled");
}
