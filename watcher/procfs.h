/* procfs.h -- the few /proc files both the agent and the watcher read, with raw system calls.
 *
 * Raw calls, because on the agent's side the libc functions are its own
 * wrappers; one formatter of /proc paths, because there used to be three.
 */
#ifndef LS_PROCFS_H
#define LS_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "/proc/PID/task/TID/LEAF" (tid 0: "/proc/PID/LEAF"; pid 0: "self"). */
void ls_proc_path(char *out, size_t len, pid_t pid, pid_t tid, const char *leaf);
/* Decimal digits of v at out (no terminator); returns how many. */
size_t ls_put_uint(char *out, uint64_t v);
/* Reads a small file into buf, NUL-terminated; its length, or -1. */
ssize_t ls_read_small(const char *path, char *buf, size_t len);
/* A thread's time on the CPU and waiting for one (schedstat); 0 or -1. */
int ls_sched_times(pid_t pid, pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns);
/* 1 when the thread is in user space now (running, or preempted there),
 * 0 when it is in a system call, -1 when it cannot be told. */
int ls_thread_in_user_space(pid_t pid, pid_t tid);
/* Thread tid's CPU time now, exact to the nanosecond: its CPU clock, which brings a running
 * thread's time up to date (schedstat's figure lags one on a CPU by up to a scheduler tick). No
 * descriptor, but only for a thread of this process. 0, or -1 when it cannot be read. */
int ls_thread_cpu_ns_here(pid_t tid, uint64_t *ns);
/* 1 when thread tid of this process is on a CPU now, which is what /proc's "running" says:
 * its CPU clock moves between two reads. 0 when it did not move (the thread waits, or was
 * preempted: only /proc tells which), -1 when the clock cannot be read. It needs no descriptor,
 * but only a thread of one's own process may read another's clock. */
int ls_thread_on_cpu_here(pid_t tid);
/* How many times the calling thread has gone to sleep (its voluntary context switches: a wait
 * in a call, a lock, a page read from disk), not counting preemption. 0, or -1. */
int ls_thread_sleeps_here(uint64_t *n);
/* The same two, read through a descriptor kept open in *fd (fd + 1; 0: not
 * open yet), so that a watcher outside the host asks /proc with one pread a
 * time instead of three calls. Never in the agent: a host may close every
 * descriptor it did not open. ls_proc_close(fd) lets it go. */
int ls_sched_times_kept(int *fd, pid_t pid, pid_t tid, uint64_t *cpu_ns, uint64_t *runq_ns);
int ls_thread_in_user_space_kept(int *fd, pid_t pid, pid_t tid);
void ls_proc_close(int *fd);
/* 1 when the thread exists. */
int ls_thread_alive(pid_t pid, pid_t tid);

#endif
