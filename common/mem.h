/* mem.h -- fault-safe reads of a process's memory (the agent's own, or a watched host's).
 *
 * process_vm_readv copies what is readable and stops at the first page that
 * is not, so a bad pointer in the host (a freed object, a half-written frame,
 * a caller's garbage argument) gives a short read instead of a crash. It is a
 * plain system call: safe in a signal handler, no locks. pid 0 is the calling
 * process.
 */
#ifndef LS_MEM_H
#define LS_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes copied (fewer than len when the memory ends), or -1. Keeps errno. */
ssize_t ls_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* A NUL-terminated string of at most len-1 bytes at addr; its length, or -1
 * when nothing was readable. A string cut short by len or by unreadable
 * memory is still terminated. */
ssize_t ls_mem_read_str(pid_t pid, uint64_t addr, char *buf, size_t len);

#endif
