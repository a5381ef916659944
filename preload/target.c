/* target.c -- the name of a kept call's target, in-process (see target.h).
 *
 * Costs a system call or two, so it runs only after a call that was long
 * enough to be kept. A descriptor is named by what the process itself can ask
 * (getpeername: exact, where the watcher outside only has /proc); everything
 * else as the watcher names it (watcher/target_name.c), reading the argument
 * fault-safely: a caller's bad pointer must not crash the host.
 */
#include "target.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "calls.h"
#include "mem.h"
#include "target_name.h"

static void name_fd(int fd, char *out, size_t len)
{
    struct stat st;
    if (syscall(SYS_fstat, fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
            ls_format_sockaddr((struct sockaddr *)&ss, sl, out, len);
            if (out[0]) return;
        }
        sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
            char local[96];
            ls_format_sockaddr((struct sockaddr *)&ss, sl, local, sizeof local);
            if (local[0]) {
                size_t n = 0;
                for (const char *p = "local "; *p && n + 1 < len; p++)
                    out[n++] = *p;
                for (const char *p = local; *p && n + 1 < len; p++)
                    out[n++] = *p;
                out[n] = '\0';
                return;
            }
        }
    }
    ls_fd_describe_proc(0, fd, out, len);
}

void ls_target_name(int tkind, uint64_t target, char *out, size_t len)
{
    int saved = errno;
    out[0] = '\0';
    int fd = -1;
    if (tkind == LS_T_POLLFD &&
        ls_mem_read(0, target, &fd, sizeof fd) == (ssize_t)sizeof fd) { /* the first pollfd's */
        tkind = LS_T_FD;
        target = (uint64_t)(int64_t)fd;
    }
    if (tkind == LS_T_FD) {
        if ((int)(int64_t)target >= 0) name_fd((int)(int64_t)target, out, len);
    } else if (tkind != LS_T_POLLFD) {
        ls_target_describe(0, tkind, target, out, len);
    }
    errno = saved;
}
