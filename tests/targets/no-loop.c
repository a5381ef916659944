/* no-loop.c -- a program with no event loop: its output, errno behaviour and exit status must not
 * change. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    /* errno after a failing wrapped call is the call's own. */
    int fd = open("/nonexistent/loopstall-no-such-file", O_RDONLY);
    printf("open: %d %s\n", fd, strerror(errno));
    errno = 1234;
    char buf[16];
    int z = open("/dev/zero", O_RDONLY);
    ssize_t n = read(z, buf, sizeof buf);
    printf("read: %zd errno kept %d\n", n, errno); /* a successful call leaves errno alone */
    close(z);
    usleep(1000);
    for (int i = 1; i < argc; i++)
        printf("arg %s\n", argv[i]);
    fprintf(stderr, "to stderr\n");
    return 3;
}
