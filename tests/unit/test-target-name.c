/* test-target-name.c -- how watcher/target_name.c names what a call waited on: socket addresses,
 * descriptors (through /proc, real sockets included) and the lines of /proc/net/tcp.
 *
 * The file is compiled into this test, so that the /proc/net/tcp line parser, a static
 * function, can be given lines of both byte orders.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../../watcher/target_name.c"

static void name_of(const void *sa, socklen_t len, char *out, size_t n)
{
    ls_format_sockaddr((const struct sockaddr *)sa, len, out, n);
}

static struct sockaddr_in v4(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    cr_assert_eq(inet_pton(AF_INET, host, &a.sin_addr), 1);
    return a;
}

static struct sockaddr_in6 v6(const char *host, int port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    cr_assert_eq(inet_pton(AF_INET6, host, &a.sin6_addr), 1);
    return a;
}

Test(format_sockaddr, ipv4_is_address_colon_port)
{
    char out[96];
    struct sockaddr_in a = v4("127.0.0.1", 8080);
    name_of(&a, sizeof a, out, sizeof out);
    cr_expect_str_eq(out, "127.0.0.1:8080");
    a = v4("10.200.3.4", 1);
    name_of(&a, sizeof a, out, sizeof out);
    cr_expect_str_eq(out, "10.200.3.4:1");
}

Test(format_sockaddr, ipv6_is_bracketed_then_the_port)
{
    char out[96];
    struct sockaddr_in6 a = v6("::1", 6379);
    name_of(&a, sizeof a, out, sizeof out);
    cr_expect_str_eq(out, "[::1]:6379");
    a = v6("2001:db8::a:1", 443);
    name_of(&a, sizeof a, out, sizeof out);
    cr_expect_str_eq(out, "[2001:db8::a:1]:443");
    a = v6("::ffff:127.0.0.1", 80);
    name_of(&a, sizeof a, out, sizeof out);
    cr_expect_str_eq(out, "[::ffff:127.0.0.1]:80");
}

Test(format_sockaddr, a_unix_socket_is_its_path_and_an_unbound_one_is_unnamed)
{
    char out[160];
    struct sockaddr_un u = {.sun_family = AF_UNIX};
    strcpy(u.sun_path, "/run/app.sock");
    name_of(&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 14), out, sizeof out);
    cr_expect_str_eq(out, "unix:/run/app.sock");
    name_of(&u, sizeof(sa_family_t), out, sizeof out); /* a socketpair's peer */
    cr_expect_str_eq(out, "unix:(unnamed)");
    /* A path that fills sun_path with no terminator ends where sun_path does. */
    memset(u.sun_path, 'p', sizeof u.sun_path);
    name_of(&u, sizeof u, out, sizeof out);
    cr_expect_eq(strlen(out), 5 + sizeof u.sun_path);
}

Test(format_sockaddr, an_abstract_unix_socket_is_its_name_after_an_at_sign)
{
    char out[160];
    struct sockaddr_un u = {.sun_family = AF_UNIX};
    memcpy(u.sun_path, "\0loopstall-42", 13);
    name_of(&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 13), out, sizeof out);
    cr_expect_str_eq(out, "unix:@loopstall-42");
    /* Read from memory (no length but the storage's): the name ends at its first NUL. */
    name_of(&u, sizeof u, out, sizeof out);
    cr_expect_str_eq(out, "unix:@loopstall-42");
}

Test(format_sockaddr, a_short_length_an_unknown_family_or_null_name_nothing)
{
    char out[96] = "stale";
    struct sockaddr_in a = v4("127.0.0.1", 80);
    name_of(&a, sizeof a - 1, out, sizeof out);
    cr_expect_str_eq(out, "");
    struct sockaddr_in6 b = v6("::1", 80);
    name_of(&b, sizeof(struct sockaddr_in), out, sizeof out);
    cr_expect_str_eq(out, "");
    name_of(&a, 1, out, sizeof out);
    cr_expect_str_eq(out, "");
    struct sockaddr sa = {.sa_family = AF_PACKET};
    name_of(&sa, sizeof sa, out, sizeof out);
    cr_expect_str_eq(out, "");
    name_of(NULL, 16, out, sizeof out);
    cr_expect_str_eq(out, "");
}

