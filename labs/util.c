/* util.c -- small helpers the labs share: clock, option numbers, thread pool size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lab.h"

uint64_t lab_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

unsigned lab_parse_uint(const char *opt, const char *arg, unsigned min, unsigned max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        fprintf(stderr, "%s: expected an integer from %u to %u, got '%s'\n", opt, min, max, arg);
        exit(2);
    }
    return (unsigned)v;
}

double lab_parse_double(const char *opt, const char *arg, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || v < min || v > max) {
        fprintf(stderr, "%s: expected a number from %g to %g, got '%s'\n", opt, min, max, arg);
        exit(2);
    }
    return v;
}

void lab_pool_size(unsigned threads)
{
    char s[16];
    snprintf(s, sizeof(s), "%u", threads);
    setenv("UV_THREADPOOL_SIZE", s, 1);
}
