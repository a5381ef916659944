/* self_path.c -- the files that come with the command (see self_path.h).
 *
 * The build tree and an installed tree look the same from the executable:
 * bin/ beside lib/ (and libexec/). /proc/self/exe is already free of
 * symbolic links, so going up a directory is taking off its last component,
 * with no realpath and its system call per component.
 */
#include "self_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ls_beside_self(const char *const *tails, size_t n, int mode, char *out, size_t len)
{
    char dir[4096];
    ssize_t got = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (got <= 0) return -ENOENT;
    dir[got] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash) return -ENOENT;
    *slash = '\0';
    for (size_t i = 0; i < n; i++) {
        char base[4096];
        const char *tail = tails[i];
        snprintf(base, sizeof base, "%s", dir);
        while (!strncmp(tail, "../", 3)) {
            char *up = strrchr(base, '/');
            if (up) *up = '\0';
            tail += 3;
        }
        if ((size_t)snprintf(out, len, "%s/%s", base, tail) >= len) continue;
        if (access(out, mode) == 0) return 0;
    }
    return -ENOENT;
}

int ls_agent_beside_self(char *out, size_t len)
{
    static const char *const tails[] = {"libloopstall.so", "../lib/libloopstall.so",
                                        "../" LS_INSTALL_LIBDIR "/libloopstall.so"};
    return ls_beside_self(tails, sizeof tails / sizeof tails[0], R_OK, out, len);
}
