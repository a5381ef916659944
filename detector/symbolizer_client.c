/* symbolizer_client.c -- one exchange with `loopstall-symbolizer` (see symbolizer_client.h).
 *
 * One socket pair is the helper's stdin and stdout: the questions go in, the
 * write side is shut (the helper reads to the end before it answers, so
 * neither side waits on the other), the answers come back. send() with
 * MSG_NOSIGNAL: a helper that died leaves an error, not a SIGPIPE that would
 * kill the command. The helper gets an empty signal mask (`run` blocks the
 * signals it reads from a signalfd) and the command's environment
 * (DEBUGINFOD_URLS and the like are libdw's to read).
 */
#include "symbolizer_client.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "self_path.h"

extern char **environ;

#define HELPER "loopstall-symbolizer"
#ifndef LS_INSTALL_LIBEXECDIR /* CMake's; a build of this file alone (fuzz/) takes the default */
#define LS_INSTALL_LIBEXECDIR "libexec"
#endif

static void say_once(const char *what, const char *detail)
{
    static int told;
    if (told++) return;
    fprintf(stderr,
            "loopstall: cannot name native frames: %s%s%s (they keep their module and offset)\n",
            what, detail ? ": " : "", detail ? detail : "");
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Everything the helper writes until it closes its end; NULL on a read error. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (used == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) break;
            buf = grown;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (n == 0) {
            *len = used;
            return buf;
        }
        used += (size_t)n;
    }
    free(buf);
    return NULL;
}

static pid_t start_helper(const char *path, int fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 0);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    char *argv[] = {(char *)HELPER, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, path, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err) {
        errno = err;
        return -1;
    }
    return pid;
}

json_t *ls_symbolizer_ask(json_t *questions)
{
    static const char *const tails[] = {HELPER, "../libexec/loopstall/" HELPER,
                                        "../" LS_INSTALL_LIBEXECDIR "/loopstall/" HELPER};
    char path[4096];
    if (ls_beside_self(tails, sizeof tails / sizeof tails[0], X_OK, path, sizeof path) != 0) {
        say_once(HELPER " is not installed beside loopstall", NULL);
        return NULL;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        say_once("socketpair", strerror(errno));
        return NULL;
    }
    pid_t pid = start_helper(path, sv[1]);
    close(sv[1]);
    if (pid < 0) {
        say_once(path, strerror(errno));
        close(sv[0]);
        return NULL;
    }
    char *text = json_dumps(questions, JSON_COMPACT);
    int sent = text && send_all(sv[0], text, strlen(text)) == 0;
    free(text);
    shutdown(sv[0], SHUT_WR);
    size_t len = 0;
    char *reply = sent ? read_all(sv[0], &len) : NULL;
    close(sv[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    json_t *answers = reply ? json_loadb(reply, len, 0, NULL) : NULL;
    free(reply);
    if (!json_is_array(answers) || json_array_size(answers) != json_array_size(questions)) {
        char how[64];
        if (WIFSIGNALED(status))
            snprintf(how, sizeof how, "it was killed by signal %d", WTERMSIG(status));
        else
            snprintf(how, sizeof how, "it exited with %d without answering",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        say_once(path, how);
        json_decref(answers);
        return NULL;
    }
    return answers;
}
