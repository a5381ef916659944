/* collector.c -- the watcher outside the host (see collector.h). */
#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "doze.h"
#include "errnames.h"
#include "hello.h"
#include "json_out.h"
#include "record.h"
#include "watch.h"
#include "write.h"

/* What an epoll event is about: the first member of each thing the collector waits on. */
enum source_kind { SRC_LISTEN, SRC_IMAGE, SRC_SIGNALS, SRC_AWAITED, SRC_DOZE };
struct source {
    enum source_kind kind;
};

/* One process image's record, as the collector watches it. */
struct image {
    struct source src; /* SRC_IMAGE: its pidfd */
    struct ls_record *rec;
    struct ls_watch w;
    pid_t pid;
    int pidfd; /* readable when the process ends; -1 when it could not be opened */
    int done;  /* its report is written (or it had nothing to say) */
    int busy;  /* some loop of it was inside an iteration at the last tick */
    /* ls_collector_write_running: the news not written yet, and when the last write began. */
    int pending;
    uint64_t written_ns;
    int write_failed;
    struct image *next;
};

/* A process left behind that has not handed its record over (yet): the
 * collector stays live until its pidfd is readable. */
struct awaited {
    struct source src; /* SRC_AWAITED */
    int pidfd;
    struct awaited *next;
};

struct ls_collector {
    int epfd;
    int lsock;
    struct source listen_src;  /* SRC_LISTEN: lsock */
    struct source signals_src; /* SRC_SIGNALS: the caller's signalfd, if any */
    int signal_fd;
    char dir[PATH_MAX];
    pid_t root_pid;
    struct image *images;
    struct awaited *awaited;
    uint64_t next_tick_ns;  /* 0: no tick is due (no record is live) */
    struct ls_doze *doze;   /* NULL: this kernel cannot wait on many futexes; ticks go on */
    struct source doze_src; /* SRC_DOZE: the doze's eventfd */
    int quiet;              /* ticks in a row that saw every loop waiting, none stirred */
    char **losses;
    int nlosses;
    int hold;          /* reports kept in memory (held), not written into dir */
    int write_running; /* running images' reports written while they have news */
    int one_user;      /* records taken only from user `user` and root */
    uid_t user;
    struct ls_report_text *held;
    int nheld;
};

static void *zeroed(size_t n)
{
    return calloc(1, n);
}

static void say_line(void *ctx, const char *line)
{
    (void)ctx;
    fputs(line, stderr);
    fflush(stderr);
}

static void add_loss(struct ls_collector *c, const char *fmt, int pid, const char *why)
{
    char line[512];
    snprintf(line, sizeof line, fmt, pid, why);
    char **grown = realloc(c->losses, (size_t)(c->nlosses + 1) * sizeof *grown);
    if (!grown) return;
    c->losses = grown;
    c->losses[c->nlosses++] = strdup(line);
}

/* The same, for a write that failed with err (an errno): its name, or "error". */
static void add_write_loss(struct ls_collector *c, const char *fmt, int pid, int err)
{
    const char *name = ls_errno_name(err);
    add_loss(c, fmt, pid, name ? name : "error");
}

struct ls_collector *ls_collector_open(const char *dir, char *name, size_t len)
{
    return ls_collector_open_named(dir, NULL, name, len);
}

struct ls_collector *ls_collector_open_named(const char *dir, const char *want, char *name,
                                             size_t len)
{
    struct ls_collector *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->listen_src.kind = SRC_LISTEN;
    c->signals_src.kind = SRC_SIGNALS;
    c->signal_fd = -1;
    c->lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->lsock < 0 || c->epfd < 0) goto fail;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    uint64_t nonce = 0;
    if (!want && syscall(SYS_getrandom, &nonce, sizeof nonce, 0) != (long)sizeof nonce)
        nonce = ls_mono_ns() ^ (uint64_t)getpid() << 32;
    /* Abstract: no file, so a process that drops privileges or changes root still reaches it. */
    int n = want ? snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "%s", want)
                 : snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "loopstall-%d-%016llx",
                            (int)getpid(), (unsigned long long)nonce);
    if (n < 1 || (size_t)n >= sizeof sa.sun_path - 1) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(c->lsock, (struct sockaddr *)&sa, alen) != 0 || listen(c->lsock, 512) != 0) goto fail;
    snprintf(name, len, "@%s", sa.sun_path + 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->listen_src};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lsock, &ev) != 0) goto fail;
    c->doze_src.kind = SRC_DOZE;
    c->doze = ls_doze_open();
    struct epoll_event dev = {.events = EPOLLIN, .data.ptr = &c->doze_src};
    if (c->doze && epoll_ctl(c->epfd, EPOLL_CTL_ADD, ls_doze_fd(c->doze), &dev) != 0) {
        ls_doze_close(c->doze);
        c->doze = NULL;
    }
    return c;