Test(format_sockaddr, a_small_buffer_gets_a_terminated_prefix)
{
    char out[8];
    struct sockaddr_in a = v4("127.0.0.1", 8080);
    name_of(&a, sizeof a, out, sizeof out);
    cr_expect_str_eq(out, "127.0.0");
}

/* A /proc/net/tcp line as the kernel prints it: each 32-bit word of an address is the
 * address's bytes read as a number on this machine, printed %08X. */
static void addr_hex(char *out, const void *addr, size_t words)
{
    for (size_t w = 0; w < words; w++) {
        uint32_t word;
        memcpy(&word, (const char *)addr + 4 * w, 4);
        sprintf(out + 8 * w, "%08X", word);
    }
}

static void tcp_line(char *line, size_t n, const char *local, const char *rem, unsigned long ino)
{
    snprintf(line, n,
             "   3: %s %s 01 00000000:00000000 00:00000000 00000000  1000        0 %lu 1 "
             "0000000000000000 20 4 30 10 -1",
             local, rem, ino);
}

static int little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

Test(proc_net_tcp, the_kernel_prints_each_address_word_in_this_machines_byte_order)
{
    /* A real listener, found in the kernel's own table by its inode. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = v4("127.0.0.1", 0);
    socklen_t len = sizeof a;
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s, 1), 0);
    cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    struct stat st;
    cr_assert_eq(fstat(s, &st), 0);
    FILE *f = fopen("/proc/self/net/tcp", "r");
    cr_assert_not_null(f);
    char line[512], want[32], found[64] = "";
    snprintf(want, sizeof want, "%s:%04X", little_endian() ? "0100007F" : "7F000001",
             ntohs(a.sin_port));
    while (fgets(line, sizeof line, f)) {
        char local[64];
        unsigned long ino;
        if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &ino) == 2 &&
            ino == (unsigned long)st.st_ino)
            snprintf(found, sizeof found, "%s", local);
    }
    fclose(f);
    cr_expect_str_eq(found, want, "127.0.0.1 as this %s-endian kernel prints it",
                     little_endian() ? "little" : "big");
    close(s);
}

Test(proc_net_tcp, a_connected_line_names_the_remote_end)
{
    char line[256], lh[16], rh[16], out[96];
    struct in_addr l, r;
    inet_pton(AF_INET, "127.0.0.1", &l);
    inet_pton(AF_INET, "192.168.7.9", &r);
    addr_hex(lh, &l, 1);
    addr_hex(rh, &r, 1);
    char local[32], rem[32];
    snprintf(local, sizeof local, "%s:1F90", lh); /* port 8080, printed in hex as a number */
    snprintf(rem, sizeof rem, "%s:C350", rh);     /* 50000 */
    tcp_line(line, sizeof line, local, rem, 424242);
    cr_assert_eq(tcp_line_peer(line, 424242, 0, out, sizeof out), 1);
    cr_expect_str_eq(out, "192.168.7.9:50000");
    cr_expect_eq(tcp_line_peer(line, 424243, 0, out, sizeof out), 0, "another socket's line");
}

Test(proc_net_tcp, a_listening_line_names_the_local_end)
{
    char line[256], lh[16], out[96], local[32];
    struct in_addr l;
    inet_pton(AF_INET, "127.0.0.1", &l);
    addr_hex(lh, &l, 1);
    snprintf(local, sizeof local, "%s:1F90", lh);
    tcp_line(line, sizeof line, local, "00000000:0000", 7);
    cr_assert_eq(tcp_line_peer(line, 7, 0, out, sizeof out), 1);
    cr_expect_str_eq(out, "local 127.0.0.1:8080");
}

