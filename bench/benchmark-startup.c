/* benchmark-startup.c -- what the agent costs a process that never runs a loop: CPU and wall per
 * start.
 *
 * Runs COMMAND again and again in three ways, interleaved so that the machine's drifting load
 * falls on all three alike (round r runs them in a rotated order): bare, preloaded with the
 * agent (direct use, LOOPSTALL_OUT set), and under `loopstall run -q` (the watcher outside: run's
 * own CPU counts, it is the price of the run). CPU is the user + system time wait4 reports for
 * the child and everything it waited for; wall is the time from fork to reaping. Prints each
 * way's median and spread (10th to 90th percentile) and the paired differences to bare (each
 * round's preloaded minus that same round's bare), with the commit measured.
 *
 * Usage: benchmark-startup [--runs N] [--agent PATH] [--loopstall PATH] [--commit ID] -- COMMAND
 * [ARG...]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { BARE, PRELOADED, RUN, MODES };
static const char *const mode_names[MODES] = {"bare", "preloaded", "under run"};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Runs argv once; CPU and wall in microseconds. */
static int once(char *const argv[], char *const envp[], double *cpu, double *wall)
{
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid) return -1;
    *wall = now_us() - t0;
    *cpu = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
           ru.ru_stime.tv_usec;
    return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -1 : 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, 10th and 90th percentiles of v (sorted in place). */
static void stats(double *v, int n, double *med, double *p10, double *p90)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *p10 = v[n / 10];
    *p90 = v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
}

/* Looks up a program on PATH (execve needs a path). */
static char *which(const char *name)
{
    if (strchr(name, '/')) return strdup(name);
    const char *path = getenv("PATH");
    char buf[4096];
    for (const char *p = path; p && *p;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name);
        if (access(buf, X_OK) == 0) return strdup(buf);
        p = c ? c + 1 : NULL;
    }
    return NULL;
}

extern char **environ;

int main(int argc, char **argv)
{
    int runs = 200;
    const char *agent = "build/lib/libloopstall.so", *loopstall = "build/bin/loopstall",
               *commit = "unknown";
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--agent") && i + 1 < argc)
            agent = argv[++i];
        else if (!strcmp(argv[i], "--loopstall") && i + 1 < argc)
            loopstall = argv[++i];
        else if (!strcmp(argv[i], "--commit") && i + 1 < argc)
            commit = argv[++i];
        else {
            fprintf(stderr,
                    "benchmark-startup: unknown option %s (accepted: --runs N, --agent PATH, "
                    "--loopstall PATH, --commit ID, then -- COMMAND...)\n",
                    argv[i]);
            return 2;
        }
    }
    if (i + 1 >= argc || runs < 10) {
        fprintf(stderr, "usage: benchmark-startup [--runs N>=10] [--agent PATH] [--loopstall PATH] "
                        "-- COMMAND [ARG...]\n");
        return 2;
    }
    char **cmd = argv + i + 1;
    int ncmd = argc - i - 1;
    char *prog = which(cmd[0]);
    if (!prog) {
        fprintf(stderr, "benchmark-startup: %s: not found\n", cmd[0]);
        return 2;
    }
    char agent_abs[4096], ls_abs[4096];
    if (!realpath(agent, agent_abs) || !realpath(loopstall, ls_abs)) {
        fprintf(stderr, "benchmark-startup: build the agent and the command first (%s, %s)\n",
                agent, loopstall);
        return 2;
    }
    /* The three ways' argv and environment. */
    char **bare = calloc((size_t)ncmd + 1, sizeof *bare);
    bare[0] = prog;
    for (int k = 1; k < ncmd; k++)
        bare[k] = cmd[k];
    char **run = calloc((size_t)ncmd + 5, sizeof *run);
    run[0] = ls_abs;
    run[1] = "run";
    run[2] = "-q";
    run[3] = "--";
    for (int k = 0; k < ncmd; k++)
        run[4 + k] = k ? cmd[k] : prog;
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **pre_env = calloc(ne + 3, sizeof *pre_env);
    for (size_t k = 0; k < ne; k++)
        pre_env[k] = environ[k];
    char pre[4200], out[64] = "LOOPSTALL_OUT=/tmp/loopstall-bench-startup";
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", agent_abs);
    pre_env[ne] = pre;
    pre_env[ne + 1] = out;

    double *cpu[MODES], *wall[MODES], *dcpu[MODES], *dwall[MODES];
    for (int m = 0; m < MODES; m++) {
        cpu[m] = calloc((size_t)runs, sizeof(double));
        wall[m] = calloc((size_t)runs, sizeof(double));
        dcpu[m] = calloc((size_t)runs, sizeof(double));
        dwall[m] = calloc((size_t)runs, sizeof(double));
    }
    for (int r = 0; r < runs; r++) {
        for (int k = 0; k < MODES; k++) {
            int m = (r + k) % MODES;
            char **a = m == RUN ? run : bare;
            char **e = m == PRELOADED ? pre_env : environ;
            if (once(a, e, &cpu[m][r], &wall[m][r]) != 0) {
                fprintf(stderr, "benchmark-startup: %s could not be run (%s way)\n", prog,
                        mode_names[m]);
                return 1;
            }
        }
        for (int m = 0; m < MODES; m++) {
            dcpu[m][r] = cpu[m][r] - cpu[BARE][r];
            dwall[m][r] = wall[m][r] - wall[BARE][r];
        }
    }
    char line[4096] = "";
    for (int k = 0; k < ncmd; k++) {
        strncat(line, k ? " " : "", sizeof line - strlen(line) - 1);
        strncat(line, cmd[k], sizeof line - strlen(line) - 1);
    }
    printf("benchmark-startup: `%s`, %d interleaved rounds, commit %s, load %s", line, runs, commit,
           "");
    FILE *la = fopen("/proc/loadavg", "r");
    char lbuf[64] = "?";
    if (la && fgets(lbuf, sizeof lbuf, la)) lbuf[strcspn(lbuf, " ")] = '\0';
    if (la) fclose(la);
    printf("%s\n", lbuf);
    for (int m = 0; m < MODES; m++) {
        double med, lo, hi, wmed, wlo, whi;
        stats(cpu[m], runs, &med, &lo, &hi);
        stats(wall[m], runs, &wmed, &wlo, &whi);
        printf("  %-10s CPU median %8.1f us (p10 %.1f, p90 %.1f)   wall median %8.1f us (p10 %.1f, "
               "p90 %.1f)\n",
               mode_names[m], med, lo, hi, wmed, wlo, whi);
    }
    for (int m = PRELOADED; m < MODES; m++) {
        double med, lo, hi, wmed, wlo, whi;
        stats(dcpu[m], runs, &med, &lo, &hi);
        stats(dwall[m], runs, &wmed, &wlo, &whi);
        printf("  %-10s - bare, paired: CPU %+8.1f us (p10 %+.1f, p90 %+.1f)   wall %+8.1f us (p10 "
               "%+.1f, p90 %+.1f)\n",
               mode_names[m], med, lo, hi, wmed, wlo, whi);
    }
    return 0;
}
