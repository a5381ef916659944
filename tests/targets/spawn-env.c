/* spawn-env.c -- a parent that starts a loop child with an environment of its own making, as
 * daemons and supervisors do, so that nothing inherited (LD_PRELOAD, LOOPSTALL_*) reaches it.
 *
 *   spawn-env execve        fork, then execve(self, "child", envp = {PATH, HOME})
 *   spawn-env posix_spawn   posix_spawn(self, "child", envp = {PATH, HOME})
 *   spawn-env empty         fork, then execve(self, "child", envp = NULL): an empty environment
 *   spawn-env child         the child: a loop with one 50 ms blocking stall
 *
 * The parent prints "child PID exited 0"; the child prints nothing.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-loop.h"

extern char **environ;

static int child(void)
{
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    for (int tick = 0; tick < 10; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick == 4) host_block(50);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "child")) return child();
    char *const cargv[] = {argv[0], "child", NULL};
    char *const own_env[] = {"PATH=/usr/bin:/bin", "HOME=/nonexistent", NULL};
    pid_t pid = -1;
    if (!strcmp(mode, "posix_spawn")) {
        if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, cargv, own_env) != 0) return 1;
    } else if (!strcmp(mode, "execve") || !strcmp(mode, "empty")) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) return 1;
        self[n] = '\0';
        pid = fork();
        if (pid == 0) {
            execve(self, cargv, !strcmp(mode, "empty") ? NULL : own_env);
            _exit(127);
        }
    } else {
        fprintf(stderr, "usage: spawn-env execve|posix_spawn|empty|child\n");
        return 2;
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return 1;
    printf("child %d exited %d\n", (int)pid, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}
