/* uv-stalls.c -- a libuv program with a known pattern of stalls: a sleep, a CPU burn, a blocking
 * read. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

static int pipefd[2];
static int ticks;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void burn_cpu(double ms);

/* The CPU stall: spins for ms milliseconds in a function of its own name (exported, so that
 * even the dynamic symbol table names it). */
__attribute__((noinline)) void burn_cpu(double ms)
{
    volatile unsigned long x = 0;
    double end = now_ms() + ms;
    while (now_ms() < end)
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i * 2654435761u;
}

/* Writes the byte the loop's blocking read waits for, 60 ms later. */
static void *late_writer(void *arg)
{
    (void)arg;
    usleep(60000);
    if (write(pipefd[1], "x", 1) != 1) abort();
    return NULL;
}

static void on_tick(uv_timer_t *t)
{
    ticks++;
    if (ticks == 5) {
        usleep(80000); /* blocking: 80 ms */
    } else if (ticks == 10) {
        burn_cpu(80); /* cpu: 80 ms */
    } else if (ticks == 15) {
        pthread_t th;
        pthread_create(&th, NULL, late_writer, NULL);
        char c;
        if (read(pipefd[0], &c, 1) != 1) /* blocking: ~60 ms */
            abort();
        pthread_join(th, NULL);
    } else if (ticks == 20) {
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
    }
}

int main(void)
{
    if (pipe(pipefd) != 0) return 1;
    uv_loop_t *loop = uv_default_loop();
    uv_timer_t timer;
    uv_timer_init(loop, &timer);
    uv_timer_start(&timer, on_tick, 5, 5);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    printf("ticks %d\n", ticks);
    return 0;
}
