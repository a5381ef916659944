/* variant.c -- the first argument every lab takes: its variant, or a request for help. */
#include <stdio.h>
#include <string.h>

#include "lab.h"

int lab_variant(int argc, char **argv, const char *prog, const char *const names[], unsigned n,
                void (*usage)(FILE *), int *status)
{
    if (argc < 2 || argv[1][0] == '-') {
        int help = argc > 1 && !strcmp(argv[1], "--help");
        usage(help ? stdout : stderr);
        *status = help ? 0 : 2;
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(argv[1], names[i])) return (int)i;
    fprintf(stderr, "%s: unknown variant '%s' (", prog, argv[1]);
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", names[i]);
    fprintf(stderr, ")\n");
    *status = 2;
    return -1;
}
