/* usage.h -- the help text of `loopstall`, shared by main and the subcommands that print it. */
#ifndef LS_USAGE_H
#define LS_USAGE_H

#include <stdio.h>

/* The whole usage block (every subcommand and option), for --help and for a bad invocation. */
void ls_print_help(FILE *out);

#endif
