/* test-unwind-garbage.c -- on stacks that lie (a looping or falling rbp chain, a stack pointer at
 * the edge, a pc in unmapped memory, random words) the walker ends soon, sanely, and never reads
 * outside the bounds: the made-up stacks sit between two PROT_NONE pages, so a stray read is a
 * crash of the test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ut.h"

#define WORDS 512 /* one 4 KiB page of stack */

struct fake_stack {
    uint8_t *map; /* guard, stack page, guard */
    uint64_t *w;  /* the stack page's words */
    struct ls_stack_bounds b;
};

static struct fake_stack fake_stack(void)
{
    long page = sysconf(_SC_PAGESIZE);
    cr_assert_eq(page, WORDS * 8);
    uint8_t *map = mmap(NULL, 3 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(map != MAP_FAILED);
    cr_assert_eq(mprotect(map + page, (size_t)page, PROT_READ | PROT_WRITE), 0);
    struct fake_stack f = {map, (uint64_t *)(void *)(map + page), {0, 0}};
    f.b.lo = (uint64_t)(uintptr_t)f.w;
    f.b.hi = f.b.lo + (uint64_t)page;
    return f;
}

static void fake_stack_free(struct fake_stack *f)
{
    munmap(f->map, 3 * (size_t)sysconf(_SC_PAGESIZE));
}

static uint64_t at(const struct fake_stack *f, int word)
{
    return f->b.lo + (uint64_t)word * 8;
}

/* A pc in code no module describes, so the walk follows the rbp chain from it. */
static uint64_t jit_pc(const struct ut_jit *j)
{
    return (uint64_t)(uintptr_t)j->code + 4;
}

Test(unwind_garbage, an_rbp_chain_that_points_to_itself_ends_at_once)
{
    struct fake_stack f = fake_stack();
    struct ut_jit j = ut_jit_spin();
    f.w[16] = at(&f, 16), f.w[17] = jit_pc(&j); /* the frame's saved rbp is the frame */
    uint64_t ips[UT_MAX_FRAMES];
    int n = ut_walk_state(jit_pc(&j), at(&f, 8), at(&f, 16), &f.b, ips, UT_MAX_FRAMES);
    cr_assert_leq(n, 2, "%s", ut_describe(ips, n));
    cr_assert_eq(ips[0], jit_pc(&j));
    ut_jit_free(&j);
    fake_stack_free(&f);
}

Test(unwind_garbage, an_rbp_chain_that_goes_down_the_stack_ends_at_once)
{
    struct fake_stack f = fake_stack();
    struct ut_jit j = ut_jit_spin();
    f.w[100] = at(&f, 50), f.w[101] = jit_pc(&j); /* points below itself */
    f.w[50] = at(&f, 100), f.w[51] = jit_pc(&j);
    uint64_t ips[UT_MAX_FRAMES];
    int n = ut_walk_state(jit_pc(&j), at(&f, 40), at(&f, 100), &f.b, ips, UT_MAX_FRAMES);
    cr_assert_leq(n, 2, "%s", ut_describe(ips, n));
    ut_jit_free(&j);
    fake_stack_free(&f);
}

Test(unwind_garbage, an_rbp_outside_the_stack_or_misaligned_is_never_followed)
{
    struct fake_stack f = fake_stack();
    struct ut_jit j = ut_jit_spin();
    uint64_t bad[] = {f.b.hi, f.b.hi - 8, f.b.lo - 16, at(&f, 20) + 3, 0x10, ~0ULL - 7};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ips[UT_MAX_FRAMES];
        int n = ut_walk_state(jit_pc(&j), at(&f, 8), bad[i], &f.b, ips, UT_MAX_FRAMES);
        cr_assert_eq(n, 1, "rbp %#llx: %s", (unsigned long long)bad[i], ut_describe(ips, n));
    }
    ut_jit_free(&j);
    fake_stack_free(&f);
}

int ut_edge_root(struct ut_capture *c);

__attribute__((noinline)) int ut_edge_root(struct ut_capture *c)
{
    return nofp_level4(ut_capture_here, c) + 1;
}

