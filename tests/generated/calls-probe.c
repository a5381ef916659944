/* calls-probe.c -- calls one intercepted function the way a program would, on an event-loop
 * thread and on another thread, and prints what each call returned.
 *
 *   calls-probe list          every case: "NAME [child] [adopts]"; fails for a row of
 *                             common/calls.def without a case, or a case without a row
 *   calls-probe loop FN N     N calls of FN on the main thread, made a loop first (one iteration)
 *   calls-probe roles FN      one call of FN on the loop thread, then one on a second thread
 *
 * Each call prints "call I thread=loop|other role=loop|other ret=R errno=E ns=NS started=S";
 * role is the thread's role as the agent must see it at the call (an epoll wait makes its thread
 * a loop). A call of FN the harness itself makes prints "harness FN role=R". The test that runs
 * this (test-calls-generated.c) sets LD_PRELOAD and LOOPSTALL_INJECT and judges the lines.
 */
#include "probe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every row of the table, with how it is wrapped. */
static const struct {
    const char *name, *how;
} rows[] = {
#define LS_CALL(how, name, ...) {#name, #how},
#include "calls.def"
#undef LS_CALL
};
#define NROWS (sizeof rows / sizeof rows[0])

static const struct probe_case *const tables[] = {
    probe_cases_io,   probe_cases_net,  probe_cases_open,
    probe_cases_wait, probe_cases_proc, probe_cases_thread,
};

static const struct probe_case *find_case(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct probe_case *c = tables[t]; c->name; c++)
            if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

static int row_is_wrapped(const char *name)
{
    for (size_t i = 0; i < NROWS; i++)
        if (strcmp(rows[i].name, name) == 0) return strcmp(rows[i].how, "HOOK") != 0;
    return 0;
}

/* Both directions: a new row cannot go untested, a removed one leaves no stale case. */
static int check_table(void)
{
    int bad = 0;
    for (size_t i = 0; i < NROWS; i++)
        if (strcmp(rows[i].how, "HOOK") != 0 && !find_case(rows[i].name)) {
            fprintf(stderr,
                    "calls-probe: common/calls.def row %s has no calling case: add one to "
                    "tests/generated/cases-*.c\n",
                    rows[i].name);
            bad = 1;
        }
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct probe_case *c = tables[t]; c->name; c++)
            if (!row_is_wrapped(c->name)) {
                fprintf(stderr,
                        "calls-probe: case %s is not a GEN or HAND row of common/calls.def\n",
                        c->name);
                bad = 1;
            }
    return bad;
}

static void print_call(int i, const struct probe_call *c, int on_loop_thread)
{
    printf("call %d thread=%s role=%s ret=%ld errno=%d ns=%llu started=%d\n", i,
           on_loop_thread ? "loop" : "other", c->on_loop ? "loop" : "other", c->ret, c->err,
           (unsigned long long)c->ns, c->started);
    fflush(stdout);
}

static const struct probe_case *the_case;

static void *other_thread(void *arg)
{
    struct probe_call c = {.on_loop = the_case->adopts};
    (void)arg;
    the_case->run(&c);
    print_call(1, &c, 0);
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: calls-probe list | loop FN N | roles FN\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        int bad = check_table();
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
            for (const struct probe_case *c = tables[t]; c->name; c++)
                printf("%s%s%s\n", c->name, c->in_child ? " child" : "",
                       c->adopts ? " adopts" : "");
        return bad ? PROBE_NO_CASE : 0;
    }
    if (argc < 3) return usage();
    probe_fn = argv[2];
    if (!row_is_wrapped(probe_fn)) {
        fprintf(stderr, "calls-probe: %s is not a GEN or HAND row of common/calls.def\n", probe_fn);
        return 2;
    }
    the_case = find_case(probe_fn);
    if (!the_case) {
        check_table();
        return PROBE_NO_CASE;
    }
    probe_become_loop();
    if (strcmp(argv[1], "loop") == 0 && argc == 4) {
        char *end;
        long n = strtol(argv[3], &end, 10);
        if (*end || n < 1 || n > 64) {
            fprintf(stderr, "calls-probe: N must be a count of calls from 1 to 64, not '%s'\n",
                    argv[3]);
            return 2;
        }
        for (int i = 0; i < (int)n; i++) {
            struct probe_call c = {.on_loop = 1};
            the_case->run(&c);
            print_call(i, &c, 1);
        }
    } else if (strcmp(argv[1], "roles") == 0 && argc == 3) {
        struct probe_call c = {.on_loop = 1};
        the_case->run(&c);
        print_call(0, &c, 1);
        /* Made from the loop thread: a call of its own when pthread_create is the one tested. */
        pthread_t th;
        if (strcmp(probe_fn, "pthread_create") == 0) printf("harness pthread_create role=loop\n");
        fflush(stdout);
        if (pthread_create(&th, NULL, other_thread, NULL) != 0) probe_die("pthread_create");
        pthread_join(th, NULL);
    } else {
        return usage();
    }
    probe_cleanup();
    return 0;
}