fail:;
    int e = errno;
    if (c->lsock >= 0) close(c->lsock);
    if (c->epfd >= 0) close(c->epfd);
    free(c);
    errno = e;
    return NULL;
}

void ls_collector_hold_reports(struct ls_collector *c)
{
    c->hold = 1;
}

int ls_collector_held(const struct ls_collector *c, const struct ls_report_text **texts)
{
    *texts = c->held;
    return c->nheld;
}

void ls_collector_set_root(struct ls_collector *c, pid_t pid)
{
    c->root_pid = pid;
}

/* The report file of one image, as the agent would name it used directly. */
static void report_path(const struct ls_collector *c, const struct ls_record *r, char *out,
                        size_t len)
{
    if (r->image)
        snprintf(out, len, "%s/loopstall.%d.%u.json", c->dir, (int)r->pid, r->image);
    else
        snprintf(out, len, "%s/loopstall.%d.json", c->dir, (int)r->pid);
}

static ssize_t plain_write(int fd, const void *buf, size_t len)
{
    return write(fd, buf, len);
}

/* The report file of an ended image, written under a temporary name and renamed; 0 or an errno. */
static int write_file(struct ls_collector *c, struct image *im, enum ls_image_end end, uint64_t at)
{
    char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
    report_path(c, im->rec, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        static struct ls_json j;
        ls_json_init(&j, fd, plain_write);
        ls_write_report(&j, &im->w, at, end);
        err = -ls_json_finish(&j);
        if (!err && write(fd, "\n", 1) != 1) err = EIO;
        if (close(fd) != 0 && !err) err = errno;
        if (!err && rename(tmp, path) != 0) err = errno;
        if (err) unlink(tmp);
    }
    return err;
}

/* The text being held: the writer's output lands here. The writer knows only
 * a descriptor, and the collector writes one report at a time. */
static struct ls_report_text *filling;
static size_t filling_cap;

static ssize_t append_held(int fd, const void *buf, size_t len)
{
    (void)fd;
    if (filling->len + len > filling_cap) {
        size_t cap = filling_cap ? filling_cap : 4096;
        while (cap < filling->len + len)
            cap *= 2;
        char *grown = realloc(filling->text, cap);
        if (!grown) {
            errno = ENOMEM;
            return -1;
        }
        filling->text = grown;
        filling_cap = cap;
    }
    memcpy(filling->text + filling->len, buf, len);
    filling->len += len;
    return (ssize_t)len;
}

/* The report of an ended image, kept in memory; 0 or an errno. */
static int hold_report(struct ls_collector *c, struct image *im, enum ls_image_end end, uint64_t at)
{
    struct ls_report_text *grown = realloc(c->held, (size_t)(c->nheld + 1) * sizeof *grown);
    if (!grown) return ENOMEM;
    c->held = grown;
    struct ls_report_text *t = &c->held[c->nheld];
    memset(t, 0, sizeof *t);
    if (im->rec->image)
        snprintf(t->name, sizeof t->name, "the report of pid %d, image %u", (int)im->pid,
                 im->rec->image);
    else
        snprintf(t->name, sizeof t->name, "the report of pid %d", (int)im->pid);
    static struct ls_json j;
    filling = t;
    filling_cap = 0;
    ls_json_init(&j, -1, append_held);
    ls_write_report(&j, &im->w, at, end);
    int err = -ls_json_finish(&j);
    filling = NULL;
    if (err) {
        free(t->text);
        return err;
    }
    c->nheld++;
    return 0;
}

