/* test-short-iov.c -- short= on vectored I/O (preload/short_iov.h): the caller's vectors, cut to
 * a byte count, and the caller's array passed on untouched when it cannot be read. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "short_iov.h"

static char data[256];

/* Vectors of the given lengths laid end to end over data. */
static int vectors(struct iovec *v, const size_t *len, int n)
{
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        v[i].iov_base = data + at;
        v[i].iov_len = len[i];
        at += len[i];
    }
    return n;
}

static size_t total(const struct iovec *v, int n)
{
    size_t t = 0;
    for (int i = 0; i < n; i++)
        t += v[i].iov_len;
    return t;
}

/* Cuts lens to cap and checks the result is a prefix of them with the given lengths. */
static void expect_cut(const size_t *lens, int n, uint64_t cap, const size_t *want, int nwant)
{
    struct iovec in[8], out[LS_SHORT_IOV_MAX];
    const struct iovec *use = NULL;
    vectors(in, lens, n);
    int got = ls_short_iov(in, n, cap, out, &use);
    cr_assert_eq(got, nwant, "cap %llu: %d vectors, expected %d", (unsigned long long)cap, got,
                 nwant);
    cr_assert_eq(use, out, "the cut copy is what the call gets");
    for (int i = 0; i < nwant; i++) {
        cr_expect_eq(out[i].iov_base, in[i].iov_base, "vector %d still points at the caller's", i);
        cr_expect_eq(out[i].iov_len, want[i], "vector %d: %zu bytes, expected %zu", i,
                     out[i].iov_len, want[i]);
    }
    cr_expect_eq(in[0].iov_len, lens[0], "the caller's array is never written");
}

Test(short_iov, a_cap_inside_the_first_vector_leaves_one_cut_vector)
{
    expect_cut((size_t[]){10, 20}, 2, 4, (size_t[]){4}, 1);
}

Test(short_iov, a_cap_on_a_vector_boundary_drops_the_vectors_after_it)
{
    expect_cut((size_t[]){10, 20, 30}, 3, 10, (size_t[]){10}, 1);
    expect_cut((size_t[]){10, 20, 30}, 3, 30, (size_t[]){10, 20}, 2);
}

Test(short_iov, a_cap_inside_a_later_vector_cuts_that_one)
{
    expect_cut((size_t[]){10, 20, 30}, 3, 15, (size_t[]){10, 5}, 2);
}

Test(short_iov, a_cap_above_the_total_changes_nothing)
{
    expect_cut((size_t[]){10, 20, 30}, 3, 1000, (size_t[]){10, 20, 30}, 3);
    expect_cut((size_t[]){10, 20, 30}, 3, 60, (size_t[]){10, 20, 30}, 3);
}

Test(short_iov, an_empty_first_vector_is_kept_and_the_cap_falls_on_the_next)
{
    expect_cut((size_t[]){0, 10, 20}, 3, 5, (size_t[]){0, 5}, 2);
    expect_cut((size_t[]){0, 0, 7}, 3, 3, (size_t[]){0, 0, 3}, 3);
}

Test(short_iov, vectors_that_are_all_empty_stay_as_they_were)
{
    expect_cut((size_t[]){0, 0}, 2, 5, (size_t[]){0, 0}, 2);
}

Test(short_iov, no_vectors_or_a_negative_count_reach_the_kernel_unchanged)
{
    struct iovec out[LS_SHORT_IOV_MAX], in[1] = {{data, 8}};
    const struct iovec *use = NULL;
    cr_expect_eq(ls_short_iov(in, 0, 5, out, &use), 0);
    cr_expect_eq(use, in);
    cr_expect_eq(ls_short_iov(in, -3, 5, out, &use), -3, "for the kernel to answer EINVAL");
    cr_expect_eq(use, in);
}

/* A page that cannot be read, right after one that can. */
static char *guarded_page(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(mprotect(p + page, (size_t)page, PROT_NONE), 0);
    return p + page;
}

Test(short_iov, an_unreadable_array_is_passed_on_for_the_kernel_to_answer_efault)
{
    struct iovec out[LS_SHORT_IOV_MAX];
    const struct iovec *use = NULL;
    const struct iovec *bad = (const struct iovec *)guarded_page();
    cr_expect_eq(ls_short_iov(bad, 2, 5, out, &use), 2);
    cr_expect_eq(use, bad, "the caller's own pointer goes on");
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_expect_eq(writev(p[1], use, 2), -1);
    cr_expect_eq(errno, EFAULT);
    close(p[0]);
    close(p[1]);
}

Test(short_iov, an_array_cut_off_by_an_unreadable_page_is_passed_on_whole)
{
    struct iovec out[LS_SHORT_IOV_MAX];
    const struct iovec *use = NULL;
    struct iovec *edge = (struct iovec *)(guarded_page() - sizeof(struct iovec));
    edge[0].iov_base = data;
    edge[0].iov_len = 10;
    cr_expect_eq(ls_short_iov(edge, 2, 5, out, &use), 2, "the second vector is unreadable");
    cr_expect_eq(use, edge);
}

Test(short_iov, a_long_list_is_cut_to_its_first_vectors_and_never_moves_more_than_the_cap)
{
    /* More vectors than the copy holds: the call gets the first LS_SHORT_IOV_MAX, still a
     * prefix of the caller's and still at most cap bytes. */
    struct iovec in[100], out[LS_SHORT_IOV_MAX];
    const struct iovec *use = NULL;
    for (int i = 0; i < 100; i++) {
        in[i].iov_base = data + i;
        in[i].iov_len = 1;
    }
    int n = ls_short_iov(in, 100, 30, out, &use);
    cr_expect_eq(n, 30);
    cr_expect_eq(total(use, n), 30);
    n = ls_short_iov(in, 100, 1000, out, &use);
    cr_expect_eq(n, LS_SHORT_IOV_MAX);
    cr_expect_leq(total(use, n), 1000);
}

Test(short_iov, the_cut_vectors_make_a_real_readv_stop_at_the_cap)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], "0123456789abcdefghij", 20), 20);
    struct iovec in[3], out[LS_SHORT_IOV_MAX];
    const struct iovec *use = NULL;
    vectors(in, (size_t[]){0, 4, 16}, 3);
    int n = ls_short_iov(in, 3, 7, out, &use);
    memset(data, 0, sizeof data);
    cr_expect_eq(readv(p[0], use, n), 7);
    cr_expect_eq(memcmp(data, "0123456", 7), 0);
    cr_expect_eq(data[7], 0, "nothing past the cap was written");
    close(p[0]);
    close(p[1]);
}
