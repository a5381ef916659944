/* cases-io.c -- calling cases for descriptor I/O, flushing and file locks: one successful call
 * each (see probe.h). */
#include "probe.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

/* The fortified entry points a program built with _FORTIFY_SOURCE calls. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);

#define VECTORS                                                                                    \
    struct iovec v[4];                                                                             \
    probe_iov(v, buf)

/* Each case moves PROBE_ASK bytes: from a pipe that holds them, into an empty
 * one, or at the start of a file of that size; v holds the same bytes as
 * vectors, an empty one first. */
#define FROM_PIPE(call)                                                                            \
    int p[2];                                                                                      \
    char buf[PROBE_ASK];                                                                           \
    VECTORS;                                                                                       \
    probe_full_pipe(p);                                                                            \
    PROBE_CALL(c, call);                                                                           \
    probe_close(p[0]);                                                                             \
    probe_close(p[1])

#define ON_FILE(call)                                                                              \
    char buf[PROBE_ASK];                                                                           \
    memset(buf, 'y', sizeof buf);                                                                  \
    VECTORS;                                                                                       \
    int fd = probe_open_file();                                                                    \
    PROBE_CALL(c, call);                                                                           \
    probe_close(fd)

#define INTO_PIPE(call)                                                                            \
    int p[2];                                                                                      \
    char buf[PROBE_ASK];                                                                           \
    memset(buf, 'y', sizeof buf);                                                                  \
    VECTORS;                                                                                       \
    probe_empty_pipe(p);                                                                           \
    PROBE_CALL(c, call);                                                                           \
    probe_close(p[0]);                                                                             \
    probe_close(p[1])

static void case_read(struct probe_call *c)
{
    FROM_PIPE(read(p[0], buf, sizeof buf));
}

static void case_read_chk(struct probe_call *c)
{
    FROM_PIPE(__read_chk(p[0], buf, sizeof buf, sizeof buf));
}

static void case_pread(struct probe_call *c)
{
    ON_FILE(pread(fd, buf, sizeof buf, 0));
}

static void case_pread64(struct probe_call *c)
{
    ON_FILE(pread64(fd, buf, sizeof buf, 0));
}

static void case_pread_chk(struct probe_call *c)
{
    ON_FILE(__pread_chk(fd, buf, sizeof buf, 0, sizeof buf));
}

static void case_pread64_chk(struct probe_call *c)
{
    ON_FILE(__pread64_chk(fd, buf, sizeof buf, 0, sizeof buf));
}

static void case_readv(struct probe_call *c)
{
    FROM_PIPE(readv(p[0], v, 4));
}

static void case_preadv(struct probe_call *c)
{
    ON_FILE(preadv(fd, v, 4, 0));
}

static void case_preadv64(struct probe_call *c)
{
    ON_FILE(preadv64(fd, v, 4, 0));
}

static void case_write(struct probe_call *c)
{
    INTO_PIPE(write(p[1], buf, sizeof buf));
}

static void case_pwrite(struct probe_call *c)
{
    ON_FILE(pwrite(fd, buf, sizeof buf, 0));
}

static void case_pwrite64(struct probe_call *c)
{
    ON_FILE(pwrite64(fd, buf, sizeof buf, 0));
}

static void case_writev(struct probe_call *c)
{
    INTO_PIPE(writev(p[1], v, 4));
}

static void case_pwritev(struct probe_call *c)
{
    ON_FILE(pwritev(fd, v, 4, 0));
}

static void case_pwritev64(struct probe_call *c)
{
    ON_FILE(pwritev64(fd, v, 4, 0));
}

static void case_dup2(struct probe_call *c)
{
    int p[2];
    probe_empty_pipe(p);
    PROBE_CALL(c, dup2(p[0], p[1]));
    probe_close(p[0]);
    probe_close(p[1]);
}

static void case_dup3(struct probe_call *c)
{
    int p[2];
    probe_empty_pipe(p);
    PROBE_CALL(c, dup3(p[0], p[1], O_CLOEXEC));
    probe_close(p[0]);
    probe_close(p[1]);
}

static void case_ioctl(struct probe_call *c)
{
    int ready = 0;
    FROM_PIPE(ioctl(p[0], FIONREAD, &ready));
}

static void case_close(struct probe_call *c)
{
    int p[2];
    probe_empty_pipe(p);
    PROBE_CALL(c, close(p[0]));
    probe_close(p[1]);
}

static void case_fsync(struct probe_call *c)
{
    ON_FILE(fsync(fd));
}

static void case_fdatasync(struct probe_call *c)
{
    ON_FILE(fdatasync(fd));
}

static void case_syncfs(struct probe_call *c)
{
    ON_FILE(syncfs(fd));
}

static void case_msync(struct probe_call *c)
{
    int fd = probe_open_file();
    char *map = mmap(NULL, PROBE_ASK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) probe_die("mmap");
    map[0] = 'z';
    PROBE_CALL(c, msync(map, PROBE_ASK, MS_SYNC));
    munmap(map, PROBE_ASK);
    probe_close(fd);
}

/* Locks that are free, taken without waiting; closing the file releases them. */
static void case_flock(struct probe_call *c)
{
    ON_FILE(flock(fd, LOCK_EX | LOCK_NB));
}

static void case_lockf(struct probe_call *c)
{
    ON_FILE(lockf(fd, F_TLOCK, 0));
}

static void case_lockf64(struct probe_call *c)
{
    ON_FILE(lockf64(fd, F_TLOCK, 0));
}

static void case_fcntl(struct probe_call *c)
{
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    ON_FILE(fcntl(fd, F_SETLK, &lk));
}

static void case_fcntl64(struct probe_call *c)
{
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    ON_FILE(fcntl64(fd, F_SETLK, &lk));
}

const struct probe_case probe_cases_io[] = {
    {"read", case_read, 0, 0},
    {"__read_chk", case_read_chk, 0, 0},
    {"pread", case_pread, 0, 0},
    {"pread64", case_pread64, 0, 0},
    {"__pread_chk", case_pread_chk, 0, 0},
    {"__pread64_chk", case_pread64_chk, 0, 0},
    {"readv", case_readv, 0, 0},
    {"preadv", case_preadv, 0, 0},
    {"preadv64", case_preadv64, 0, 0},
    {"write", case_write, 0, 0},
    {"pwrite", case_pwrite, 0, 0},
    {"pwrite64", case_pwrite64, 0, 0},
    {"writev", case_writev, 0, 0},
    {"pwritev", case_pwritev, 0, 0},
    {"pwritev64", case_pwritev64, 0, 0},
    {"dup2", case_dup2, 0, 0},
    {"dup3", case_dup3, 0, 0},
    {"ioctl", case_ioctl, 0, 0},
    {"close", case_close, 0, 0},
    {"fsync", case_fsync, 0, 0},
    {"fdatasync", case_fdatasync, 0, 0},
    {"syncfs", case_syncfs, 0, 0},
    {"msync", case_msync, 0, 0},
    {"flock", case_flock, 0, 0},
    {"lockf", case_lockf, 0, 0},
    {"lockf64", case_lockf64, 0, 0},
    {"fcntl", case_fcntl, 0, 0},
    {"fcntl64", case_fcntl64, 0, 0},
    {NULL, NULL, 0, 0},
};
