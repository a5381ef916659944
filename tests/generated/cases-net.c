/* cases-net.c -- calling cases for sockets and name resolution: one successful call each (see
 * probe.h). Every address is 127.0.0.1 or a socketpair; nothing leaves the machine. */
#include "probe.h"

#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* The fortified entry points a program built with _FORTIFY_SOURCE calls. */
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *alen);

/* PROBE_ASK bytes received from (full) or sent into (empty) a connected pair. */
#define ON_PAIR(full, call)                                                                        \
    int sv[2];                                                                                     \
    char buf[PROBE_ASK];                                                                           \
    memset(buf, 'y', sizeof buf);                                                                  \
    struct iovec v = {buf, sizeof buf};                                                            \
    struct msghdr msg = {.msg_iov = &v, .msg_iovlen = 1};                                          \
    struct mmsghdr mm = {.msg_hdr = msg};                                                          \
    (void)mm;                                                                                      \
    probe_socketpair(sv, full);                                                                    \
    PROBE_CALL(c, call);                                                                           \
    probe_close(sv[0]);                                                                            \
    probe_close(sv[1])

static void case_recv(struct probe_call *c)
{
    ON_PAIR(1, recv(sv[0], buf, sizeof buf, 0));
}

static void case_recv_chk(struct probe_call *c)
{
    ON_PAIR(1, __recv_chk(sv[0], buf, sizeof buf, sizeof buf, 0));
}

static void case_recvfrom(struct probe_call *c)
{
    ON_PAIR(1, recvfrom(sv[0], buf, sizeof buf, 0, NULL, NULL));
}

static void case_recvfrom_chk(struct probe_call *c)
{
    ON_PAIR(1, __recvfrom_chk(sv[0], buf, sizeof buf, sizeof buf, 0, NULL, NULL));
}

static void case_recvmsg(struct probe_call *c)
{
    ON_PAIR(1, recvmsg(sv[0], &msg, 0));
}

static void case_recvmmsg(struct probe_call *c)
{
    ON_PAIR(1, recvmmsg(sv[0], &mm, 1, MSG_DONTWAIT, NULL));
}

static void case_send(struct probe_call *c)
{
    ON_PAIR(0, send(sv[1], buf, sizeof buf, 0));
}

static void case_sendto(struct probe_call *c)
{
    ON_PAIR(0, sendto(sv[1], buf, sizeof buf, 0, NULL, 0));
}

static void case_sendmsg(struct probe_call *c)
{
    ON_PAIR(0, sendmsg(sv[1], &msg, 0));
}

static void case_sendmmsg(struct probe_call *c)
{
    ON_PAIR(0, sendmmsg(sv[1], &mm, 1, 0));
}

/* PROBE_ASK bytes of a file into a socket. */
#define FILE_TO_PAIR(call)                                                                         \
    int sv[2];                                                                                     \
    probe_socketpair(sv, 0);                                                                       \
    int in = probe_open_file();                                                                    \
    PROBE_CALL(c, call);                                                                           \
    probe_close(in);                                                                               \
    probe_close(sv[0]);                                                                            \
    probe_close(sv[1])

static void case_sendfile(struct probe_call *c)
{
    off_t off = 0;
    FILE_TO_PAIR(sendfile(sv[1], in, &off, PROBE_ASK));
}

static void case_sendfile64(struct probe_call *c)
{
    off64_t off = 0;
    FILE_TO_PAIR(sendfile64(sv[1], in, &off, PROBE_ASK));
}

static void case_connect(struct probe_call *c)
{
    struct sockaddr_in addr;
    int l = probe_listener(&addr);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    PROBE_CALL(c, connect(s, (struct sockaddr *)&addr, sizeof addr));
    probe_close(s);
    probe_close(l);
}

/* A listener with one connection waiting to be accepted. */
#define ACCEPTING(call)                                                                            \
    struct sockaddr_in addr;                                                                       \
    int l = probe_listener(&addr);                                                                 \
    int s = probe_connect(&addr);                                                                  \
    int a = -1;                                                                                    \
    PROBE_CALL(c, a = call);                                                                       \
    probe_close(a);                                                                                \
    probe_close(s);                                                                                \
    probe_close(l)

static void case_accept(struct probe_call *c)
{
    ACCEPTING(accept(l, NULL, NULL));
}

static void case_accept4(struct probe_call *c)
{
    ACCEPTING(accept4(l, NULL, NULL, SOCK_CLOEXEC));
}

/* Numeric names: resolved without asking anyone. */
static void case_getaddrinfo(struct probe_call *c)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    PROBE_CALL(c, getaddrinfo("127.0.0.1", "80", &hints, &res));
    if (res) freeaddrinfo(res);
}

static void case_getnameinfo(struct probe_call *c)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(80)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char host[64], serv[16];
    PROBE_CALL(c, getnameinfo((struct sockaddr *)&addr, sizeof addr, host, sizeof host, serv,
                              sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV));
}

const struct probe_case probe_cases_net[] = {
    {"recv", case_recv, 0, 0},
    {"__recv_chk", case_recv_chk, 0, 0},
    {"recvfrom", case_recvfrom, 0, 0},
    {"__recvfrom_chk", case_recvfrom_chk, 0, 0},
    {"recvmsg", case_recvmsg, 0, 0},
    {"recvmmsg", case_recvmmsg, 0, 0},
    {"send", case_send, 0, 0},
    {"sendto", case_sendto, 0, 0},
    {"sendmsg", case_sendmsg, 0, 0},
    {"sendmmsg", case_sendmmsg, 0, 0},
    {"sendfile", case_sendfile, 0, 0},
    {"sendfile64", case_sendfile64, 0, 0},
    {"connect", case_connect, 0, 0},
    {"accept", case_accept, 0, 0},
    {"accept4", case_accept4, 0, 0},
    {"getaddrinfo", case_getaddrinfo, 0, 0},
    {"getnameinfo", case_getnameinfo, 0, 0},
    {NULL, NULL, 0, 0},
};
