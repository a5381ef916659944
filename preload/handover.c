/* handover.c -- the record's memory, and its handover to the watcher outside (see handover.h). */
#include "handover.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "hello.h"
#include "say.h"
#include "state.h"

/* No static record to fall back on: 9 MiB of .bss would be reserved in every process (and
 * count against its address-space limit) for the one that cannot map the record at all. */
static struct ls_record *map_anonymous(void)
{
    void *p = mmap(NULL, sizeof(struct ls_record), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Connects to the watcher's abstract socket; -errno on failure. */
static int connect_collector(const char *name)
{
    int s = (int)syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name + 1); /* after the '@' */
    if (n > sizeof sa.sun_path - 1) n = sizeof sa.sun_path - 1;
    memcpy(sa.sun_path + 1, name + 1, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    if (syscall(SYS_connect, s, &sa, len) != 0) {
        int e = errno;
        syscall(SYS_close, s);
        return -e;
    }
    return s;
}

static int send_hello(int s, const struct ls_hello *h, int fd)
{
    struct iovec iov = {(void *)h, sizeof *h};
    union {
        struct cmsghdr c;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    return syscall(SYS_sendmsg, s, &msg, MSG_NOSIGNAL) == (long)sizeof *h ? 0 : -errno;
}

/* 1 when the watcher listening at the other end of s runs as this process's user or as root:
 * the record holds the host's argv and stacks, and a name (`loopstall collect --name`'s is
 * predictable) could have been taken first by another user to read them. */
static int trusted_watcher(int s)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (syscall(SYS_getsockopt, s, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return 0;
    return cred.uid == 0 || cred.uid == (uid_t)syscall(SYS_geteuid);
}

static struct ls_record *share(const char *collector, int *outside)
{
    int s = connect_collector(collector);
    if (s < 0) {
        ls_say("cannot reach the watcher ", collector,
               " (is loopstall run or collect gone?): this process reports into LOOPSTALL_OUT "
               "instead");
        return NULL;
    }
    if (!trusted_watcher(s)) {
        syscall(SYS_close, s);
        ls_say("the watcher ", collector,
               " runs as another user (neither this process's nor root): this process reports "
               "into LOOPSTALL_OUT instead");
        return NULL;
    }
    struct ls_hello h;
    memset(&h, 0, sizeof h);
    h.magic = LS_HELLO_MAGIC;
    h.version = LS_RECORD_VERSION;
    h.pid = (int32_t)ls_proc.pid;
    h.size = sizeof(struct ls_record);
    /* Sizing the memfd past the host's file-size limit (ulimit -f, LimitFSIZE=) raises
     * SIGXFSZ, which kills a host that keeps its default action: ask first. */
    struct rlimit fsize;
    int fits = syscall(SYS_getrlimit, RLIMIT_FSIZE, &fsize) != 0 ||
               fsize.rlim_cur == RLIM_INFINITY || fsize.rlim_cur >= sizeof(struct ls_record);
    int fd = fits ? (int)syscall(SYS_memfd_create, "loopstall-record", MFD_CLOEXEC) : -1;
    if (!fits) errno = EFBIG;
    void *p = MAP_FAILED;
    if (fd >= 0 && syscall(SYS_ftruncate, fd, (long)sizeof(struct ls_record)) == 0)
        p = mmap(NULL, sizeof(struct ls_record), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        /* The watcher hears why, so that its summary says a report was lost. */
        h.error = errno ? errno : ENOMEM;
        send_hello(s, &h, -1);
        if (fd >= 0) syscall(SYS_close, fd);
        syscall(SYS_close, s);
        return NULL;
    }
    /* The magic and size go first: the watcher checks them as soon as it maps. */
    struct ls_record *r = p;
    r->magic = LS_RECORD_MAGIC;
    r->version = LS_RECORD_VERSION;
    r->size = sizeof *r;
    int err = send_hello(s, &h, fd);
    syscall(SYS_close, fd);
    syscall(SYS_close, s);
    if (err) {
        munmap(p, sizeof *r);
        return NULL;
    }
    *outside = 1;
    return r;
}

LS_COLD struct ls_record *ls_record_create(const char *collector, int *outside)
{
    int saved = errno;
    *outside = 0;
    struct ls_record *r = NULL;
    if (collector && collector[0]) r = share(collector, outside);
    if (!r) r = map_anonymous();
    if (!r) {
        errno = saved;
        return NULL;
    }
    r->magic = LS_RECORD_MAGIC;
    r->version = LS_RECORD_VERSION;
    r->size = sizeof *r;
    errno = saved;
    return r;
}

LS_COLD void ls_record_release(struct ls_record *r)
{
    if (r) munmap(r, sizeof *r);
}
