/* target.c -- name what a call waited on: a path, a peer's host:port, a host name, a child pid. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

/* snprintf is not used: it may allocate and take locks; these builders do neither. */
static size_t put_str(char *out, size_t len, size_t pos, const char *s)
{
    while (*s && pos + 1 < len)
        out[pos++] = *s++;
    out[pos < len ? pos : len - 1] = '\0';
    return pos;
}

static size_t put_num(char *out, size_t len, size_t pos, long long v)
{
    char tmp[24];
    int i = sizeof tmp - 1;
    unsigned long long u = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    return put_str(out, len, pos, tmp + i);
}

static void format_sockaddr(const struct sockaddr *sa, socklen_t salen, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    out[0] = '\0';
    if (!sa) return;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        size_t p = put_str(out, len, 0, host);
        p = put_str(out, len, p, ":");
        put_num(out, len, p, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        size_t p = put_str(out, len, 0, "[");
        p = put_str(out, len, p, host);
        p = put_str(out, len, p, "]:");
        put_num(out, len, p, ntohs(in6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const void *)sa;
        size_t p = put_str(out, len, 0, "unix:");
        if (salen > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0])
            put_str(out, len, p, un->sun_path);
        else
            put_str(out, len, p, "(unnamed)");
    }
}

/* Names the file or peer behind a descriptor. Costs a system call or two, so
 * it runs only after a call that was long enough to be kept. */
static void name_fd(int fd, char *out, size_t len)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
            format_sockaddr((struct sockaddr *)&ss, sl, out, len);
            if (out[0]) return;
        }
        sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
            char local[LS_TARGET_MAX];
            format_sockaddr((struct sockaddr *)&ss, sl, local, sizeof local);
            if (local[0]) {
                size_t p = put_str(out, len, 0, "local ");
                put_str(out, len, p, local);
                return;
            }
        }
    }
    char link[32];
    size_t p = put_str(link, sizeof link, 0, "/proc/self/fd/");
    put_num(link, sizeof link, p, fd);
    ssize_t n = readlink(link, out, len - 1);
    if (n > 0) {
        out[n] = '\0';
        return;
    }
    p = put_str(out, len, 0, "fd ");
    put_num(out, len, p, fd);
}

void ls_target_name(int tkind, intptr_t target, char *out, size_t len)
{
    out[0] = '\0';
    switch (tkind) {
    case LS_T_FD:
        if ((int)target >= 0) name_fd((int)target, out, len);
        break;
    case LS_T_PID:
        if ((pid_t)target > 0)
            put_num(out, len, put_str(out, len, 0, "pid "), (long long)target);
        else
            put_str(out, len, 0, "any child");
        break;
    case LS_T_EPOLL:
        put_num(out, len, put_str(out, len, 0, "nested loop, epoll fd "), (long long)target);
        break;
    default:
        ls_target_copy_text(tkind, target, out, len);
    }
}

/* Copies a target that is a string argument (or a sockaddr) before the call,
 * while the pointer is certainly valid. */
void ls_target_copy_text(int tkind, intptr_t target, char *out, size_t len)
{
    out[0] = '\0';
    const char *s = (const char *)target;
    switch (tkind) {
    case LS_T_PATH:
    case LS_T_HOST:
    case LS_T_CMD:
        if (s) put_str(out, len, 0, s);
        break;
    case LS_T_SOCKADDR:
        format_sockaddr((const struct sockaddr *)target, sizeof(struct sockaddr_storage), out, len);
        break;
    default:
        break;
    }
}

void ls_target_of(int tkind, intptr_t target, const char *copied, char *out, size_t len)
{
    if (ls_target_is_copied(tkind)) {
        size_t n = strnlen(copied, len - 1); /* a racy copy may lack its terminator */
        memcpy(out, copied, n);
        out[n] = '\0';
    } else {
        ls_target_name(tkind, target, out, len);
    }
}
