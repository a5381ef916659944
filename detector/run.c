/* run.c -- `loopstall run`: check everything, start the command with the agent, watch it from
 * outside, merge what it left.
 *
 * run is the watcher of every process it starts (collector.h): each one's
 * record comes over a socket at load, and its report is written here when
 * it ends, so a host that drops its privileges, daemonizes, ends with _exit
 * or is killed still reports. run is a child subreaper: processes that
 * double-fork stay its children, and it does not finish (unless --no-wait)
 * until the last of them has exited. Signals sent to run go to the whole tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "collector.h"
#include "commands.h"
#include "config_limits.h"
#include "duration.h"
#include "inject_rule.h"
#include "merge.h"
#include "options.h"
#include "output.h"
#include "preflight.h"
#include "run_env.h"
#include "self_path.h"
#include "usage.h"

#define MAX_INJECT LS_MAX_RULES

/* Direct use's settings that run replaces with its options (run_env.c): said, not dropped
 * silently, so that a CI job that exports LOOPSTALL_INJECT learns that it had no effect. */
static void warn_ignored_environment(void)
{
    /* Each with the option that sets it, and the value that asks for nothing (or NULL). */
    static const struct {
        const char *var, *option, *as_default;
    } vars[] = {{"LOOPSTALL_INJECT", "--inject RULE", NULL},
                {"LOOPSTALL_THRESHOLD_MS", "-t MS", NULL},
                {"LOOPSTALL_STRICT", "--strict", "0"},
                {"LOOPSTALL_OUT", "--dir DIR or --json FILE", NULL}};
    /* Set by a loopstall this run runs under (its command runs run), not by the user. */
    if (getenv("LOOPSTALL_ROOT_PID")) return;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i].var);
        if (v && *v && !(vars[i].as_default && !strcmp(v, vars[i].as_default)))
            fprintf(stderr, "loopstall run: %s=%s in the environment is ignored: run takes %s\n",
                    vars[i].var, v, vars[i].option);
    }
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

/* Removes the run's directory and what is in it, without running anything. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "loopstall: could not remove %s: %s\n", dir, strerror(errno));
}

/* Makes the run's private directory: where the agent of a process that could
 * not hand its record over writes its report, and where the collector writes
 * them all when they are to be kept. When nobody will read the directory but
 * run, and /dev/shm is a tmpfs we may write, it goes there: a directory made
 * and removed on this machine's ext4 /tmp cost 0.2 ms of CPU, on tmpfs 6 us.
 * Reports that outlive run (--no-wait) stay under /tmp. */
static char *make_run_dir(char *buf, size_t len, int internal)
{
    struct statfs fs;
    if (internal && statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
        access("/dev/shm", W_OK | X_OK) == 0) {
        snprintf(buf, len, "/dev/shm/loopstall-run.XXXXXX");
        if (mkdtemp(buf)) return buf;
    }
    snprintf(buf, len, "/tmp/loopstall-run.XXXXXX");
    return mkdtemp(buf);
}

/* Writes n as decimal into out (room for 24 bytes); returns out. */
static char *put_pid(char *out, long n)
{
    char digits[24];
    int k = 0;
    do
        digits[k++] = (char)('0' + n % 10);
    while ((n /= 10) > 0);
    while (k > 0)
        *out++ = digits[--k];
    *out = '\0';
    return out;
}

/* Starts the command with the agent's environment. vfork, not fork: the
 * child only sets its signal mask, names itself in LOOPSTALL_ROOT_PID and
 * execs, so nothing of run's memory needs copying, and run is not left to
 * take a copy-on-write fault on every page it touches next. Being on run's
 * memory, the child calls no stdio: an exec that fails leaves its errno in
 * *exec_errno for run to say. */
