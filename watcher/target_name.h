/* target_name.h -- name what a call waited on from the raw value the agent kept.
 *
 * The agent keeps a call's target as it was passed (a descriptor number, or
 * the address of a path, sockaddr or host name in the host's memory) and
 * names it only when the call turned out to matter. These functions name it
 * from outside the call: from the watcher (a call still in progress, in this
 * process or another one) and from the agent after the call returned. Memory
 * is read fault-safely, so a bad pointer names nothing instead of crashing.
 */
#ifndef LS_TARGET_NAME_H
#define LS_TARGET_NAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* "127.0.0.1:8080", "[::1]:6379", "unix:/run/x.sock"; "" for other families. */
void ls_format_sockaddr(const struct sockaddr *sa, socklen_t len, char *out, size_t n);
/* Names target (of kind tkind, enum ls_tkind) of a call in process pid (0: this one). */
void ls_target_describe(pid_t pid, int tkind, uint64_t target, char *out, size_t n);
/* The file or peer behind descriptor fd of process pid, through /proc only. */
void ls_fd_describe_proc(pid_t pid, int fd, char *out, size_t n);

#endif