/* A real frame's CFI applied at the top of the stack: its return address would lie above hi. */
Test(unwind_garbage, a_stack_pointer_at_the_edge_of_the_bounds_reads_nothing_outside)
{
    struct ut_capture c = {.b = ut_bounds(), .ours_only = 1};
    ut_edge_root(&c);
    cr_assert_str_eq(ut_sym(c.ips[1]), "nofp_level4");
    uint64_t pc = c.ips[1] + 1; /* after its call: the CFA is rsp + 16 */
    struct fake_stack f = fake_stack();
    uint64_t sps[] = {f.b.hi - 8, f.b.hi, f.b.hi + 8, f.b.lo - 8, 0, ~0ULL - 7};
    for (size_t i = 0; i < sizeof sps / sizeof sps[0]; i++) {
        uint64_t ips[UT_MAX_FRAMES];
        int n = ut_walk_state(pc, sps[i], 0, &f.b, ips, UT_MAX_FRAMES);
        cr_assert_eq(n, 1, "rsp %#llx: %s", (unsigned long long)sps[i], ut_describe(ips, n));
        cr_assert_eq(ips[0], pc);
    }
    fake_stack_free(&f);
}

/* A call through a bad pointer: nothing ran there, the return address is at the stack pointer. */
Test(unwind_garbage, a_pc_in_unmapped_memory_is_left_by_the_return_address_at_the_stack_pointer)
{
    struct fake_stack f = fake_stack();
    uint64_t unmapped = (uint64_t)(uintptr_t)f.map; /* the low guard page */
    f.w[8] = (uint64_t)(uintptr_t)nofp_level3 + 10;
    uint64_t ips[UT_MAX_FRAMES];
    int n = ut_walk_state(unmapped, at(&f, 8), 0, &f.b, ips, UT_MAX_FRAMES);
    cr_assert_geq(n, 2, "%s", ut_describe(ips, n));
    cr_assert_eq(ips[0], unmapped);
    cr_assert_str_eq(ut_sym(ips[1]), "nofp_level3", "%s", ut_describe(ips, n));
    cr_assert_leq(n, 4, "the rest of the stack is zeros:\n%s", ut_describe(ips, n));
    fake_stack_free(&f);
}

Test(unwind_garbage, no_context_no_bounds_or_no_room_gives_no_frames)
{
    uint64_t ips[4];
    struct ls_stack_bounds b = ut_bounds();
    cr_assert_eq(ls_unwind_ucontext(NULL, &b, ips, 4), 0);
    cr_assert_eq(ut_walk_state(1, b.lo + 64, 0, NULL, ips, 4), 0);
    cr_assert_eq(ut_walk_state(1, b.lo + 64, 0, &b, ips, 0), 0);
    cr_assert_eq(ls_unwind_here(&b, 0, 0, ips, 0), 0);
    cr_assert_eq(ls_unwind_here(NULL, 0, 0, ips, 4), 0);
    cr_assert_eq(ls_stack_bounds_of_self(NULL), -EINVAL);
}

/* Words a lying stack holds: pointers into the stack, into code (mid-function, so CFI applies),
 * into the JIT page and the guard pages, and noise. */
static uint64_t lie(const struct fake_stack *f, const struct ut_jit *j)
{
    static const void *code[] = {
        (void *)nofp_level1,      (void *)nofp_level4, (void *)fp_level2,
        (void *)nofp_spin4,       (void *)fp_spin3,    (void *)ut_plt_shaped,
        (void *)ut_cfa_in_memory, (void *)memcpy,      (void *)ut_walk_state};
    switch (rand() % 8) {
    case 0:
    case 1:
        return at(f, rand() % WORDS);
    case 2:
    case 3:
        return (uint64_t)(uintptr_t)code[rand() % 9] + (uint64_t)(rand() % 64);
    case 4:
        return (uint64_t)(uintptr_t)j->code + (uint64_t)(rand() % 16);
    case 5:
        return (uint64_t)(uintptr_t)f->map + (uint64_t)(rand() % 4096);
    case 6:
        return 0;
    default:
        return (uint64_t)rand() << 33 ^ (uint64_t)rand();
    }
}

Test(unwind_garbage, random_stacks_never_crash_the_walk_and_end_within_max_frames, .timeout = 120)
{
    struct fake_stack f = fake_stack();
    struct ut_jit j = ut_jit_spin();
    srand(20240601);
    long frames = 0;
    for (int round = 0; round < 20000; round++) {
        for (int i = 0; i < WORDS; i++)
            f.w[i] = lie(&f, &j);
        uint64_t ips[16];
        int n = ut_walk_state(lie(&f, &j), at(&f, rand() % WORDS), lie(&f, &j), &f.b, ips, 16);
        cr_assert(n >= 0 && n <= 16, "round %d: %d frames", round, n);
        frames += n;
    }
    cr_log_info("20000 random stacks: %.2f frames per walk", (double)frames / 20000);
    ut_jit_free(&j);
    fake_stack_free(&f);
}
