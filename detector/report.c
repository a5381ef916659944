/* report.c -- `loopstall report`: merge per-process files (or directories of them) and render. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "merge.h"
#include "options.h"
#include "output.h"

int ls_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"source-root", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    struct ls_outputs out = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = ls_getopt(argc, argv, ":o:", opts)) != -1) {
        switch (c) {
        case 'f':
            if (!(out.format = ls_renderer_find(optarg))) {
                fprintf(stderr,
                        "loopstall report: unknown format \"%s\": accepted formats are %s\n",
                        optarg, ls_renderer_names());
                return 2;
            }
            break;
        case 'o':
            out.out_path = optarg;
            break;
        case 'j':
            out.json_path = optarg;
            break;
        case 'r':
            out.source_root = optarg;
            break;
        case ':':
            fprintf(stderr, "loopstall report: option %s needs a value (see loopstall --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr,
                    "loopstall report: bad option %s: accepted are --format FMT, -o FILE, --json "
                    "FILE, --source-root DIR\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "loopstall report: no report given: loopstall report FILE.json|DIR... "
                        "[--format FMT] [-o FILE]\n");
        return 2;
    }
    if (ls_outputs_check(&out) != 0) return 2;
    if (!out.out_path && !out.json_path) out.out_path = "-";
    if (!out.format) out.format = ls_renderer_find("text");

    /* Files are merged as they are; a directory stands for the loopstall.*.json in it. */
    json_t *report = ls_merge_inputs(&argv[optind], argc - optind);
    if (!report) return 1;
    int rc = ls_outputs_write(report, &out);
    json_decref(report);
    return rc ? 1 : 0;
}
