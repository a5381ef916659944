/* review_args.c -- the command line of gate and diff: one parser for the options they share. */
#include "review_args.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "options.h"
#include "review.h"

/* --max-stall MS: milliseconds above 0 (as -t writes them: 250, 0.5, 500us), up to 1e9. */
static int parse_ms(const char *v, long long *ns)
{
    uint64_t n;
    if (ls_parse_ms(v, &n) != 0 || n == 0 || n > 1000000000ULL * 1000000ULL) return -1;
    *ns = (long long)n;
    return 0;
}

int ls_review_args_parse(const char *cmd, int argc, char **argv, int nreports, const char *usage,
                         struct ls_review_args *a)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"include-startup", no_argument, NULL, 's'},
                                         {"source-root", required_argument, NULL, 'r'},
                                         {"baseline", required_argument, NULL, 'b'},
                                         {"max-stall", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    int gate = !strcmp(cmd, "gate"), c;
    const char *format = NULL, *root = NULL;
    memset(a, 0, sizeof *a);
    a->phases = LS_SERVING_ONLY;
    optind = 1;
    opterr = 0;
    while ((c = ls_getopt(argc, argv, ":o:", opts)) != -1) {
        if (c == 'f') {
            format = optarg;
        } else if (c == 'o') {
            a->out_path = optarg;
        } else if (c == 's') {
            a->phases = LS_ALL_PHASES;
        } else if (c == 'r') {
            root = optarg;
        } else if (c == 'b' && gate) {
            a->baseline = optarg;
        } else if (c == 'm' && gate) {
            if (parse_ms(optarg, &a->max_stall_ns) == 0) continue;
            fprintf(stderr,
                    "loopstall gate: bad --max-stall \"%s\": expected milliseconds above 0, e.g. "
                    "--max-stall 250\n",
                    optarg);
            return -1;
        } else if (c == ':') {
            fprintf(stderr, "loopstall %s: option %s needs a value (see loopstall --help)\n", cmd,
                    argv[optind - 1]);
            return -1;
        } else {
            fprintf(stderr,
                    "loopstall %s: unknown option %s: accepted are %s--format %s, -o FILE, "
                    "--include-startup, --source-root DIR\n",
                    cmd, argv[optind - 1], gate ? "--baseline FILE, --max-stall MS, " : "",
                    ls_review_renderer_names());
            return -1;
        }
    }
    if (argc - optind != nreports) {
        fprintf(stderr, "loopstall %s: expected %s: %s\n", cmd,
                nreports == 1 ? "one report" : "two reports", usage);
        return -1;
    }
    if (ls_review_format(cmd, format, a->out_path, &a->format) != 0 ||
        ls_source_root(root, a->source_root, sizeof a->source_root) != 0)
        return -1;
    return optind;
}
