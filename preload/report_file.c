/* report_file.c -- write this image's report file atomically (see report_file.h). */
#include "report_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "errnames.h"
#include "procfs.h"
#include "say.h"
#include "state.h"

/* Bytes the report being written may still take before the host's file-size limit: a write
 * at the limit raises SIGXFSZ, whose default action kills the host. */
static uint64_t room;

static ssize_t raw_write(int fd, const void *buf, size_t len)
{
    if (len > room) {
        errno = EFBIG;
        return -1;
    }
    ssize_t n = syscall(SYS_write, fd, buf, len);
    if (n > 0) room -= (uint64_t)n;
    return n;
}

static size_t put(char *out, size_t len, size_t at, const char *s)
{
    while (*s && at + 1 < len)
        out[at++] = *s++;
    out[at < len ? at : len - 1] = '\0';
    return at;
}

static size_t put_num(char *out, size_t len, size_t at, uint64_t v)
{
    char num[24];
    num[ls_put_uint(num, v)] = '\0';
    return put(out, len, at, num);
}

/* DIR/loopstall.PID.json, or DIR/loopstall.PID.IMAGE.json for a later image of the pid. */
static void report_name(char *out, size_t len, int temporary)
{
    const struct ls_record *r = ls_proc.rec;
    size_t at = put(out, len, 0, ls_cfg.out_dir);
    at = put(out, len, at, temporary ? "/.loopstall." : "/loopstall.");
    at = put_num(out, len, at, (uint64_t)r->pid);
    if (r->image) {
        at = put(out, len, at, ".");
        at = put_num(out, len, at, r->image);
    }
    put(out, len, at, temporary ? ".json.tmp" : ".json");
}

static int open_unnamed(void)
{
    int fd =
        (int)syscall(SYS_openat, AT_FDCWD, ls_cfg.out_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        syscall(SYS_mkdir, ls_cfg.out_dir, 0755); /* a missing directory is made */
        fd = (int)syscall(SYS_openat, AT_FDCWD, ls_cfg.out_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC,
                          0644);
    }
    return fd < 0 ? -errno : fd;
}

/* Gives the unnamed file fd a name and renames it over the report. Where the
 * file system has no O_TMPFILE, a named temporary file was written instead. */
static int publish(int fd, int named, const char *tmp, const char *path)
{
    if (!named) {
        char link[64];
        ls_proc_path(link, sizeof link, 0, 0, "fd/");
        size_t at = strlen(link);
        link[at + ls_put_uint(link + at, (uint64_t)fd)] = '\0';
        syscall(SYS_unlink, tmp); /* a stale one from a killed process of the same pid */
        if (syscall(SYS_linkat, AT_FDCWD, link, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
            return -errno;
    }
    if (syscall(SYS_rename, tmp, path) != 0) {
        int e = -errno;
        syscall(SYS_unlink, tmp);
        return e;
    }
    return 0;
}

int ls_report_file_write(struct ls_watch *w, uint64_t now, enum ls_image_end end)
{
    static int told; /* one line on stderr for the first failure, then quiet */
    static struct ls_json j;
    int saved = errno;
    char path[1200], tmp[1200];
    report_name(path, sizeof path, 0);
    report_name(tmp, sizeof tmp, 1);
    int named = 0;
    int fd = open_unnamed();
    if (fd == -EOPNOTSUPP || fd == -EISDIR || fd == -EINVAL) {
        fd =
            (int)syscall(SYS_openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        fd = fd < 0 ? -errno : fd;
        named = 1;
    }
    int err = fd < 0 ? fd : 0;
    if (fd >= 0) {
        struct rlimit fsize;
        room = syscall(SYS_getrlimit, RLIMIT_FSIZE, &fsize) == 0 && fsize.rlim_cur != RLIM_INFINITY
                   ? (uint64_t)fsize.rlim_cur
                   : UINT64_MAX;
        ls_json_init(&j, fd, raw_write);
        ls_write_report(&j, w, now, end);
        err = ls_json_finish(&j);
        if (!err && raw_write(fd, "\n", 1) != 1) err = -EIO;
        if (!err)
            err = publish(fd, named, tmp, path);
        else if (named)
            syscall(SYS_unlink, tmp);
        syscall(SYS_close, fd);
    }
    if (err && !told) {
        told = 1;
        const char *name = ls_errno_name(-err);
        char why[64] = ": ";
        memcpy(why + 2, name ? name : "error", strlen(name ? name : "error") + 1);
        ls_say("cannot write ", path, why);
    }
    errno = saved;
    return err;
}