Test(proc_net_tcp, the_other_byte_order_reads_as_this_machine_would_print_it)
{
    /* 7F000001 is how a big-endian kernel prints 127.0.0.1; read on a little-endian one (and
     * vice versa) it is the reversed address: the parser follows the host, as the kernel does. */
    char line[256], out[96];
    tcp_line(line, sizeof line, "0100007F:0050", "7F000001:0051", 9);
    cr_assert_eq(tcp_line_peer(line, 9, 0, out, sizeof out), 1);
    cr_expect_str_eq(out, little_endian() ? "1.0.0.127:81" : "127.0.0.1:81");
}

Test(proc_net_tcp, an_ipv6_line_has_four_words)
{
    char line[320], lh[40], rh[40], out[96], local[48], rem[48];
    struct in6_addr l, r;
    inet_pton(AF_INET6, "::1", &l);
    inet_pton(AF_INET6, "2001:db8::7", &r);
    addr_hex(lh, &l, 4);
    addr_hex(rh, &r, 4);
    snprintf(local, sizeof local, "%s:18EB", lh);
    snprintf(rem, sizeof rem, "%s:01BB", rh);
    tcp_line(line, sizeof line, local, rem, 11);
    cr_assert_eq(tcp_line_peer(line, 11, 1, out, sizeof out), 1);
    cr_expect_str_eq(out, "[2001:db8::7]:443");
    if (little_endian())
        cr_expect_str_eq(lh, "00000000000000000000000001000000", "::1 as the kernel prints it");
}

Test(proc_net_tcp, a_malformed_or_short_line_names_nothing)
{
    char out[96] = "";
    char line[256];
    tcp_line(line, sizeof line, "0100007F:0050", "01000G7F:0051", 5); /* not hex */
    cr_expect_eq(tcp_line_peer(line, 5, 0, out, sizeof out), 0);
    cr_expect_eq(tcp_line_peer("   0: 0100007F:0050 0100007F:0051 01", 5, 0, out, sizeof out), 0);
    cr_expect_eq(tcp_line_peer("", 0, 0, out, sizeof out), 0);
}

/* A connected pair over loopback: listener, client and accepted end. */
static void tcp_pair(int family, int *ls, int *cl, int *ac, int *lport, int *cport)
{
    struct sockaddr_storage a;
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    memset(&a, 0, sizeof a);
    if (family == AF_INET) {
        struct sockaddr_in in = v4("127.0.0.1", 0);
        memcpy(&a, &in, sizeof in);
    } else {
        struct sockaddr_in6 in6 = v6("::1", 0);
        memcpy(&a, &in6, sizeof in6);
    }
    *ls = socket(family, SOCK_STREAM, 0);
    cr_assert_eq(bind(*ls, (struct sockaddr *)&a, len), 0, "bind: %s", strerror(errno));
    cr_assert_eq(listen(*ls, 1), 0);
    cr_assert_eq(getsockname(*ls, (struct sockaddr *)&a, &len), 0);
    *cl = socket(family, SOCK_STREAM, 0);
    cr_assert_eq(connect(*cl, (struct sockaddr *)&a, len), 0);
    *ac = accept(*ls, NULL, NULL);
    cr_assert_geq(*ac, 0);
    *lport = ntohs(family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
                                     : ((struct sockaddr_in6 *)&a)->sin6_port);
    cr_assert_eq(getsockname(*cl, (struct sockaddr *)&a, &len), 0);
    *cport = ntohs(family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
                                     : ((struct sockaddr_in6 *)&a)->sin6_port);
}

Test(fd_describe, real_loopback_sockets_are_named_by_their_peer_or_their_listening_address)
{
    int ls, cl, ac, lport, cport;
    char out[128], want[64];
    tcp_pair(AF_INET, &ls, &cl, &ac, &lport, &cport);
    ls_fd_describe_proc(0, cl, out, sizeof out);
    snprintf(want, sizeof want, "127.0.0.1:%d", lport);
    cr_expect_str_eq(out, want, "the client is named by the server it talks to");
    ls_fd_describe_proc(0, ac, out, sizeof out);
    snprintf(want, sizeof want, "127.0.0.1:%d", cport);
    cr_expect_str_eq(out, want, "the accepted end by its client");
    ls_fd_describe_proc(0, ls, out, sizeof out);
    snprintf(want, sizeof want, "local 127.0.0.1:%d", lport);
    cr_expect_str_eq(out, want);
    close(ls);
    close(cl);
    close(ac);
}

