/* options.c -- getopt_long with a value that is never the end of the options (see options.h). */
#include "options.h"

#include <string.h>

int ls_getopt(int argc, char *const argv[], const char *optstring, const struct option *longopts)
{
    int c = getopt_long(argc, argv, optstring, longopts, NULL);
    if (c != -1 && c != '?' && c != ':' && optarg && optind >= 2 && optarg == argv[optind - 1] &&
        strcmp(optarg, "--") == 0) {
        optind--; /* argv[optind - 1] is the option again, for the caller's message */
        return ':';
    }
    return c;
}
