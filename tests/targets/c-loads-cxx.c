/* c-loads-cxx.c -- a C host (as Python is) that loads C++ code with dlopen and lets it throw:
 * prints the exceptions caught per second of CPU, for the exception-rate comparison with and
 * without the agent.
 *
 *   c-loads-cxx LIBRARY MS    runs the library's cxx_throw_for(MS of CPU), prints "rate N"
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: c-loads-cxx LIBRARY MS\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    long (*throw_for)(int) = (long (*)(int))dlsym(h, "cxx_throw_for");
    if (!throw_for) return 1;
    int ms = atoi(argv[2]);
    long caught = throw_for(ms);
    printf("rate %ld\n", caught * 1000L / ms);
    return 0;
}
