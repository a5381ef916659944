/* run.c -- `loopstall run`: check everything, start the command with the agent, merge what it left.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "inject_rule.h"
#include "merge.h"
#include "output.h"
#include "preflight.h"
#include "usage.h"

#define MAX_INJECT LS_MAX_RULES

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0) kill((pid_t)child_pid, sig);
}

/* The agent sits beside the command (build tree: bin/ and lib/ are siblings,
 * installed: ../lib or the libdir it was installed with). */
static int find_agent(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -ENOENT;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    const char *tries[] = {"/libloopstall.so", "/../lib/libloopstall.so",
                           "/../" LS_INSTALL_LIBDIR "/libloopstall.so"};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        snprintf(out, len, "%s%s", self, tries[i]);
        if (access(out, R_OK) == 0) {
            char real[PATH_MAX];
            if (realpath(out, real)) snprintf(out, len, "%s", real);
            return 0;
        }
    }
    return -ENOENT;
}

static int parse_threshold(const char *v, double *ms)
{
    char *end;
    errno = 0;
    *ms = strtod(v, &end);
    return errno || *end || end == v || !(*ms > 0) || *ms > 3600000 ? -1 : 0;
}

static void usage_error(const char *what)
{
    fprintf(stderr, "loopstall run: %s (see loopstall --help)\n", what);
}

/* Joins rules with ';' for LOOPSTALL_INJECT; a rule cannot contain ';'. */
static char *join_rules(char **rules, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(rules[i]) + 1;
    char *s = calloc(1, len);
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, ";");
        strcat(s, rules[i]);
    }
    return s;
}

static void set_env(const char *agent, const char *dir, double threshold_ms, const char *inject,
                    int strict)
{
    const char *old = getenv("LD_PRELOAD");
    char *pre = malloc(strlen(agent) + (old ? strlen(old) : 0) + 2);
    sprintf(pre, "%s%s%s", agent, old && *old ? " " : "", old && *old ? old : "");
    setenv("LD_PRELOAD", pre, 1);
    free(pre);
    setenv("LOOPSTALL_OUT", dir, 1);
    char num[64];
    snprintf(num, sizeof num, "%g", threshold_ms);
    setenv("LOOPSTALL_THRESHOLD_MS", num, 1);
    if (inject)
        setenv("LOOPSTALL_INJECT", inject, 1);
    else
        unsetenv("LOOPSTALL_INJECT");
    setenv("LOOPSTALL_STRICT", strict ? "1" : "0", 1);
}

static void remove_dir(const char *dir)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "loopstall: could not remove %s\n", dir);
}

static int has_pid(json_t *report, pid_t pid)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        if (json_integer_value(json_object_get(p, "pid")) == pid) return 1;
    }
    return 0;
}

int ls_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"threshold", required_argument, NULL, 't'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"inject", required_argument, NULL, 'i'},
                                         {"strict", no_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct ls_outputs out = {0};
    double threshold_ms = 20;
    char *rules[MAX_INJECT];
    int nrules = 0, strict = 0, quiet = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:t:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_threshold(optarg, &threshold_ms) != 0) {
                fprintf(stderr,
                        "loopstall run: bad threshold \"%s\": expected milliseconds above 0, e.g. "
                        "-t 50\n",
                        optarg);
                return 2;
            }
            break;
        case 'j':
            out.json_path = optarg;
            break;
        case 'o':
            out.out_path = optarg;
            break;
        case 'f':
            if (!(out.format = ls_renderer_find(optarg))) {
                fprintf(stderr, "loopstall run: unknown format \"%s\": accepted formats are %s\n",
                        optarg, ls_renderer_names());
                return 2;
            }
            break;
        case 'i': {
            struct ls_rule rule;
            char err[512];
            if (strchr(optarg, ';')) {
                fprintf(stderr,
                        "loopstall run: bad rule \"%s\": give one rule per --inject (';' separates "
                        "rules only in LOOPSTALL_INJECT)\n",
                        optarg);
                return 2;
            }
            if (ls_rule_parse(optarg, strlen(optarg), &rule, err, sizeof err) != 0) {
                fprintf(stderr, "loopstall run: %s\n", err);
                return 2;
            }
            if (nrules == MAX_INJECT) {
                fprintf(stderr, "loopstall run: too many --inject rules: at most %d\n", MAX_INJECT);
                return 2;
            }
            rules[nrules++] = optarg;
            break;
        }
        case 's':
            strict = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            ls_print_help(stdout);
            return 0;
        case ':':
            fprintf(stderr, "loopstall run: option %s needs a value (see loopstall --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr,
                    "loopstall run: unknown option %s: accepted are -t/--threshold, --json, "
                    "-o/--output, --format, --inject, --strict, -q/--quiet\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc && !strcmp(argv[optind], "--")) optind++;
    if (optind >= argc) {
        usage_error("no command given: loopstall run [OPTIONS] -- COMMAND [ARG...]");
        return 2;
    }
    if (ls_outputs_check(&out) != 0) return 2;
    if (out.format && !out.out_path) /* --format alone prints the report on stdout */
        out.out_path = "-";

    char agent[PATH_MAX];
    if (find_agent(agent, sizeof agent) != 0) {
        fprintf(
            stderr,
            "loopstall: cannot find libloopstall.so next to the loopstall command or in ../lib\n");
        return 2;
    }
    char program[PATH_MAX];
    if (ls_find_program(argv[optind], program, sizeof program) != 0) {
        fprintf(stderr, "loopstall: %s: command not found\n", argv[optind]);
        return 127;
    }
    const char *why = ls_unobservable_reason(program);
    if (why)
        fprintf(stderr,
                "loopstall: %s cannot be observed: %s. It runs, but there will be no report.\n",
                program, why);

    char dir[] = "/tmp/loopstall-run.XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "loopstall: cannot make a temporary directory: %s\n", strerror(errno));
        return 2;
    }
    char *inject = nrules ? join_rules(rules, nrules) : NULL;
    set_env(agent, dir, threshold_ms, inject, strict);
    free(inject);

    /* Like system(): the terminal's ^C and ^\ reach the command; run waits for it
     * to end and still writes the report. SIGTERM and SIGHUP sent to run are
     * passed on to the command. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = forward}, old_int,
                     old_quit;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "loopstall: fork: %s\n", strerror(errno));
        remove_dir(dir);
        return 2;
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        char num[32];
        snprintf(num, sizeof num, "%d", (int)getpid());
        setenv("LOOPSTALL_ROOT_PID", num, 1);
        execv(program, argv + optind);
        fprintf(stderr, "loopstall: cannot run %s: %s\n", program, strerror(errno));
        _exit(127);
    }
    child_pid = pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    int nfiles = 0;
    json_t *report = ls_merge_dir(dir, &nfiles);
    remove_dir(dir);
    json_t *cmd = json_array();
    for (int i = optind; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_object_set_new(report, "command", cmd);
    json_object_set_new(report, "exit_status", json_integer(code));
    json_object_set_new(report, "threshold_ns", json_integer((json_int_t)(threshold_ms * 1e6)));
    if (!has_pid(report, pid) && !why && code != 127)
        fprintf(stderr,
                "loopstall: %s left no report: the agent was not loaded (a static or setuid "
                "program, or one that cleared LD_PRELOAD) or the process was killed before it "
                "noticed anything\n",
                program);
    int rc = ls_outputs_write(report, &out);
    if (!quiet) ls_render_summary(report, out.json_path, stderr);
    json_decref(report);
    (void)rc; /* a write error was reported; the exit status stays the command's own */
    return code;
}
