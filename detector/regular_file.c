/* regular_file.c -- open a path named by a report only when it is a regular file, never blocking.
 *
 * Reports, the files in a report directory and the modules a report's frames
 * name all come from outside. A plain open() of a FIFO waits for a writer
 * forever, and reading a device may never end, so every such path goes
 * through here.
 */
#include "regular_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t mode)
{
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

int ls_open_regular(const char *path, char *why, size_t len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(why, len, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "it is %s, not a regular file",
                 fstat(fd, &st) != 0 ? "unreadable" : kind_of(st.st_mode));
        close(fd);
        return -1;
    }
    /* Reads of a regular file never return EAGAIN; clear the flag all the same. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

json_t *ls_json_load_regular(const char *path, int *unreadable, char *why, size_t len)
{
    *unreadable = 1;
    int fd = ls_open_regular(path, why, len);
    if (fd < 0) return NULL;
    /* Through stdio: json_loadfd reads one byte per system call. */
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(why, len, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &e);
    fclose(f);
    if (!doc) {
        *unreadable = 0;
        snprintf(why, len, "%s (line %d)", e.text, e.line);
    }
    return doc;
}
