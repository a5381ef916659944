/* options.c -- a lab's options from one table: long names only, numbers checked against their
 * ranges, --help, and one line on stderr for anything else. */
#include <getopt.h>
#include <stdio.h>

#include "lab.h"

#define MAX_OPTS 31

static void bad_option(const char *prog, const char *arg, int missing_value,
                       const struct lab_opt *opts)
{
    if (missing_value) {
        fprintf(stderr, "%s: %s needs a value (see --help)\n", prog, arg);
        return;
    }
    fprintf(stderr, "%s: unknown option '%s'; accepted:", prog, arg);
    for (int i = 0; opts[i].name; i++)
        fprintf(stderr, " --%s", opts[i].name);
    fprintf(stderr, " --help\n");
}

int lab_options(int argc, char **argv, int first, const struct lab_opt *opts, void (*usage)(FILE *),
                int *status)
{
    /* getopt_long hands back 256 + the option's index in opts: no short letters to keep apart. */
    struct option lo[MAX_OPTS + 2];
    int n = 0;
    for (; opts[n].name && n < MAX_OPTS; n++)
        lo[n] = (struct option){opts[n].name,
                                opts[n].kind == LAB_FLAG ? no_argument : required_argument, NULL,
                                256 + n};
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};
    optind = first;
    opterr = 0; /* the one line about a bad option is ours, with what is accepted */
    int ch;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'h') {
            usage(stdout);
            *status = 0;
            return -1;
        }
        if (ch < 256) {
            bad_option(argv[0], argv[optind - 1], ch == ':', opts);
            *status = 2;
            return -1;
        }
        const struct lab_opt *o = &opts[ch - 256];
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s", o->name);
        switch (o->kind) {
        case LAB_UINT:
            *(unsigned *)o->value =
                lab_parse_uint(flag, optarg, (unsigned)o->min, (unsigned)o->max);
            break;
        case LAB_DOUBLE:
            *(double *)o->value = lab_parse_double(flag, optarg, o->min, o->max);
            break;
        case LAB_STRING:
            *(const char **)o->value = optarg;
            break;
        case LAB_FLAG:
            *(int *)o->value = 1;
            break;
        }
        if (o->given) *o->given = 1;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (options start with --; see --help)\n",
                argv[0], argv[optind]);
        *status = 2;
        return -1;
    }
    return 0;
}