/* Writes an ended image's report and lets its record go. */
static void finish(struct ls_collector *c, struct image *im, enum ls_image_end end, uint64_t at)
{
    if (im->done) return;
    im->done = 1;
    /* The longest span the rate can have: a stall cut short by the end is measured with it. */
    ls_clock_refine(im->rec);
    ls_watch_drain(&im->w);
    if (ls_worth_a_report(&im->w, c->root_pid, end)) {
        int err = c->hold ? hold_report(c, im, end, at) : write_file(c, im, end, at);
        if (err) add_write_loss(c, "pid %d: its report could not be written (%s)", im->pid, err);
    }
    if (im->pidfd >= 0) {
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, im->pidfd, NULL);
        close(im->pidfd);
        im->pidfd = -1;
    }
    /* The watcher keeps /proc files open only for loops it saw; with none,
     * walking its 64 slots would only fault in the pages they sit on. */
    if (atomic_load(&im->rec->nloops)) ls_watch_release(&im->w);
    free(im->w.store.kept);
    free(im->w.store.folded);
    free(im->w.store.gone);
    im->w.store.kept = NULL;
    im->w.store.folded = NULL;
    im->w.store.gone = NULL;
    munmap(im->rec, sizeof *im->rec);
    im->rec = NULL;
}

/* A running image's report, written while it has news (ls_collector_write_running); a loss
 * is said once per image. */
static void write_running(struct ls_collector *c, struct image *im)
{
    if (!ls_worth_a_report(&im->w, c->root_pid, LS_END_RUNNING)) return;
    int err = write_file(c, im, LS_END_RUNNING, ls_rec_ticks(im->rec));
    if (err && !im->write_failed) {
        im->write_failed = 1;
        add_write_loss(c, "pid %d: its running report could not be written (%s)", im->pid, err);
    }
}

/* When an image ended: what its agent recorded (exit, exec, an exit hook),
 * else now (killed, or gone without a word). */
static uint64_t end_ticks(const struct ls_record *r)
{
    uint64_t t = atomic_load(&r->end_ticks);
    return t ? t : ls_rec_ticks(r);
}

static void accept_one(struct ls_collector *c, int s)
{
    struct ls_hello h;
    union {
        struct cmsghdr c;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {&h, sizeof h};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
    int fd = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    struct ucred cred;
    socklen_t cl = sizeof cred;
    int have_cred = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0;
    close(s);
    if (n != (ssize_t)sizeof h || h.magic != LS_HELLO_MAGIC) {
        if (fd >= 0) close(fd);
        return;
    }
    pid_t pid = have_cred ? cred.pid : h.pid;
    if (c->one_user && !(have_cred && (cred.uid == c->user || cred.uid == 0))) {
        char why[64];
        snprintf(why, sizeof why, "%d", have_cred ? (int)cred.uid : -1);
        add_loss(c,
                 "pid %d of user %s was refused: this collector takes records of its own user and "
                 "root only",
                 pid, why);
        if (fd >= 0) close(fd);
        return;
    }
    if (h.error || fd < 0 || h.version != LS_RECORD_VERSION || h.size != sizeof(struct ls_record)) {
        const char *why = h.error ? ls_errno_name(h.error) : "an agent of another version";
        add_loss(c, "pid %d could not share its record (%s): its stalls are not in this report",
                 pid, why ? why : "error");
        if (fd >= 0) close(fd);
        return;
    }
    /* Shorter than a record, it would fault (SIGBUS) where the watcher reads past its end. */
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(struct ls_record)) {
        add_loss(c, "pid %d handed over a record too small to read (%s)", pid, "EINVAL");
        close(fd);
        return;
    }
    void *p = mmap(NULL, sizeof(struct ls_record), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        add_loss(c, "pid %d: its record could not be mapped (%s)", pid, ls_errno_name(errno));
        return;
    }
    struct ls_record *r = p;
    if (r->magic != LS_RECORD_MAGIC || r->version != LS_RECORD_VERSION) {
        munmap(p, sizeof *r);
        return;
    }
    /* A new image of a pid already watched: the old one was replaced by exec. */
    for (struct image *o = c->images; o; o = o->next)
        if (!o->done && o->pid == pid) finish(c, o, LS_END_EXEC, end_ticks(o->rec));
    struct image *im = calloc(1, sizeof *im);
    if (!im) {
        munmap(p, sizeof *r);
        return;
    }
    im->src.kind = SRC_IMAGE;
    im->rec = r;
    im->pid = pid;
    ls_watch_init(&im->w, r, pid, zeroed);
    im->w.say = say_line;
    im->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (im->pidfd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &im->src};
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, im->pidfd, &ev);
    }
    im->next = c->images;
    c->images = im;
    /* Its first look at once when nothing else was watched (no tick was due). */
    if (!c->next_tick_ns) c->next_tick_ns = ls_mono_ns();
    if (im->pidfd < 0) {
        /* Already gone (and reaped): what the record says is all there is. */
        enum ls_image_end e =
            atomic_load(&r->state) == LS_IMAGE_EXITED ? LS_END_EXIT : LS_END_SIGNAL;
        finish(c, im, e, end_ticks(r));
    }
}

