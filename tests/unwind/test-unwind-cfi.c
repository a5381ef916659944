/* test-unwind-cfi.c -- the walker follows the CFI real x86-64 code uses (PLT and memory CFA
 * expressions, a return address in a register, remembered states) and stops cleanly at what it
 * cannot follow: an unreadable CFA, a foreign opcode, states nested too deep, the outermost frame.
 * The frames are written in assembly (cfi-cases.S) so each describes itself one way only.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ut.h"

int ut_cfi_root(ut_case_fn f, struct ut_capture *c);

/* The frame under each case: a C function with CFI of its own. */
__attribute__((noinline)) int ut_cfi_root(ut_case_fn f, struct ut_capture *c)
{
    return f(ut_capture_here, c) + 1;
}

static struct ut_capture walk_through(ut_case_fn f, const char *name, int ours_only)
{
    struct ut_capture c = {.b = ut_bounds(), .ours_only = ours_only};
    ut_cfi_root(f, &c);
    const char *const chain[] = {"ut_capture_here", name};
    cr_assert(ut_names_at(c.ips, c.n, 0, chain, 2), "walk:\n%s", ut_describe(c.ips, c.n));
    return c;
}

/* The case's frame is followed: its caller, and the rest as libunwind sees them. */
static void assert_passes_through(ut_case_fn f, const char *name)
{
    struct ut_capture c = walk_through(f, name, 0);
    cr_assert_str_eq(ut_sym(c.ips[2]), "ut_cfi_root", "walk:\n%s", ut_describe(c.ips, c.n));
    cr_assert_gt(c.n, 4, "the walk goes on under the test:\n%s", ut_describe(c.ips, c.n));
    ut_assert_same_as_libunwind_or_better(&c);
}

/* The walk ends at the case's frame: it is named, nothing under it is guessed. */
static void assert_stops_at(ut_case_fn f, const char *name)
{
    struct ut_capture c = walk_through(f, name, 1);
    cr_assert_eq(c.n, 2, "the walk went on past %s:\n%s", name, ut_describe(c.ips, c.n));
}

Test(unwind_cfi, follows_a_frame_described_like_a_lazy_plt_entry)
{
    assert_passes_through(ut_plt_shaped, "ut_plt_shaped");
}

/* The PLT expression picks rsp + 8 or rsp + 16 from the pc: both halves, from made-up states. */
Test(unwind_cfi, reads_the_plt_expression_from_the_interrupted_pc_in_both_halves)
{
    struct ut_capture c = walk_through(ut_plt_shaped, "ut_plt_shaped", 1);
    uint64_t ret = c.ips[2] + 1; /* a real return address into ut_cfi_root */
    uint64_t stack[64] = {0};
    struct ls_stack_bounds b = {(uint64_t)(uintptr_t)stack, (uint64_t)(uintptr_t)(stack + 64)};
    uint64_t entry = (uint64_t)(uintptr_t)ut_plt_shaped, ips[8];

    stack[8] = ret; /* at byte 0 the return address is at rsp */
    int n = ut_walk_state(entry, (uint64_t)(uintptr_t)&stack[8], 0, &b, ips, 8);
    cr_assert_geq(n, 2);
    cr_assert_eq(ips[0], entry);
    cr_assert_str_eq(ut_sym(ips[1]), "ut_cfi_root", "%s", ut_describe(ips, n));

    stack[8] = 0x12345678, stack[9] = ret; /* at byte 11 the pushed word is on top of it */
    n = ut_walk_state(entry + 11, (uint64_t)(uintptr_t)&stack[8], 0, &b, ips, 8);
    cr_assert_geq(n, 2);
    cr_assert_str_eq(ut_sym(ips[1]), "ut_cfi_root", "%s", ut_describe(ips, n));
}

Test(unwind_cfi, skips_a_personality_routine_and_an_lsda_as_cxx_code_has)
{
    assert_passes_through(ut_with_personality, "ut_with_personality");
}

Test(unwind_cfi, follows_a_cfa_the_frame_keeps_in_memory)
{
    assert_passes_through(ut_cfa_in_memory, "ut_cfa_in_memory");
}

/* libunwind 1.6.2 reads a wrong return address here (in no object); the CFA it gets right. */
Test(unwind_cfi, follows_a_return_address_kept_in_a_callee_saved_register)
{
    assert_passes_through(ut_ra_in_rbx, "ut_ra_in_rbx");
}

Test(unwind_cfi, restores_a_remembered_state_after_an_early_return)
{
    assert_passes_through(ut_remembered, "ut_remembered");
}

/* libunwind, walking the same stack, dies of a SIGSEGV on this one. */
Test(unwind_cfi, stops_at_a_frame_whose_cfa_expression_reads_unmapped_memory)
{
    assert_stops_at(ut_cfa_unreadable, "ut_cfa_unreadable");
}

Test(unwind_cfi, stops_at_an_opcode_of_another_architecture)
{
    assert_stops_at(ut_unknown_opcode, "ut_unknown_opcode");
}

Test(unwind_cfi, stops_when_remembered_states_nest_deeper_than_it_keeps)
{
    assert_stops_at(ut_remembered_too_deep, "ut_remembered_too_deep");
}

Test(unwind_cfi, ends_at_a_frame_whose_return_address_is_undefined)
{
    assert_stops_at(ut_outermost, "ut_outermost");
}
