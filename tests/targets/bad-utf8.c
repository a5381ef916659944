/* bad-utf8.c -- a loop whose thread name, file path and arguments are bytes that are not UTF-8,
 * with two blocking stalls on that path: an open of a FIFO (it waits for a writer) and a read
 * from it (it waits for data). A helper thread opens the FIFO and writes after 50 ms each time.
 *
 *   bad-utf8 DIR [ARG...]    makes DIR/<invalid bytes>.fifo; prints "utf8 ok"
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host-loop.h"

static char fifo[4200];

static void *writer(void *arg)
{
    (void)arg;
    struct timespec ms50 = {0, 50000000};
    nanosleep(&ms50, NULL);
    int fd = open(fifo, O_WRONLY); /* lets the loop's open return */
    nanosleep(&ms50, NULL);
    if (fd < 0 || write(fd, "x", 1) != 1) return (void *)1; /* lets the loop's read return */
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bad-utf8 DIR [ARG...]\n");
        return 2;
    }
    /* A lone continuation byte, an overlong encoding, a surrogate and 0xff. */
    snprintf(fifo, sizeof fifo, "%s/\x80-\xc0\xaf-\xed\xa0\x80-\xff.fifo", argv[1]);
    if (mkfifo(fifo, 0600) != 0) return 1;
    prctl(PR_SET_NAME, "loop-\xff\xfe\x80", 0, 0, 0);
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 10; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick == 4) {
            pthread_t th;
            pthread_create(&th, NULL, writer, NULL);
            int fd = open(fifo, O_RDONLY); /* blocks until the writer opens */
            char c;
            if (fd < 0 || read(fd, &c, 1) != 1) return 1; /* blocks until it writes */
            close(fd);
            pthread_join(th, NULL);
        }
    }
    unlink(fifo);
    printf("utf8 ok\n");
    return 0;
}
