/* baseline.c -- `loopstall baseline`: a starting baseline that accepts every site of a report. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "baseline_file.h"
#include "commands.h"
#include "merge.h"
#include "options.h"
#include "output.h"
#include "sites.h"

int ls_cmd_baseline(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"include-startup", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *out_path = "-";
    enum ls_phases phases = LS_SERVING_ONLY;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = ls_getopt(argc, argv, ":o:", opts)) != -1) {
        if (c == 'o') {
            out_path = optarg;
        } else if (c == 's') {
            phases = LS_ALL_PHASES;
        } else if (c == ':') {
            fprintf(stderr, "loopstall baseline: option %s needs a value (see loopstall --help)\n",
                    argv[optind - 1]);
            return 2;
        } else {
            fprintf(stderr,
                    "loopstall baseline: bad option %s: accepted are -o FILE and "
                    "--include-startup\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr,
                "loopstall baseline: expected one report: loopstall baseline REPORT.json [-o "
                "FILE]\n");
        return 2;
    }
    json_t *report = ls_merge_files(&argv[optind], 1);
    if (!report) return 2;
    ls_finish_report(report);
    /* The gate leaves startup stalls out by default; so does the baseline it is checked against. */
    json_t *sites = ls_sites_by_id(report, phases);
    json_t *baseline = ls_baseline_from_sites(sites, argv[optind]);
    int rc = ls_write_rendered(baseline, ls_baseline_write, out_path);
    json_decref(baseline);
    json_decref(sites);
    json_decref(report);
    return rc ? 2 : 0;
}
