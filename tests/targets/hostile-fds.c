/* hostile-fds.c -- a daemon-style host that closes every descriptor it did not open and then
 * reuses 3 and 4, with stalls the agent must sample and unwind.
 *
 *   hostile-fds first        prints the first descriptor the process opens ("first fd 3")
 *   hostile-fds closeall     closes 3..1023 one by one (the classic daemon loop)
 *   hostile-fds close_range  closes 3..~0 with close_range(2)
 *   hostile-fds stderr FILE  puts FILE on descriptor 2 (a data file), writes "data" to it,
 *                            then hangs its loop 300 ms: nothing else may reach FILE
 *   hostile-fds chdir        changes to / before its loop stalls (a relative LOOPSTALL_OUT
 *                            must still mean the directory it started in)
 *
 * After closing, a pipe takes 3 and 4 and the loop starts; each tick passes a byte through the
 * pipe, and some ticks stall (CPU: sampled; blocking: its stack is unwound after the call). An
 * agent that keeps a descriptor of its own, or closes or replaces one of the host's, breaks the
 * pipe or the loop: the host then says what it saw and exits 1. "fds ok" and 0 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host-loop.h"

static int same_file(int fd, const struct stat *want)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "first";
    int first = open("/dev/null", O_RDONLY);
    if (!strcmp(mode, "first")) {
        printf("first fd %d\n", first);
        return 0;
    }
    if (!strcmp(mode, "stderr") || !strcmp(mode, "chdir")) {
        if (!strcmp(mode, "stderr")) {
            int data = argc > 2 ? open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
            if (data < 0 || dup2(data, 2) != 2 || write(2, "data\n", 5) != 5) return 1;
        } else if (chdir("/") != 0) {
            return 1;
        }
        struct host_loop l;
        if (host_loop_open(&l, 5) != 0) return 1;
        for (int tick = 0; tick < 5; tick++) {
            if (host_loop_tick(&l) != 0) return 1;
            if (tick == 2) host_block(300); /* ten thresholds: a hang, announced */
        }
        printf("%s ok\n", mode);
        return 0;
    }
    if (!strcmp(mode, "closeall")) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    } else if (!strcmp(mode, "close_range")) {
        if (syscall(SYS_close_range, 3U, ~0U, 0) != 0) {
            printf("close_range: %s\n", strerror(errno));
            return 2;
        }
    } else {
        fprintf(stderr, "usage: hostile-fds first|closeall|close_range|stderr FILE|chdir\n");
        return 2;
    }
    int p[2];
    if (pipe(p) != 0 || p[0] != 3 || p[1] != 4) {
        printf("the pipe got %d and %d, not 3 and 4\n", p[0], p[1]);
        return 1;
    }
    struct stat rd, wr;
    fstat(p[0], &rd);
    fstat(p[1], &wr);
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 40; tick++) {
        if (host_loop_tick(&l) != 0) {
            printf("the loop's wait failed at tick %d: %s\n", tick, strerror(errno));
            return 1;
        }
        char out = (char)('a' + tick % 26), in = 0;
        if (write(p[1], &out, 1) != 1 || read(p[0], &in, 1) != 1 || in != out) {
            printf("the pipe broke at tick %d: %s\n", tick, strerror(errno));
            return 1;
        }
        if (tick % 10 == 3) host_burn(60);  /* sampled while it runs */
        if (tick % 10 == 7) host_block(40); /* unwound after the call */
    }
    if (!same_file(3, &rd) || !same_file(4, &wr)) {
        printf("descriptors 3 and 4 are no longer the host's pipe\n");
        return 1;
    }
    printf("fds ok\n");
    return 0;
}
