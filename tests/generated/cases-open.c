/* cases-open.c -- calling cases for opening files: one successful call each (see probe.h). */
#include "probe.h"

#include <fcntl.h>
#include <stdio.h>

/* The fortified entry points a program built with _FORTIFY_SOURCE calls. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* Opens a scratch file that exists; the descriptor is closed raw. */
#define OPENING(call)                                                                              \
    const char *path = probe_file();                                                               \
    int fd = -1;                                                                                   \
    PROBE_CALL(c, fd = call);                                                                      \
    probe_close(fd)

static void case_open(struct probe_call *c)
{
    OPENING(open(path, O_RDONLY | O_CLOEXEC));
}

static void case_open64(struct probe_call *c)
{
    OPENING(open64(path, O_RDONLY | O_CLOEXEC));
}

static void case_openat(struct probe_call *c)
{
    OPENING(openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
}

static void case_openat64(struct probe_call *c)
{
    OPENING(openat64(AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
}

static void case_open_2(struct probe_call *c)
{
    OPENING(__open_2(path, O_RDONLY | O_CLOEXEC));
}

static void case_open64_2(struct probe_call *c)
{
    OPENING(__open64_2(path, O_RDONLY | O_CLOEXEC));
}

static void case_openat_2(struct probe_call *c)
{
    OPENING(__openat_2(AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
}

static void case_openat64_2(struct probe_call *c)
{
    OPENING(__openat64_2(AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
}

static void case_creat(struct probe_call *c)
{
    OPENING(creat(path, 0600));
}

static void case_creat64(struct probe_call *c)
{
    OPENING(creat64(path, 0600));
}

/* fclose is not intercepted: closing the stream counts nothing. */
#define FOPENING(call)                                                                             \
    const char *path = probe_file();                                                               \
    FILE *f = NULL;                                                                                \
    PROBE_CALL(c, (f = call) != NULL);                                                             \
    if (f) fclose(f)

static void case_fopen(struct probe_call *c)
{
    FOPENING(fopen(path, "re"));
}

static void case_fopen64(struct probe_call *c)
{
    FOPENING(fopen64(path, "re"));
}

const struct probe_case probe_cases_open[] = {
    {"open", case_open, 0, 0},
    {"open64", case_open64, 0, 0},
    {"openat", case_openat, 0, 0},
    {"openat64", case_openat64, 0, 0},
    {"__open_2", case_open_2, 0, 0},
    {"__open64_2", case_open64_2, 0, 0},
    {"__openat_2", case_openat_2, 0, 0},
    {"__openat64_2", case_openat64_2, 0, 0},
    {"creat", case_creat, 0, 0},
    {"creat64", case_creat64, 0, 0},
    {"fopen", case_fopen, 0, 0},
    {"fopen64", case_fopen64, 0, 0},
    {NULL, NULL, 0, 0},
};
