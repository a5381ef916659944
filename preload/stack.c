/* stack.c -- capture raw stacks with libunwind; symbolized later, outside the loop. */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>

#include "agent.h"

static uintptr_t self_lo, self_hi; /* this library's text: its frames are not the culprit's */

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t base = (uintptr_t)arg;
    if (info->dlpi_addr != base) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (!self_lo || lo < self_lo) self_lo = lo;
        if (hi > self_hi) self_hi = hi;
    }
    return 1;
}

void ls_stack_init(void)
{
    Dl_info info;
    if (dladdr((void *)ls_stack_init, &info) && info.dli_fbase)
        dl_iterate_phdr(find_self, info.dli_fbase);
}

/* Captures the caller's stack, innermost first, without the agent's own frames. */
void ls_stack_capture(struct ls_frames *f)
{
    void *ips[LS_FRAMES + 8];
    int n = unw_backtrace(ips, (int)(sizeof ips / sizeof ips[0]));
    int i = 0;
    while (i < n && (uintptr_t)ips[i] >= self_lo && (uintptr_t)ips[i] < self_hi)
        i++;
    f->n = 0;
    for (; i < n && f->n < LS_FRAMES; i++)
        f->ip[f->n++] = (uintptr_t)ips[i] - 1; /* return address: the call is the byte before */
}