static pid_t start_command(const char *program, char **argv, char **env, int root_slot,
                           const sigset_t *mask, volatile int *exec_errno)
{
    static const char name[] = "LOOPSTALL_ROOT_PID=";
    char root[sizeof name + 24];
    memcpy(root, name, sizeof name);
    *exec_errno = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, mask, NULL);
        put_pid(root + sizeof name - 1, (long)getpid());
        env[root_slot] = root;
        execve(program, argv, env);
        *exec_errno = errno;
        _exit(127);
    }
    env[root_slot] = NULL; /* root was the child's, and is gone with this frame */
    return pid;
}

/* Sends sig to every process run started and still knows of: the live
 * records' processes and the command. Those in run's own process group got
 * a terminal's ^C already; the others (daemons in sessions of their own)
 * would not. */
static void forward(struct ls_collector *c, pid_t root, int sig, int from_terminal)
{
    pid_t pids[4096];
    int n = ls_collector_pids(c, pids, 4096);
    pid_t mine = getpgrp();
    int root_seen = 0;
    for (int i = 0; i < n; i++) {
        if (pids[i] == root) root_seen = 1;
        if (from_terminal && getpgid(pids[i]) == mine) continue;
        kill(pids[i], sig);
    }
    if (!root_seen && !(from_terminal && getpgid(root) == mine)) kill(root, sig);
}

/* Reaps every child that ended (the command, and orphans reparented to run);
 * returns 1 when there are none left at all. */
static int reap(struct ls_collector *c, pid_t root, int *root_status, int *root_done)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            ls_collector_ended(c, p, st);
            if (p == root) {
                *root_status = st;
                *root_done = 1;
            }
            continue;
        }
        return p < 0 && errno == ECHILD;
    }
}

/* The pids of run's children now (from /proc: run has one thread); how many. */
static int leftover_children(pid_t *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "r");
    int n = 0, p;
    while (f && n < max && fscanf(f, "%d", &p) == 1)
        out[n++] = p;
    if (f) fclose(f);
    return n;
}

static int pid_in(const pid_t *pids, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid) return 1;
    return 0;
}

/* --no-wait's background watcher: runs the collector while a record is live or a process
 * left behind (pidfds, readable once it has ended; -1 when it could not be opened) runs.
 * It lets go of the caller's terminal and pipes first, as the daemons it watches did: a
 * shell's $(...) or a CI step reading run's output would wait for it otherwise. */
static void watch_left_behind(struct ls_collector *c, int *pidfds, int n)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; null >= 0 && fd < 3; fd++)
        dup2(null, fd);
    if (null > 2) close(null);
    ls_collector_watch_signals(c, -1); /* run's signals are run's: it forwards them */
    for (int i = 0; i < n; i++)
        if (pidfds[i] >= 0) ls_collector_await(c, pidfds[i]);
    while (ls_collector_live(c))
        ls_collector_wait(c);
}

/* The merged report's notes on what run knows and the files cannot say. */
static void note_losses(json_t *report, struct ls_collector *c)
{
    const char **lines;
    int n = ls_collector_losses(c, &lines);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_string(lines[i]));
    json_object_set_new(report, "losses", arr);
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

