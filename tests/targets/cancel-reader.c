/* cancel-reader.c -- a host that creates a thread, which blocks in read() on a pipe nobody writes
 * to; the main thread cancels it and joins it, and prints "cancelled" when the join says so. glibc
 * acts on a cancellation inside read() at once (the thread waits with asynchronous cancellation
 * on). If the read stayed blocked, the main thread writes to the pipe after 3 s so that the
 * program still ends, and prints "not cancelled". */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int p[2];

static void *reader(void *arg)
{
    (void)arg;
    char c;
    for (;;)
        if (read(p[0], &c, 1) == 1) return NULL;
}

static void *rescue(void *arg)
{
    (void)arg;
    sleep(3);
    if (write(p[1], "x", 1) != 1) return NULL;
    return NULL;
}

int main(void)
{
    pthread_t t, r;
    void *ret = NULL;
    if (pipe(p) || pthread_create(&t, NULL, reader, NULL)) return 2;
    usleep(100000); /* the reader is in read() by now */
    if (pthread_cancel(t) || pthread_create(&r, NULL, rescue, NULL)) return 2;
    pthread_detach(r);
    pthread_join(t, &ret);
    puts(ret == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
    return 0;
}
