/* identity.c -- argv and exe into the record (see identity.h). */
#include "identity.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "state.h"

static char exe[sizeof((struct ls_record *)0)->exe];
static int exe_known;

LS_COLD const char *ls_identity_exe(void)
{
    /* An image's executable never changes (an exec is another image, a forked child's is the
     * parent's): one readlink, however many times it is asked. */
    if (!exe_known) {
        ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        exe_known = 1;
    }
    return exe;
}

static void note_exe(struct ls_record *r)
{
    const char *e = ls_identity_exe();
    size_t n = strlen(e);
    memcpy(r->exe, e, n + 1);
}

LS_COLD void ls_note_identity(struct ls_record *r)
{
    ssize_t n = ls_read_small("/proc/self/cmdline", r->argv, sizeof r->argv);
    r->argv_len = n > 0 ? (uint32_t)n : 0;
    note_exe(r);
}

LS_COLD void ls_note_identity_at_load(struct ls_record *r, int argc, char *const argv[])
{
    if (!argv) {
        ls_note_identity(r);
        return;
    }
    /* What /proc/self/cmdline holds before main has run: the arguments, each with its NUL
     * (without opening a file in /proc, the dearest thing a process that never runs a loop
     * would do at load). */
    size_t used = 0, room = sizeof r->argv - 1;
    for (int i = 0; i < argc && argv[i] && used < room; i++) {
        size_t k = strlen(argv[i]) + 1;
        if (k > room - used) k = room - used;
        memcpy(r->argv + used, argv[i], k);
        used += k;
    }
    r->argv[used] = '\0';
    r->argv_len = (uint32_t)used;
    note_exe(r);
}
