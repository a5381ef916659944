/* count-reads-lib.c -- an interposer of read() preloaded after the agent
 * (LD_PRELOAD=libloopstall.so:libcount-reads-lib.so): it counts the calls that reach it and says
 * "count-reads: N" on stderr at exit. The agent must pass the host's read() on to it, not make the
 * system call itself. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static long reads;

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*next)(int, void *, size_t);
    if (!next) next = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    reads++;
    return next(fd, buf, n);
}

__attribute__((destructor)) static void say(void)
{
    fprintf(stderr, "count-reads: %ld\n", reads);
}