/* One watcher tick over every live record, and when the next is due: the
 * soonest of their intervals (ls_watch_interval_ns: half a threshold while a
 * loop is in an iteration, a whole one while all wait); none while no record
 * is live, as there is nothing to look at. */
static void tick(struct ls_collector *c)
{
    uint64_t next = 0;
    int stirred = 0;
    for (struct image *im = c->images; im; im = im->next) {
        if (im->done) continue;
        int news = ls_watch_tick(&im->w, ls_rec_ticks(im->rec), &im->busy);
        if (c->write_running && ls_news_due(news, &im->pending, &im->written_ns, ls_mono_ns()))
            write_running(c, im);
        stirred |= im->busy;
        uint64_t step = ls_watch_interval_ns(im->rec, im->busy);
        if (!next || step < next) next = step;
    }
    c->quiet = stirred ? 0 : c->quiet + 1;
    c->next_tick_ns = next ? ls_mono_ns() + next : 0;
}

/* After LS_DOZE_QUIET_TICKS ticks that saw every loop waiting, the collector dozes (doze.h) until
 * a loop begins an iteration, something else arrives, or LS_DOZE_NS pass. Says whether it dozes:
 * each record is told first, then looked at again, so a loop that began an iteration in between is
 * either seen here or wakes the doze. */
static int doze(struct ls_collector *c)
{
    _Atomic uint32_t *words[LS_DOZE_WORDS];
    int n = 0;
    for (struct image *im = c->images; im; im = im->next) {
        if (im->done) continue;
        if (n == LS_DOZE_WORDS) return 0;
        words[n++] = &im->rec->watcher_asleep;
    }
    if (!ls_doze_prepare(c->doze, words, n)) return 0;
    for (struct image *im = c->images; im; im = im->next)
        if (!im->done && !ls_watch_all_waiting(&im->w)) {
            ls_doze_end(c->doze);
            c->quiet = 0;
            return 0;
        }
    ls_doze_start(c->doze);
    return 1;
}

/* A process left behind ended (or was never there): the collector no longer waits for it. */
static void stop_awaiting(struct ls_collector *c, struct awaited *a)
{
    for (struct awaited **p = &c->awaited; *p; p = &(*p)->next)
        if (*p == a) {
            *p = a->next;
            break;
        }
    epoll_ctl(c->epfd, EPOLL_CTL_DEL, a->pidfd, NULL);
    close(a->pidfd);
    free(a);
}

/* Milliseconds until the next tick, rounded up so that the wait never ends
 * before it; -1 (no timeout) when none is due. */
static int timeout_ms(const struct ls_collector *c)
{
    if (!c->next_tick_ns) return -1;
    uint64_t now = ls_mono_ns();
    if (now >= c->next_tick_ns) return 0;
    return (int)((c->next_tick_ns - now + 999999) / 1000000);
}

int ls_collector_wait(struct ls_collector *c)
{
    struct epoll_event ev[64];
    int timeout = timeout_ms(c);
    if (timeout && c->next_tick_ns && c->doze && c->quiet >= LS_DOZE_QUIET_TICKS && doze(c))
        timeout = (int)(LS_DOZE_NS / 1000000);
    int n = epoll_wait(c->epfd, ev, 64, timeout);
    if (ls_doze_active(c->doze)) {
        /* Whatever ended the doze, the records are looked at now (and may be unmapped). */
        ls_doze_end(c->doze);
        c->next_tick_ns = ls_mono_ns();
    }
    int signals = 0;
    /* Every hello first: a process may end right after it. */
    for (int i = 0; i < n; i++) {
        const struct source *src = ev[i].data.ptr;
        if (src->kind != SRC_LISTEN) continue;
        int s;
        while ((s = accept4(c->lsock, NULL, NULL, SOCK_CLOEXEC)) >= 0)
            accept_one(c, s);
    }
    for (int i = 0; i < n; i++) {
        struct source *src = ev[i].data.ptr;
        if (src->kind == SRC_SIGNALS) {
            signals = 1;
        } else if (src->kind == SRC_AWAITED) {
            stop_awaiting(c, (struct awaited *)src);
        } else if (src->kind == SRC_IMAGE) {
            struct image *im = (struct image *)src;
            if (im->done) continue;
            /* Ended without being reaped here (not our child): the record says how. */
            enum ls_image_end e =
                atomic_load(&im->rec->state) == LS_IMAGE_EXITED ? LS_END_EXIT : LS_END_SIGNAL;
            finish(c, im, e, end_ticks(im->rec));
        }
    }
    if (c->next_tick_ns && ls_mono_ns() >= c->next_tick_ns) tick(c);
    return signals;
}

