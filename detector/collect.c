/* collect.c -- `loopstall collect`: the watcher outside the host, for services started without
 * run.
 *
 * Preloaded directly (LD_PRELOAD, LOOPSTALL_OUT), the agent watches its process from a thread
 * of its own: a single-threaded server turns multi-threaded and pays glibc's multi-threaded
 * price on its system calls (README "Performance"). With LOOPSTALL_COLLECTOR=@NAME as well, it
 * hands its record to this collector instead, as it does to `loopstall run` (collector.h): the
 * host stays single-threaded and writes no file, and a stall it is killed in is still reported,
 * exact. The collector writes DIR/loopstall.PID.json for each process, while it has news and
 * when it ends, the same files the agent writes used directly; at SIGINT, SIGTERM or SIGHUP it
 * writes those still running as running, and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "commands.h"
#include "options.h"
#include "self_path.h"

#define NAME_MAX_LEN 100

/* A socket name given on the command line: what a service's environment can carry unquoted. */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > NAME_MAX_LEN) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* The losses the collector noted since the last look, each said once as it happens. */
static int say_losses(struct ls_collector *c, int said)
{
    const char **lines;
    int n = ls_collector_losses(c, &lines);
    for (int i = said; i < n; i++)
        fprintf(stderr, "loopstall collect: %s\n", lines[i]);
    return n;
}

static int usage_error(const char *what)
{
    fprintf(stderr,
            "loopstall collect: %s: usage: loopstall collect --dir DIR [--name NAME] "
            "[--any-user]\n",
            what);
    return 2;
}

int ls_cmd_collect(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'D'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"any-user", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    char want[NAME_MAX_LEN + 1];
    snprintf(want, sizeof want, "loopstall-collect-%u", (unsigned)geteuid());
    int any_user = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = ls_getopt(argc, argv, "+:", opts)) != -1) {
        switch (c) {
        case 'D':
            dir = optarg;
            break;
        case 'n':
            if (optarg[0] == '@') optarg++;
            if (!name_ok(optarg)) {
                fprintf(stderr,
                        "loopstall collect: bad --name \"%s\": expected 1 to %d letters, digits, "
                        "'.', '_' or '-' (the socket is @NAME)\n",
                        optarg, NAME_MAX_LEN);
                return 2;
            }
            snprintf(want, sizeof want, "%s", optarg);
            break;
        case 'a':
            any_user = 1;
            break;
        case ':':
            return usage_error("an option needs a value");
        default:
            return usage_error("unknown option");
        }
    }
    if (optind < argc) return usage_error("unexpected argument");
    if (!dir) return usage_error("--dir is required");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "loopstall collect: cannot make --dir %s: %s\n", dir, strerror(errno));
        return 2;
    }

    /* Blocked before the socket exists: a signal from then on ends the loop below cleanly. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    /* A reader of its stderr that went away (a pipe into a log shipper) must not kill it. */
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    char name[128];
    struct ls_collector *col = ls_collector_open_named(dir, want, name, sizeof name);
    if (!col || sfd < 0) {
        if (errno == EADDRINUSE)
            fprintf(stderr, "loopstall collect: @%s is taken: another collector listens on it\n",
                    want);
        else
            fprintf(stderr, "loopstall collect: cannot listen on @%s: %s\n", want, strerror(errno));
        return 2;
    }
    ls_collector_write_running(col);
    /* Root reads every process anyway: its collector takes them all (a system-wide one). */
    if (!any_user && geteuid() != 0) ls_collector_only_user(col, geteuid());
    ls_collector_watch_signals(col, sfd);

    /* stdout: the one line a service's environment needs; stderr: what to preload with it. */
    printf("LOOPSTALL_COLLECTOR=%s\n", name);
    fflush(stdout);
    char agent[4096];
    if (ls_agent_beside_self(agent, sizeof agent) != 0)
        snprintf(agent, sizeof agent, "libloopstall.so");
    fprintf(stderr,
            "loopstall collect: watching processes started with LD_PRELOAD=%s "
            "LOOPSTALL_COLLECTOR=%s; reports in %s (loopstall report %s)\n",
            agent, name, dir, dir);

    int said = 0, stop = 0;
    while (!stop) {
        if (ls_collector_wait(col)) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                stop = 1;
        }
        said = say_losses(col, said);
    }
    int nlive = ls_collector_live(col);
    ls_collector_finish_live(col);
    say_losses(col, said);
    ls_collector_close(col);
    close(sfd);
    if (nlive)
        fprintf(stderr,
                "loopstall collect: stopped; %d process%s still running, reported as running in "
                "%s\n",
                nlive, nlive == 1 ? "" : "es", dir);
    return 0;
}
