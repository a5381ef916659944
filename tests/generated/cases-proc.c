/* cases-proc.c -- calling cases for children: the waits, system, popen, the exec family and
 * posix_spawn, one successful call each (see probe.h). */
#include "probe.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SH      "/bin/sh"
#define SH_EXIT "exit 7" /* PROBE_EXIT_OK: proof that the program started was ours */

static char *const sh_argv[] = {"sh", "-c", SH_EXIT, NULL};

/* A child that has exited, for a wait to collect; reaped raw if the wait failed. */
#define WAITING(call)                                                                              \
    int st;                                                                                        \
    siginfo_t si;                                                                                  \
    (void)si;                                                                                      \
    (void)st;                                                                                      \
    pid_t pid = fork();                                                                            \
    if (pid < 0) probe_die("fork");                                                                \
    if (pid == 0) _exit(0);                                                                        \
    PROBE_CALL(c, call);                                                                           \
    probe_reap(pid)

static void case_waitpid(struct probe_call *c)
{
    WAITING(waitpid(pid, &st, 0));
}

static void case_wait(struct probe_call *c)
{
    WAITING(wait(&st));
}

static void case_wait4(struct probe_call *c)
{
    WAITING(wait4(pid, &st, 0, NULL));
}

static void case_waitid(struct probe_call *c)
{
    WAITING(waitid(P_PID, (id_t)pid, &si, WEXITED));
}

static void case_system(struct probe_call *c)
{
    PROBE_CALL(c, system("exit 0"));
}

static void case_popen(struct probe_call *c)
{
    FILE *f = NULL;
    PROBE_CALL(c, (f = popen("exit 0", "re")) != NULL);
    if (f) pclose(f);
}

static void case_pclose(struct probe_call *c)
{
    FILE *f = popen("exit 0", "re");
    if (!f) probe_die("popen");
    PROBE_CALL(c, pclose(f));
}

/* The exec family, each in a child of its own (probe_in_child). */
static void exec_execve(struct probe_call *c)
{
    PROBE_CALL(c, execve(SH, sh_argv, environ));
}

static void exec_execv(struct probe_call *c)
{
    PROBE_CALL(c, execv(SH, sh_argv));
}

static void exec_execvp(struct probe_call *c)
{
    PROBE_CALL(c, execvp("sh", sh_argv));
}

static void exec_execvpe(struct probe_call *c)
{
    PROBE_CALL(c, execvpe("sh", sh_argv, environ));
}

static void exec_execveat(struct probe_call *c)
{
    PROBE_CALL(c, execveat(AT_FDCWD, SH, sh_argv, environ, 0));
}

static void exec_fexecve(struct probe_call *c)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, SH, O_RDONLY | O_CLOEXEC);
    if (fd < 0) probe_die("opening " SH);
    PROBE_CALL(c, fexecve(fd, sh_argv, environ));
}

static void exec_execl(struct probe_call *c)
{
    PROBE_CALL(c, execl(SH, "sh", "-c", SH_EXIT, (char *)NULL));
}

static void exec_execlp(struct probe_call *c)
{
    PROBE_CALL(c, execlp("sh", "sh", "-c", SH_EXIT, (char *)NULL));
}

static void exec_execle(struct probe_call *c)
{
    PROBE_CALL(c, execle(SH, "sh", "-c", SH_EXIT, (char *)NULL, environ));
}

#define IN_CHILD(name)                                                                             \
    static void case_##name(struct probe_call *c)                                                  \
    {                                                                                              \
        probe_in_child(c, exec_##name);                                                            \
    }
IN_CHILD(execve)
IN_CHILD(execv)
IN_CHILD(execvp)
IN_CHILD(execvpe)
IN_CHILD(execveat)
IN_CHILD(fexecve)
IN_CHILD(execl)
IN_CHILD(execlp)
IN_CHILD(execle)

/* posix_spawn returns in this process; the child is reaped raw. */
#define SPAWNING(call)                                                                             \
    pid_t pid = -1;                                                                                \
    PROBE_CALL(c, call);                                                                           \
    if (c->ret == 0) {                                                                             \
        int st = 0;                                                                                \
        while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)                        \
            ;                                                                                      \
        c->started = WIFEXITED(st) && WEXITSTATUS(st) == PROBE_EXIT_OK;                            \
    }

static void case_posix_spawn(struct probe_call *c)
{
    SPAWNING(posix_spawn(&pid, SH, NULL, NULL, sh_argv, environ));
}

static void case_posix_spawnp(struct probe_call *c)
{
    SPAWNING(posix_spawnp(&pid, "sh", NULL, NULL, sh_argv, environ));
}

const struct probe_case probe_cases_proc[] = {
    {"waitpid", case_waitpid, 0, 0},
    {"wait", case_wait, 0, 0},
    {"wait4", case_wait4, 0, 0},
    {"waitid", case_waitid, 0, 0},
    {"system", case_system, 0, 0},
    {"popen", case_popen, 0, 0},
    {"pclose", case_pclose, 0, 0},
    {"execve", case_execve, 1, 0},
    {"execv", case_execv, 1, 0},
    {"execvp", case_execvp, 1, 0},
    {"execvpe", case_execvpe, 1, 0},
    {"execveat", case_execveat, 1, 0},
    {"fexecve", case_fexecve, 1, 0},
    {"execl", case_execl, 1, 0},
    {"execlp", case_execlp, 1, 0},
    {"execle", case_execle, 1, 0},
    {"posix_spawn", case_posix_spawn, 0, 0},
    {"posix_spawnp", case_posix_spawnp, 0, 0},
    {NULL, NULL, 0, 0},
};
