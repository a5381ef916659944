/* raw_calls.h -- the system calls behind glibc's cancellable wrappers, made the way glibc makes
 * them in a single-threaded process, for a host with no thread but its first and the agent's.
 *
 * The agent's watcher thread makes glibc take its multi-threaded path in every cancellable call
 * (read, recv, send, open, close, epoll_wait...): its cancellation bookkeeping
 * (__pthread_enable_asynccancel and __pthread_disable_asynccancel around the system call), ~70
 * instructions per request in a Python server and more in nginx's worker. That bookkeeping only
 * serves pthread_cancel, and a host that has created no thread has nobody to cancel it but
 * itself, which glibc single-threaded would not act on in these calls either. So once the agent
 * starts its thread (direct use), and while the host has created no thread and cancelled none, a
 * wrapper passes the call to the function here instead of glibc's: the same system call with the
 * same arguments (what glibc 2.36's SYSCALL_CANCEL does when SINGLE_THREAD_P: recv is recvfrom,
 * send sendto, open openat), the same result and errno. Only where glibc is a version checked
 * against its sources (2.36), only on x86-64, and only where the function the agent would call is
 * glibc's own (not another interposer's, whose code must still run). real.c swaps them in
 * (ls_real_own_thread_begins) and puts glibc's back when the host creates its first thread or
 * cancels one (ls_real_threads_begin).
 */
#ifndef LS_RAW_CALLS_H
#define LS_RAW_CALLS_H

/* The stand-in for function fn (LS_FN_*), or NULL where there is none (not cancellable, or its
 * system call differs from what glibc makes of it, or not on this architecture). */
void *ls_raw_call(int fn);
/* glibc's own function where its stand-in replaced it (real.c), NULL elsewhere. In this file's
 * .bss, which comes last in the agent's: a process that never starts the agent's thread never
 * touches it, and the state every process touches at load keeps its one page. */
extern void *ls_raw_glibc[];

#endif
