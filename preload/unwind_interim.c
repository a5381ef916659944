/* unwind_interim.c -- libunwind behind the walker's interface, until our own walker lands. */
#define UNW_LOCAL_ONLY
#include "unwind_interim.h"

#include <libunwind.h>

int ls_unwind_ucontext(const void *uc, const struct ls_stack_bounds *b, uint64_t *ips, int max)
{
    (void)b;
    (void)uc;
    unw_context_t ctx;
    unw_cursor_t cur;
    int n = 0;
    if (unw_getcontext(&ctx) != 0 || unw_init_local(&cur, &ctx) != 0) return 0;
    int past_signal = 0;
    while (unw_step(&cur) > 0 && n < max) {
        unw_word_t ip;
        if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0) break;
        if (!past_signal && unw_is_signal_frame(&cur) <= 0) continue;
        past_signal = 1;
        ips[n] = (uint64_t)ip - (n ? 1 : 0);
        n++;
    }
    return n;
}

int ls_stack_bounds_of_self(struct ls_stack_bounds *b)
{
    b->lo = b->hi = 0;
    return -1;
}
