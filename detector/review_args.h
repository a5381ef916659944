/* review_args.h -- the command line of gate and diff: one parser for the options they share. */
#ifndef LS_REVIEW_ARGS_H
#define LS_REVIEW_ARGS_H

#include <limits.h>

#include "render.h"
#include "sites.h"

struct ls_review_args {
    const char *baseline;             /* --baseline FILE (gate only), or NULL */
    long long max_stall_ns;           /* --max-stall MS (gate only); 0: no limit */
    enum ls_phases phases;            /* --include-startup: every phase; else serving only */
    const char *out_path;             /* -o FILE, or NULL for stdout */
    const struct ls_renderer *format; /* --format, else by -o's extension, else text */
    char source_root[PATH_MAX];       /* --source-root DIR (default .), made absolute */
};

/* Parses the options of cmd ("gate" also takes --baseline and --max-stall)
 * and checks that nreports reports follow (usage shows how). Returns the
 * index in argv of the first report, or -1 after one line on stderr naming
 * what is wrong and what is accepted (the command then exits 2). */
int ls_review_args_parse(const char *cmd, int argc, char **argv, int nreports, const char *usage,
                         struct ls_review_args *a);

#endif
