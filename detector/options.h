/* options.h -- the subcommands' option parsing, where getopt alone would take the wrong thing. */
#ifndef LS_OPTIONS_H
#define LS_OPTIONS_H

#include <getopt.h>

/* getopt_long, except that an option's value is never a separate "--": `run --json -- cmd`
 * lacks the file (getopt would write the report to a file named "--" and run cmd). That case
 * returns ':', as getopt does for a value missing at the end, with argv[optind - 1] the option.
 * A value joined to its option (--json=--, -o--) is the user's own word and stays. */
int ls_getopt(int argc, char *const argv[], const char *optstring, const struct option *longopts);

#endif
