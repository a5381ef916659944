/* wrap_exec.c -- starting programs, hand-written: the child keeps the agent, and this image reports
 * first.
 *
 * What differs from the generated wrappers: the environment passed on is the
 * caller's with the agent's variables kept (child_env.h), and when the call
 * replaces this very image (an exec, in the process itself rather than in a
 * vfork child), the image's report is finished first: its record is marked
 * as ended by exec (and, used directly, its file written), and marked live
 * again if the exec fails. The list forms (execl...) are variadic: their
 * arguments are gathered on the stack. Then the shared tail (injection).
 */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_env.h"
#include "lifecycle.h"
#include "this_process.h"
#include "wrap.h"

extern char **environ;

#define LS_EXECL_MAX 4096

/* The rule first (its fire and its delay belong to this image, and the call
 * is kept with them before the image's report is finished), then the
 * image's end, then the exec itself, which returns only if it failed. */
#define EXEC_BODY(name, tkind, target, call_with_env)                                              \
    do {                                                                                           \
        struct ls_child_env ce;                                                                    \
        int same = ls_agent_set_up() && ls_is_this_process();                                      \
        char *const *env = ls_child_env(&ce, envp, same);                                          \
        struct ls_call ls_c;                                                                       \
        int ls_err = 0;                                                                            \
        uint64_t ls_sb = 0;                                                                        \
        if (ls_call_begin(&ls_c, LS_FN_##name, tkind, (uint64_t)(uintptr_t)(target), &ls_err,      \
                          &ls_sb)) {                                                               \
            errno = ls_err;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        ls_call_end(&ls_c);                                                                        \
        if (same) ls_image_end(LS_END_EXEC, -1);                                                   \
        int ls_r = call_with_env;                                                                  \
        if (same) ls_image_resume();                                                               \
        return ls_r;                                                                               \
    } while (0)

LS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    LS_RESOLVE(execve);
    EXEC_BODY(execve, LS_T_PATH, path, ls_f(path, argv, env));
}

LS_EXPORT int execv(const char *path, char *const argv[])
{
    ls_real_execve_t ls_f = real(execve);
    if (LS_UNLIKELY(!ls_f)) return errno = ENOSYS, -1;
    char *const *envp = environ;
    EXEC_BODY(execv, LS_T_PATH, path, ls_f(path, argv, env));
}

LS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    LS_RESOLVE(execvpe);
    EXEC_BODY(execvpe, LS_T_PATH, file, ls_f(file, argv, env));
}

LS_EXPORT int execvp(const char *file, char *const argv[])
{
    ls_real_execvpe_t ls_f = real(execvpe);
    if (LS_UNLIKELY(!ls_f)) return errno = ENOSYS, -1;
    char *const *envp = environ;
    EXEC_BODY(execvp, LS_T_PATH, file, ls_f(file, argv, env));
}

LS_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags)
{
    LS_RESOLVE(execveat);
    EXEC_BODY(execveat, LS_T_PATH, path, ls_f(dirfd, path, argv, env, flags));
}

LS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    LS_RESOLVE(fexecve);
    EXEC_BODY(fexecve, LS_T_FD, fd, ls_f(fd, argv, env));
}

/* Gathers execl's arguments after arg0 into argv (NULL-terminated); the
 * pointer after the terminator is returned through envp_out for execle. */
#define GATHER(arg0, argv, with_env, envp_out)                                                     \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, arg0);                                                                        \
        size_t n = 0;                                                                              \
        /* glibc declares arg0 nonnull; callers still pass NULL: hide it from the optimizer. */    \
        uintptr_t a0 = (uintptr_t)(arg0);                                                          \
        __asm__("" : "+r"(a0));                                                                    \
        argv[n++] = (char *)a0;                                                                    \
        while (a0 && n < LS_EXECL_MAX && (argv[n] = va_arg(ap, char *)))                           \
            n++;                                                                                   \
        if (n == LS_EXECL_MAX) {                                                                   \
            va_end(ap);                                                                            \
            errno = E2BIG;                                                                         \
            return -1;                                                                             \
        }                                                                                          \
        argv[a0 ? n : 1] = NULL;                                                                   \
        if (with_env) envp_out = va_arg(ap, char *const *);                                        \
        va_end(ap);                                                                                \
    } while (0)

LS_EXPORT int execl(const char *path, const char *arg, ...)
{
    char *argv[LS_EXECL_MAX + 1];
    char *const *envp = environ;
    GATHER(arg, argv, 0, envp);
    ls_real_execve_t ls_f = real(execve);
    if (LS_UNLIKELY(!ls_f)) return errno = ENOSYS, -1;
    EXEC_BODY(execl, LS_T_PATH, path, ls_f(path, argv, env));
}

LS_EXPORT int execlp(const char *file, const char *arg, ...)
{
    char *argv[LS_EXECL_MAX + 1];
    char *const *envp = environ;
    GATHER(arg, argv, 0, envp);
    ls_real_execvpe_t ls_f = real(execvpe);
    if (LS_UNLIKELY(!ls_f)) return errno = ENOSYS, -1;
    EXEC_BODY(execlp, LS_T_PATH, file, ls_f(file, argv, env));
}

LS_EXPORT int execle(const char *path, const char *arg, ...)
{
    char *argv[LS_EXECL_MAX + 1];
    char *const *envp = NULL;
    GATHER(arg, argv, 1, envp);
    ls_real_execve_t ls_f = real(execve);
    if (LS_UNLIKELY(!ls_f)) return errno = ENOSYS, -1;
    EXEC_BODY(execle, LS_T_PATH, path, ls_f(path, argv, env));
}

/* posix_spawn starts another process: this image goes on, so only the
 * environment differs. */
#define SPAWN_BODY(name, target, call_with_env)                                                    \
    do {                                                                                           \
        struct ls_child_env ce;                                                                    \
        (void)ls_agent_ready(); /* a host constructor's spawn: the child keeps the agent too */    \
        char *const *env = ls_child_env(&ce, envp, 0);                                             \
        struct ls_call c;                                                                          \
        int err = 0;                                                                               \
        uint64_t sb = 0;                                                                           \
        if (ls_call_begin(&c, LS_FN_##name, LS_T_PATH, (uint64_t)(uintptr_t)(target), &err, &sb))  \
            return err;                                                                            \
        int r = call_with_env;                                                                     \
        ls_call_end(&c);                                                                           \
        return r;                                                                                  \
    } while (0)

LS_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    ls_real_posix_spawn_t f = real(posix_spawn);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    SPAWN_BODY(posix_spawn, path, f(pid, path, fa, attr, argv, env));
}

LS_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    ls_real_posix_spawnp_t f = real(posix_spawnp);
    if (LS_UNLIKELY(!f)) return ENOSYS;
    SPAWN_BODY(posix_spawnp, file, f(pid, file, fa, attr, argv, env));
}
