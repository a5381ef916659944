/* commands.h -- the subcommands of `loopstall`, one file each. */
#ifndef LS_COMMANDS_H
#define LS_COMMANDS_H

int ls_cmd_run(int argc, char **argv);
int ls_cmd_collect(int argc, char **argv);
int ls_cmd_report(int argc, char **argv);
int ls_cmd_diff(int argc, char **argv);
int ls_cmd_gate(int argc, char **argv);
int ls_cmd_baseline(int argc, char **argv);

#endif
