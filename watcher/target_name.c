/* target_name.c -- paths, peers, host names and pids from raw targets (see target_name.h). */
#include "target_name.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "calls.h"
#include "mem.h"
#include "procfs.h"

/* snprintf is not used: it may allocate and take locks; these builders do neither. */
static size_t put_str(char *out, size_t len, size_t pos, const char *s)
{
    while (*s && pos + 1 < len)
        out[pos++] = *s++;
    out[pos < len ? pos : len - 1] = '\0';
    return pos;
}

static size_t put_num(char *out, size_t len, size_t pos, uint64_t v)
{
    char tmp[24];
    tmp[ls_put_uint(tmp, v)] = '\0';
    return put_str(out, len, pos, tmp);
}

void ls_format_sockaddr(const struct sockaddr *sa, socklen_t salen, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    out[0] = '\0';
    if (!sa || salen < sizeof(sa_family_t)) return;
    if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        size_t p = put_str(out, len, 0, host);
        p = put_str(out, len, p, ":");
        put_num(out, len, p, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        size_t p = put_str(out, len, 0, "[");
        p = put_str(out, len, p, host);
        p = put_str(out, len, p, "]:");
        put_num(out, len, p, ntohs(in6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const void *)sa;
        size_t p = put_str(out, len, 0, "unix:");
        size_t max = salen > offsetof(struct sockaddr_un, sun_path)
                         ? salen - offsetof(struct sockaddr_un, sun_path)
                         : 0;
        if (max > sizeof un->sun_path) max = sizeof un->sun_path;
        if (max && un->sun_path[0]) {
            char path[sizeof un->sun_path + 1];
            size_t k = strnlen(un->sun_path, max);
            memcpy(path, un->sun_path, k);
            path[k] = '\0';
            put_str(out, len, p, path);
        } else if (max > 1) {
            /* An abstract name: a NUL, then the name (shown as @name, up to its first NUL:
             * an address read from memory has no length to go by). */
            char path[sizeof un->sun_path + 1];
            size_t k = strnlen(un->sun_path + 1, max - 1);
            memcpy(path, un->sun_path + 1, k);
            path[k] = '\0';
            put_str(out, len, put_str(out, len, p, "@"), k ? path : "(unnamed)");
        } else {
            put_str(out, len, p, "(unnamed)");
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* One line of /proc/net/tcp{,6}: "sl local rem st ... uid timeout inode". When
 * its inode is ino, formats the remote address (or, unconnected, the local
 * one as "local ADDR") and returns 1. */
static int tcp_line_peer(const char *line, uint64_t ino, int v6, char *out, size_t n)
{
    const char *f[10];
    int nf = 0;
    const char *p = line;
    while (*p && nf < 10) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        f[nf++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (nf < 10) return 0;
    uint64_t v = 0;
    for (const char *q = f[9]; *q >= '0' && *q <= '9'; q++)
        v = v * 10 + (uint64_t)(*q - '0');
    if (v != ino) return 0;
    const char *addr = f[2];
    int local = 0;
    size_t alen = v6 ? 32 : 8;
    /* An all-zero remote address: a listening or unconnected socket. */
    int zero = 1;
    for (size_t i = 0; i < alen; i++)
        if (addr[i] != '0') zero = 0;
    if (zero) {
        addr = f[1];
        local = 1;
    }
    /* Each 32-bit word is printed as a number in the host's byte order: on a
     * little-endian machine its bytes come out reversed. */
    unsigned char bytes[16];
    for (size_t w = 0; w < alen / 8; w++) {
        uint32_t word = 0;
        for (size_t i = 0; i < 8; i++) {
            int h = hexval(addr[8 * w + i]);
            if (h < 0) return 0;
            word = word << 4 | (uint32_t)h;
        }
        memcpy(bytes + 4 * w, &word, 4);
    }
    unsigned port = 0;
    for (const char *q = addr + alen + 1; hexval(*q) >= 0; q++)
        port = port * 16 + (unsigned)hexval(*q);
    /* The kernel prints each 32-bit word in host order. */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (!v6) {
        struct sockaddr_in *in = (void *)&ss;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, bytes, 4);
        in->sin_port = htons((uint16_t)port);
        sl = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (void *)&ss;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, bytes, 16);
        in6->sin6_port = htons((uint16_t)port);
        sl = sizeof *in6;
    }
    char text[96];
    ls_format_sockaddr((struct sockaddr *)&ss, sl, text, sizeof text);
    size_t at = local ? put_str(out, n, 0, "local ") : 0;
    put_str(out, n, at, text);
    return 1;
}

/* Looks socket inode ino up in one /proc/PID/net/ table, streaming it in
 * chunks so that a host with thousands of sockets costs no memory. */
static int peer_from_table(pid_t pid, const char *table, uint64_t ino, int v6, char *out, size_t n)
{
    char path[64];
    ls_proc_path(path, sizeof path, pid, 0, table);
    int saved = errno;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return 0;
    }
    char buf[4096 + 256];
    size_t have = 0;
    int found = 0;
    for (;;) {
        ssize_t r = syscall(SYS_read, fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0) break;
        have += (size_t)r;
        buf[have] = '\0';
        char *line = buf, *nl;
        while (!found && (nl = strchr(line, '\n'))) {
            *nl = '\0';
            found = tcp_line_peer(line, ino, v6, out, n);
            line = nl + 1;
        }
        if (found) break;
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have >= sizeof buf - 1) have = 0; /* a line too long to be one of ours */
    }
    syscall(SYS_close, fd);
    errno = saved;
    return found;
}

void ls_fd_describe_proc(pid_t pid, int fd, char *out, size_t n)
{
    char link[64], num[24];
    out[0] = '\0';
    if (fd < 0) return;
    num[ls_put_uint(num, (uint64_t)fd)] = '\0';
    char leaf[32] = "fd/";
    memcpy(leaf + 3, num, strlen(num) + 1);
    ls_proc_path(link, sizeof link, pid, 0, leaf);
    int saved = errno;
    ssize_t len = syscall(SYS_readlinkat, AT_FDCWD, link, out, n - 1);
    errno = saved;
    if (len <= 0) {
        put_num(out, n, put_str(out, n, 0, "fd "), (uint64_t)fd);
        return;
    }
    out[len] = '\0';
    if (strncmp(out, "socket:[", 8) == 0) {
        uint64_t ino = 0;
        for (const char *q = out + 8; *q >= '0' && *q <= '9'; q++)
            ino = ino * 10 + (uint64_t)(*q - '0');
        char peer[96];
        if (peer_from_table(pid, "net/tcp", ino, 0, peer, sizeof peer) ||
            peer_from_table(pid, "net/tcp6", ino, 1, peer, sizeof peer))
            put_str(out, n, 0, peer);
    }
}

void ls_target_describe(pid_t pid, int tkind, uint64_t target, char *out, size_t n)
{
    out[0] = '\0';
    switch (tkind) {
    case LS_T_FD:
        ls_fd_describe_proc(pid, (int)(int64_t)target, out, n);
        break;
    case LS_T_PID:
        if ((int64_t)target > 0)
            put_num(out, n, put_str(out, n, 0, "pid "), target);
        else
            put_str(out, n, 0, "any child");
        break;
    case LS_T_EPOLL:
        put_num(out, n, put_str(out, n, 0, "nested loop, epoll fd "), target);
        break;
    case LS_T_PATH:
    case LS_T_HOST:
    case LS_T_CMD:
        if (target && ls_mem_read_str(pid, target, out, n) < 0) out[0] = '\0';
        break;
    case LS_T_SOCKADDR: {
        struct sockaddr_storage ss;
        ssize_t got = target ? ls_mem_read(pid, target, &ss, sizeof ss) : -1;
        if (got >= (ssize_t)sizeof(sa_family_t))
            ls_format_sockaddr((struct sockaddr *)&ss, (socklen_t)got, out, n);
        break;
    }
    case LS_T_POLLFD: {
        int fd = -1;
        if (target && ls_mem_read(pid, target, &fd, sizeof fd) == (ssize_t)sizeof fd)
            ls_fd_describe_proc(pid, fd, out, n);
        break;
    }
    default:
        break;
    }
}
