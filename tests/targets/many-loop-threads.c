/* many-loop-threads.c -- loop threads started one after another, each with its own epoll loop
 * and one 30 ms stall, each ending before the next starts: more loop threads over the process's
 * life than the agent has slots, never more than one alive at a time.
 *
 *   many-loop-threads N    prints "threads N"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "host-loop.h"

static void *loop_thread(void *arg)
{
    (void)arg;
    struct host_loop l;
    if (host_loop_open(&l, 2) != 0) return (void *)1;
    for (int tick = 0; tick < 5; tick++) {
        if (host_loop_tick(&l) != 0) return (void *)1;
        if (tick == 2) host_block(30);
    }
    host_loop_close(&l);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    for (int i = 0; i < n; i++) {
        pthread_t th;
        void *ret;
        if (pthread_create(&th, NULL, loop_thread, NULL) != 0 || pthread_join(th, &ret) != 0 || ret)
            return 1;
    }
    printf("threads %d\n", n);
    return 0;
}
