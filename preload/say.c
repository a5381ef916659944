/* say.c -- one line on stderr while stderr is still what it was (see say.h). */
#include "say.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "state.h"

static dev_t err_dev;
static ino_t err_ino;
static int err_known;

LS_COLD void ls_say_init(void)
{
    struct stat st;
    int saved = errno;
    err_known = ls_raw_syscall(SYS_fstat, 2, &st) == 0;
    if (err_known) {
        err_dev = st.st_dev;
        err_ino = st.st_ino;
    }
    errno = saved;
}

static int stderr_unchanged(void)
{
    struct stat st;
    return err_known && syscall(SYS_fstat, 2, &st) == 0 && st.st_dev == err_dev &&
           st.st_ino == err_ino;
}

static void put(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        long w = syscall(SYS_write, 2, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

void ls_say_line(const char *line)
{
    int saved = errno;
    if (stderr_unchanged()) put(line);
    errno = saved;
}

void ls_say(const char *a, const char *b, const char *c)
{
    int saved = errno;
    if (stderr_unchanged()) {
        const char *parts[] = {"loopstall: ", a, b, c, "\n"};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (parts[i]) put(parts[i]);
    }
    errno = saved;
}