/* V8's perf maps run asked for (NODE_OPTIONS), once they are read. */
static void remove_perf_maps(json_t *report, time_t since)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%lld.map",
                 (long long)json_integer_value(json_object_get(p, "pid")));
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= since) unlink(path);
    }
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
                                         {"no-wait", no_argument, NULL, 'W'},
                                         {"dir", required_argument, NULL, 'D'},
                                         {"no-node-perf-map", no_argument, NULL, 'N'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct ls_outputs out = {0};
    uint64_t threshold_ns = 20000000;
    char *rules[MAX_INJECT];
    int nrules = 0, strict = 0, quiet = 0, no_wait = 0, perf_map = 1, c;
    const char *keep_dir = NULL;
    optind = 1;
    opterr = 0;
    while ((c = ls_getopt(argc, argv, "+:t:o:qh", opts)) != -1) {
        switch (c) {
        case 't':
            if (ls_parse_threshold(optarg, &threshold_ns) != 0) {
                fprintf(stderr,
                        "loopstall run: bad threshold \"%s\": expected milliseconds from 0.1 to "
                        "3600000, as digits or with a unit, e.g. -t 50, -t 0.5, -t 500us\n",
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
        case 'W':
            no_wait = 1;
            break;
        case 'D':
            keep_dir = optarg;
            break;
        case 'N':
            perf_map = 0;
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
                    "-o/--output, --format, --inject, --strict, -q/--quiet, --no-wait, --dir, "
                    "--no-node-perf-map\n",
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
    warn_ignored_environment();
    if (out.format && !out.out_path) /* --format alone prints the report on stdout */
        out.out_path = "-";

    char agent[PATH_MAX];
    if (ls_agent_beside_self(agent, sizeof agent) != 0) {
        fprintf(
            stderr,
            "loopstall: cannot find libloopstall.so next to the loopstall command or in ../lib\n");
        return 2;
    }
    char program[PATH_MAX];
    int found = ls_find_program(argv[optind], program, sizeof program);
    if (found == -ENOENT) {
        fprintf(stderr, "loopstall: %s: command not found\n", argv[optind]);
        return 127;
    }
    if (found != 0) { /* as a shell: there, but it cannot be run */
        fprintf(stderr, "loopstall: %s: %s\n", argv[optind], strerror(-found));
        return 126;
    }
    static struct ls_program_info prog;
    ls_inspect_program(program, &prog);
    const char *why = prog.unobservable;
    if (why)
        fprintf(stderr,
                "loopstall: %s cannot be observed: %s. It runs, but there will be no report.\n",
                program, why);

    char tmpdir[64];
    const char *dir = keep_dir;
    /* Run alone reads the reports: they stay in memory, and the directory only
     * catches those of agents that could not hand their record over. */
    int internal = !keep_dir && !no_wait;
    if (keep_dir) {
        if (mkdir(keep_dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "loopstall run: cannot make --dir %s: %s\n", keep_dir, strerror(errno));
            return 2;
        }
    } else if (!(dir = make_run_dir(tmpdir, sizeof tmpdir, internal))) {
        fprintf(stderr, "loopstall: cannot make a temporary directory: %s\n", strerror(errno));
        return 2;
    }
    char collector[128];
    struct ls_collector *col = ls_collector_open(dir, collector, sizeof collector);
    if (!col) {
        fprintf(stderr, "loopstall: cannot listen for the agent: %s\n", strerror(errno));
        if (!keep_dir) remove_dir(dir);
        return 2;
    }
    if (internal) ls_collector_hold_reports(col);
    char *inject = nrules ? join_rules(rules, nrules) : NULL;
    struct ls_run_env_opts eo = {.agent = agent,
                                 .sanitizer = prog.needs_sanitizer ? prog.sanitizer : NULL,
                                 .dir = dir,
                                 .collector = collector,
                                 .threshold_ns = threshold_ns,
                                 .inject = inject,
                                 .strict = strict,
                                 .node_perf_map = perf_map};
    int root_slot;
    char **env = ls_run_env(&eo, &root_slot);
    free(inject);
    time_t started = time(NULL);

    /* Orphans of the command (daemons that double-fork) become run's children. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGQUIT);
    sigprocmask(SIG_BLOCK, &sigs, &old);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    volatile int exec_errno = 0;
    /* The subreaper mark is not inherited (prctl(2)): the command is an ordinary process. */
    pid_t pid = start_command(program, argv + optind, env, root_slot, &old, &exec_errno);
    if (pid < 0) {
        fprintf(stderr, "loopstall: fork: %s\n", strerror(errno));
        ls_collector_close(col);
        if (!keep_dir) remove_dir(dir);
        return 2;
    }
    if (exec_errno)
        fprintf(stderr, "loopstall: cannot run %s: %s\n", program, strerror(exec_errno));
    ls_collector_set_root(col, pid);

    int root_status = 0, root_done = 0, no_children = 0;
    ls_collector_watch_signals(col, sfd);
    /* One wait per turn; the signalfd is read only when it has something, and
     * children are reaped only after a SIGCHLD said one changed. */
    while (!(root_done && no_children && !ls_collector_live(col))) {
        if (!ls_collector_wait(col)) continue;
        int chld = 0;
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            if (si.ssi_signo == SIGCHLD)
                chld = 1;
            else
                forward(col, pid, (int)si.ssi_signo,
                        si.ssi_signo == SIGINT || si.ssi_signo == SIGQUIT);
        }
        if (chld) no_children = reap(col, pid, &root_status, &root_done);
        if (root_done && no_wait) break;
    }
    int code = WIFEXITED(root_status) ? WEXITSTATUS(root_status) : 128 + WTERMSIG(root_status);

    /* --no-wait: a watcher of run's own goes on in the background for the
     * processes still running, and writes their reports into dir. */
    pid_t still_pids[64];
    int nstill = ls_collector_pids(col, still_pids, 64);
    /* Run's children now are processes the command left behind (reparented here); one that
     * forked just before the command exited may not have handed its record over yet. They are
     * still running too, and the watcher waits for them by pid. */
    pid_t left[64];
    int nleft = no_wait ? leftover_children(left, 64) : 0;
    for (int i = 0; i < nleft && nstill < 64; i++)
        if (!pid_in(still_pids, nstill, left[i])) still_pids[nstill++] = left[i];
    int still = nstill;
    if (no_wait && still) {
        fflush(NULL);
        pid_t bg = fork();
        if (bg == 0) {
            setsid();
            int pidfds[64];
            for (int i = 0; i < nleft; i++)
                pidfds[i] = (int)syscall(SYS_pidfd_open, left[i], 0);
            watch_left_behind(col, pidfds, nleft);
            ls_collector_close(col);
            _exit(0);
        }
    }

    int nfiles = 0;
    const struct ls_report_text *held;
    int nheld = ls_collector_held(col, &held);
    json_t *report = ls_merge_run(held, nheld, dir, &nfiles);
    json_t *cmd = json_array();
    for (int i = optind; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_object_set_new(report, "command", cmd);
    json_object_set_new(report, "exit_status", json_integer(code));
    json_object_set_new(report, "threshold_ns", json_integer((json_int_t)threshold_ns));
    note_losses(report, col);
    if (!(no_wait && still))
        ls_collector_close(col);
    else
        ls_collector_forget(col); /* the background watcher has them now */
    if (!has_pid(report, pid) && !why && code != 127) {
        /* No record ever came from it: the agent was never set up in it. */
        char how[64] = "";
        if (WIFSIGNALED(root_status))
            snprintf(how, sizeof how, "it was killed by signal %d ", WTERMSIG(root_status));
        else
            snprintf(how, sizeof how, "it exited with %d ", code);
        fprintf(stderr,
                "loopstall: %s left no report: the agent was never set up in it (%sbefore the "
                "agent's constructor ran, or LD_PRELOAD was cleared on the way, or the loader "
                "cannot preload into it)\n",
                program, how);
    }
    int lost = ls_outputs_write(report, &out);
    if (!quiet) {
        /* It says each loss; a --json that could not be written is not "written to". */
        ls_render_summary(report, lost & LS_LOST_JSON ? NULL : out.json_path, stderr);
        if (no_wait && still) {
            fprintf(stderr, "loopstall: %d process%s still running under the agent (pid", still,
                    still == 1 ? "" : "es");
            for (int k = 0; k < nstill; k++)
                fprintf(stderr, "%s%d", k ? ", " : " ", (int)still_pids[k]);
            fprintf(stderr, "): %s written to %s as %s; merge %s with: loopstall report %s\n",
                    still == 1 ? "its report will be" : "their reports will be", dir,
                    still == 1 ? "it ends" : "they end", still == 1 ? "it" : "them", dir);
        }
    }
    if (ls_run_env_adds_perf_map(&eo) && !(no_wait && still)) remove_perf_maps(report, started);
    json_decref(report);
    if (!keep_dir && !(no_wait && still)) remove_dir(dir);
    ls_run_env_free(env, root_slot);
    /* A write that failed after the checks (a full disk) was said; the exit status stays the
     * command's own, as the contract has it. */
    return code;
}
