/* main.c -- `loopstall`: dispatch to run, collect, report, diff, gate and baseline. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "calls.h"
#include "commands.h"
#include "usage.h"

static void list_calls(void)
{
    for (int i = 0; i < LS_FN_COUNT; i++)
        printf("%-16s %-6s %s\n", ls_calls[i].name, ls_family_name(ls_calls[i].family),
               ls_calls[i].errnos[0] ? ls_calls[i].errnos : "(cannot fail)");
}

/* jansson randomizes its hash tables (a report is outside input) from a seed
 * it reads out of /dev/urandom: an open, a read and a close in every command.
 * One getrandom gives the same; 0, jansson's own way, if it fails. */
static void seed_json(void)
{
    size_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) seed = 0;
    json_object_seed(seed);
}

int main(int argc, char **argv)
{
    seed_json();
    if (argc < 2) {
        ls_print_help(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return ls_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "collect")) return ls_cmd_collect(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return ls_cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff")) return ls_cmd_diff(argc - 1, argv + 1);
    if (!strcmp(cmd, "gate")) return ls_cmd_gate(argc - 1, argv + 1);
    if (!strcmp(cmd, "baseline")) return ls_cmd_baseline(argc - 1, argv + 1);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        ls_print_help(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("loopstall %s\n", LOOPSTALL_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--list-calls")) {
        list_calls();
        return 0;
    }
    fprintf(stderr,
            "loopstall: unknown command \"%s\": accepted are run, collect, report, diff, gate, "
            "baseline, "
            "--help, "
            "--version, "
            "--list-calls\n",
            cmd);
    return 2;
}
