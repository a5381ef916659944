/* inject-probe.c -- makes calls a fault-injection test can aim at, and prints how each went.
 *
 * Every line: "<op> <target> <thread> ms=<elapsed> rc=<result> err=<errno name or 0>".
 * The main thread becomes an event-loop thread (it waits in epoll first); a
 * second thread, which never waits in epoll, repeats the file calls as "other".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *errname(int e)
{
    switch (e) {
    case 0:
        return "0";
    case EIO:
        return "EIO";
    case EACCES:
        return "EACCES";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case EAGAIN:
        return "EAGAIN";
    default:
        return strerror(e);
    }
}

static void report(const char *op, const char *target, const char *who, double t0, long rc, int err)
{
    printf("%s %s %s ms=%.0f rc=%ld err=%s\n", op, target, who, now_ms() - t0, rc,
           rc < 0 ? errname(err) : "0");
}

static void file_calls(const char *who)
{
    const char *paths[] = {"/etc/hostname", "/etc/passwd"};
    for (int i = 0; i < 2; i++) {
        double t0 = now_ms();
        int fd = open(paths[i], O_RDONLY);
        int e = errno;
        report("open", paths[i], who, t0, fd, e);
        if (fd >= 0) {
            char buf[16];
            t0 = now_ms();
            ssize_t n = read(fd, buf, sizeof buf);
            e = errno;
            report("read", paths[i], who, t0, n, e);
            close(fd);
        }
    }
}

static void *other_thread(void *arg)
{
    (void)arg;
    file_calls("other");
    return NULL;
}

static int listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof a);
    listen(s, 4);
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "pattern")) {
        /* 40 reads of /dev/zero: which ones failed, as a bit string. */
        int fd = open("/dev/zero", O_RDONLY);
        char bits[41], buf[4];
        for (int i = 0; i < 40; i++)
            bits[i] = read(fd, buf, sizeof buf) < 0 ? '1' : '0';
        bits[40] = '\0';
        printf("pattern %s\n", bits);
        return 0;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev;
    epoll_wait(ep, &ev, 1, 0); /* now this thread is a loop, inside an iteration */
    file_calls("loop");
    pthread_t th;
    pthread_create(&th, NULL, other_thread, NULL);
    pthread_join(th, NULL);

    const char *hosts[] = {"localhost", "127.0.0.1"};
    for (int i = 0; i < 2; i++) {
        struct addrinfo *res = NULL;
        double t0 = now_ms();
        int rc = getaddrinfo(hosts[i], "80", NULL, &res);
        printf("getaddrinfo %s loop ms=%.0f rc=%d err=%s\n", hosts[i], now_ms() - t0, rc,
               rc ? gai_strerror(rc) : "0");
        if (res) freeaddrinfo(res);
    }
    int ports[2], ls[2];
    for (int i = 0; i < 2; i++)
        ls[i] = listener(&ports[i]);
    for (int i = 0; i < 2; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)ports[i]),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        char target[32];
        snprintf(target, sizeof target, "port%d", i);
        double t0 = now_ms();
        int rc = connect(s, (struct sockaddr *)&a, sizeof a);
        report("connect", target, "loop", t0, rc, errno);
        close(s);
    }
    printf("ports %d %d\n", ports[0], ports[1]);
    close(ls[0]);
    close(ls[1]);
    return 0;
}