Test(fd_describe, a_real_ipv6_loopback_socket_is_bracketed)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = v6("::1", 0);
    int have_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&a, sizeof a) == 0;
    close(probe);
    cr_assert(have_v6, "this machine has no ::1 to test against (%s)", strerror(errno));
    int ls, cl, ac, lport, cport;
    char out[128], want[64];
    tcp_pair(AF_INET6, &ls, &cl, &ac, &lport, &cport);
    ls_fd_describe_proc(0, cl, out, sizeof out);
    snprintf(want, sizeof want, "[::1]:%d", lport);
    cr_expect_str_eq(out, want);
    close(ls);
    close(cl);
    close(ac);
}

Test(fd_describe, files_pipes_and_unknown_descriptors)
{
    char out[128];
    int fd = open("/etc/hostname", O_RDONLY);
    cr_assert_geq(fd, 0);
    ls_fd_describe_proc(0, fd, out, sizeof out);
    cr_expect_str_eq(out, "/etc/hostname");
    close(fd);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    ls_fd_describe_proc(0, p[0], out, sizeof out);
    cr_expect_eq(strncmp(out, "pipe:[", 6), 0, "%s", out);
    close(p[0]);
    close(p[1]);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ls_fd_describe_proc(0, sv[0], out, sizeof out);
    cr_expect_eq(strncmp(out, "socket:[", 8), 0, "not in the tcp tables: %s", out);
    close(sv[0]);
    close(sv[1]);
    ls_fd_describe_proc(0, 9999, out, sizeof out);
    cr_expect_str_eq(out, "fd 9999");
    ls_fd_describe_proc(0, -1, out, sizeof out);
    cr_expect_str_eq(out, "");
}

Test(target_describe, each_kind_of_target_has_its_name)
{
    char out[128];
    ls_target_describe(0, LS_T_PID, 42, out, sizeof out);
    cr_expect_str_eq(out, "pid 42");
    ls_target_describe(0, LS_T_PID, (uint64_t)-1, out, sizeof out);
    cr_expect_str_eq(out, "any child");
    ls_target_describe(0, LS_T_EPOLL, 7, out, sizeof out);
    cr_expect_str_eq(out, "nested loop, epoll fd 7");
    const char *path = "/var/lib/app/data.db";
    ls_target_describe(0, LS_T_PATH, (uint64_t)(uintptr_t)path, out, sizeof out);
    cr_expect_str_eq(out, path);
    ls_target_describe(0, LS_T_HOST, 0, out, sizeof out);
    cr_expect_str_eq(out, "", "getaddrinfo(NULL, ...)");
    struct sockaddr_in a = v4("127.0.0.1", 6379);
    ls_target_describe(0, LS_T_SOCKADDR, (uint64_t)(uintptr_t)&a, out, sizeof out);
    cr_expect_str_eq(out, "127.0.0.1:6379");
    int fd = open("/etc/hostname", O_RDONLY);
    struct pollfd pfd = {.fd = fd};
    ls_target_describe(0, LS_T_POLLFD, (uint64_t)(uintptr_t)&pfd, out, sizeof out);
    cr_expect_str_eq(out, "/etc/hostname", "poll names its first descriptor");
    close(fd);
    ls_target_describe(0, LS_T_NONE, 5, out, sizeof out);
    cr_expect_str_eq(out, "");
}

Test(target_describe, a_pointer_into_nothing_names_nothing_instead_of_crashing)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    char out[128];
    ls_target_describe(0, LS_T_PATH, (uint64_t)(uintptr_t)p, out, sizeof out);
    cr_expect_str_eq(out, "");
    ls_target_describe(0, LS_T_SOCKADDR, (uint64_t)(uintptr_t)p, out, sizeof out);
    cr_expect_str_eq(out, "");
    ls_target_describe(0, LS_T_POLLFD, (uint64_t)(uintptr_t)p, out, sizeof out);
    cr_expect_str_eq(out, "");
}
