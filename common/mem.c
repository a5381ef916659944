/* mem.c -- fault-safe reads with process_vm_readv (see mem.h). */
#include "mem.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static pid_t self_pid(void)
{
    return (pid_t)syscall(SYS_getpid);
}

ssize_t ls_mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    if (!addr || !len) return addr ? 0 : -1;
    int saved = errno;
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    ssize_t n =
        syscall(SYS_process_vm_readv, pid > 0 ? pid : self_pid(), &local, 1UL, &remote, 1UL, 0UL);
    errno = saved;
    return n;
}

ssize_t ls_mem_read_str(pid_t pid, uint64_t addr, char *buf, size_t len)
{
    if (!len) return -1;
    /* Page by page: a read that crosses into an unmapped page fails whole. */
    size_t got = 0;
    while (got + 1 < len) {
        size_t page_left = 4096 - (size_t)((addr + got) & 4095);
        size_t want = len - 1 - got < page_left ? len - 1 - got : page_left;
        ssize_t n = ls_mem_read(pid, addr + got, buf + got, want);
        if (n <= 0) break;
        void *nul = memchr(buf + got, '\0', (size_t)n);
        if (nul) return (ssize_t)((char *)nul - buf);
        got += (size_t)n;
        if ((size_t)n < want) break;
    }
    buf[got] = '\0';
    return got ? (ssize_t)got : -1;
}