void ls_collector_write_running(struct ls_collector *c)
{
    c->write_running = 1;
}

void ls_collector_only_user(struct ls_collector *c, uid_t uid)
{
    c->one_user = 1;
    c->user = uid;
}

void ls_collector_watch_signals(struct ls_collector *c, int fd)
{
    if (c->signal_fd >= 0) epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->signal_fd, NULL);
    c->signal_fd = -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->signals_src};
    if (fd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) c->signal_fd = fd;
}

void ls_collector_await(struct ls_collector *c, int pidfd)
{
    struct awaited *a = calloc(1, sizeof *a);
    if (!a) {
        close(pidfd);
        return;
    }
    a->src.kind = SRC_AWAITED;
    a->pidfd = pidfd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &a->src};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, pidfd, &ev) != 0) {
        close(pidfd);
        free(a);
        return;
    }
    a->next = c->awaited;
    c->awaited = a;
}

void ls_collector_ended(struct ls_collector *c, pid_t pid, int status)
{
    for (struct image *im = c->images; im; im = im->next) {
        if (im->done || im->pid != pid) continue;
        enum ls_image_end e = WIFSIGNALED(status) ? LS_END_SIGNAL : LS_END_EXIT;
        finish(c, im, e, end_ticks(im->rec));
    }
}

int ls_collector_live(const struct ls_collector *c)
{
    int n = 0;
    for (struct image *im = c->images; im; im = im->next)
        n += !im->done;
    for (const struct awaited *a = c->awaited; a; a = a->next)
        n++;
    return n;
}

int ls_collector_pids(const struct ls_collector *c, pid_t *out, int max)
{
    int n = 0;
    for (struct image *im = c->images; im && n < max; im = im->next)
        if (!im->done) out[n++] = im->pid;
    return n;
}

int ls_collector_losses(const struct ls_collector *c, const char ***lines)
{
    *lines = (const char **)c->losses;
    return c->nlosses;
}

/* What close and forget both let go of last. */
static void free_lists(struct ls_collector *c)
{
    /* Closed, not taken out of the epoll set: after a fork (--no-wait) that
     * set is shared, and the other process may still wait on them. */
    while (c->awaited) {
        struct awaited *next = c->awaited->next;
        close(c->awaited->pidfd);
        free(c->awaited);
        c->awaited = next;
    }
    for (int i = 0; i < c->nlosses; i++)
        free(c->losses[i]);
    free(c->losses);
    for (int i = 0; i < c->nheld; i++)
        free(c->held[i].text);
    free(c->held);
    ls_doze_close(c->doze);
    close(c->lsock);
    close(c->epfd);
    free(c);
}

void ls_collector_forget(struct ls_collector *c)
{
    while (c->images) {
        struct image *im = c->images, *next = im->next;
        if (!im->done) {
            if (im->pidfd >= 0) close(im->pidfd);
            free(im->w.store.kept);
            free(im->w.store.folded);
            free(im->w.store.gone);
            munmap(im->rec, sizeof *im->rec);
        }
        free(im);
        c->images = next;
    }
    free_lists(c);
}

void ls_collector_finish_live(struct ls_collector *c)
{
    for (struct image *im = c->images; im; im = im->next)
        if (!im->done) finish(c, im, LS_END_RUNNING, ls_rec_ticks(im->rec));
}

void ls_collector_close(struct ls_collector *c)
{
    ls_collector_finish_live(c);
    while (c->images) {
        struct image *next = c->images->next;
        free(c->images);
        c->images = next;
    }
    free_lists(c);
}
