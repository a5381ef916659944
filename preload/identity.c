/* identity.c -- argv and exe into the record (see identity.h). */
#include "identity.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"

void ls_note_identity(struct ls_record *r)
{
    ssize_t n = ls_read_small("/proc/self/cmdline", r->argv, sizeof r->argv);
    r->argv_len = n > 0 ? (uint32_t)n : 0;
    n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", r->exe, sizeof r->exe - 1);
    r->exe[n > 0 ? n : 0] = '\0';
}
