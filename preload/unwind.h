/* unwind.h -- the agent's own stack walker, safe in a signal handler and harmless to any host.
 *
 * On x86-64 Linux with glibc 2.35 or newer a walk follows the DWARF call-frame information
 * (CFI) of each module's .eh_frame, found through the binary-search table of its
 * .eh_frame_hdr with _dl_find_object, which takes no lock. Where no module covers the pc (JIT
 * code) or a module has no CFI for it, it follows the frame-pointer chain while rbp stays
 * inside the stack and grows, and goes back to CFI as soon as the pc is in a module again.
 * A step that cannot be computed ends the walk: it never guesses past a frame it cannot read.
 * On other architectures (and on older glibc) the walk follows the frame-pointer chain only:
 * aarch64 reads pc, sp and x29 from the signal context, the other architectures get the
 * interrupted pc alone from ls_unwind_ucontext.
 *
 * ls_unwind_ucontext and ls_unwind_here are async-signal-safe and host-safe: no lock, no
 * allocation, no stdio, no file descriptor, errno left as it was, every loop bounded, no
 * libunwind or libgcc. Reads of stack memory stay inside the bounds given; every other read
 * is either of a module loaded at startup (which glibc never unloads) or fault-safe
 * (process_vm_readv on the calling process). A walk uses under 2 KiB of stack: 1952 bytes on its
 * deepest path by gcc 12 -O2 -fstack-usage, 1736 measured on an 8 KiB sigaltstack (tests/unwind;
 * the kernel's signal frame and the handler took 3456 more there, on a CPU with AVX-512; glibc's
 * syscall and _dl_find_object add a few words). That needs the symbols bound at load
 * (-z now, as the agent links): a first lazy call from a handler runs glibc's resolver, which
 * saves the whole register file on the stack, 2 KiB more.
 * Nothing here is exported: the agent is built with hidden visibility.
 */
#ifndef LS_UNWIND_H
#define LS_UNWIND_H

#include <stdint.h>

/* The calling thread's stack mapping, [lo, hi): a walk reads stack memory only inside it (and
 * only above the stack pointer it starts from). Frames on a signal's alternate stack are outside
 * it: a walk started there (code in a host's SA_ONSTACK handler, or a signal interrupting one)
 * returns no frame beyond the pc it starts from. */
struct ls_stack_bounds {
    uint64_t lo, hi;
};

/* Notes which objects are the host's startup set (read with plain loads: glibc never unloads
 * them), once, before the first walk that may run in a signal handler: the sampler calls it
 * when a loop is adopted, a capture outside any loop before its walk. Takes the loader's lock:
 * never in a signal handler. Until then every object is read fault-safely. */
void ls_unwind_trust_startup(void);

/* Walks the stack a signal interrupted, from the handler's third argument: ips[0] is the
 * interrupted pc (exact), the next entries return addresses - 1 (the call instruction), except
 * the frame a nested signal interrupted, which is exact again. Returns the number of entries
 * written, 0 to max. */
int ls_unwind_ucontext(const void *uc, const struct ls_stack_bounds *b, uint64_t *ips, int max);

/* Walks the caller's stack, for a wrapper after the real call returned: return addresses - 1,
 * innermost first, without this function's own frame and without any frame whose pc lies in
 * [skip_lo, skip_hi) (the agent's own text; 0, 0 skips nothing). Returns the number written. */
int ls_unwind_here(const struct ls_stack_bounds *b, uint64_t skip_lo, uint64_t skip_hi,
                   uint64_t *ips, int max);

/* Finds the calling thread's stack bounds: the /proc/self/maps line holding the current stack
 * pointer, read with raw system calls into a bounded buffer (no stdio, no malloc; one
 * descriptor, open only during the call). The main thread's [stack] line is extended down to
 * what RLIMIT_STACK lets it grow to. Call it once per thread, never in a signal handler.
 * Returns 0, or a negative errno (-ENOENT when no line holds the stack pointer). */
int ls_stack_bounds_of_self(struct ls_stack_bounds *b);

#endif
