/* test-child-env.c -- the environment a child starts with (preload/child_env.c): the caller's,
 * with the agent's own LD_PRELOAD entry and LOOPSTALL_* variables kept.
 *
 * The agent's configuration is read the way its constructor reads it (config.c, from this
 * process's environment), then a caller's explicit environment goes through ls_child_env.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child_env.h"
#include "config.h"
#include "state.h"

struct ls_proc ls_proc;

#define AGENT "/opt/loopstall/lib/libloopstall.so"

/* The agent as loaded with LOOPSTALL_OUT and LOOPSTALL_INJECT set, image 3 of pid 4242. */
static void agent_loaded(void)
{
    static struct ls_record *rec;
    setenv("LOOPSTALL_OUT", "/srv/reports", 1);
    setenv("LOOPSTALL_INJECT", "read:delay=5ms", 1);
    static const char *const others[] = {"LOOPSTALL_THRESHOLD_MS", "LOOPSTALL_STRICT",
                                         "LOOPSTALL_LOOP",         "LOOPSTALL_THREAD_LIMIT",
                                         "LOOPSTALL_COLLECTOR",    "LOOPSTALL_IMAGE"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        unsetenv(others[i]);
    ls_config_read();
    ls_config_set_agent_path(AGENT);
    if (!rec) rec = calloc(1, sizeof *rec);
    rec->image = 3;
    ls_proc.rec = rec;
    ls_proc.pid = 4242;
}

TestSuite(child_env, .init = agent_loaded);

static struct ls_child_env ce;

static size_t count(char *const *env)
{
    size_t n = 0;
    while (env[n])
        n++;
    return n;
}

/* The entry named name ("NAME="), or NULL. */
static const char *entry(char *const *env, const char *name)
{
    const char *found = NULL;
    int seen = 0;
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], name, strlen(name)) == 0) {
            found = env[i];
            seen++;
        }
    cr_assert_leq(seen, 1, "%s appears %d times", name, seen);
    return found;
}

Test(child_env, an_environment_without_ld_preload_gets_ours_added_and_keeps_its_own)
{
    char *mine[] = {"PATH=/usr/bin", "HOME=/home/app", NULL};
    char *const *env = ls_child_env(&ce, mine, 0);
    cr_assert_neq(env, mine, "something had to be added");
    cr_expect_str_eq(env[0], "PATH=/usr/bin", "the caller's entries come first, in order");
    cr_expect_str_eq(env[1], "HOME=/home/app");
    cr_expect_str_eq(entry(env, "LD_PRELOAD="), "LD_PRELOAD=" AGENT);
    cr_expect_str_eq(mine[0], "PATH=/usr/bin", "the caller's array is not written");
    cr_expect_null(mine[2]);
}

Test(child_env, a_preload_of_the_callers_own_keeps_it_after_ours)
{
    char *mine[] = {"LD_PRELOAD=/usr/lib/libjemalloc.so", "TERM=dumb", NULL};
    char *const *env = ls_child_env(&ce, mine, 0);
    cr_expect_str_eq(entry(env, "LD_PRELOAD="), "LD_PRELOAD=" AGENT " /usr/lib/libjemalloc.so");
    cr_expect_str_eq(env[0], "LD_PRELOAD=" AGENT " /usr/lib/libjemalloc.so",
                     "in the place the caller's was");
}

Test(child_env, a_preload_that_has_ours_already_is_not_doubled)
{
    char *alone[] = {"LD_PRELOAD=" AGENT, NULL};
    cr_expect_str_eq(entry(ls_child_env(&ce, alone, 0), "LD_PRELOAD="), "LD_PRELOAD=" AGENT);
    char *among[] = {"LD_PRELOAD=/lib/a.so:" AGENT " /lib/b.so", NULL};
    cr_expect_str_eq(entry(ls_child_env(&ce, among, 0), "LD_PRELOAD="),
                     "LD_PRELOAD=/lib/a.so:" AGENT " /lib/b.so");
}

Test(child_env, a_preload_that_only_looks_like_ours_is_not_ours)
{
    char *mine[] = {"LD_PRELOAD=" AGENT ".bak", NULL};
    cr_expect_str_eq(entry(ls_child_env(&ce, mine, 0), "LD_PRELOAD="),
                     "LD_PRELOAD=" AGENT " " AGENT ".bak");
}

Test(child_env, loopstall_variables_are_added_only_where_the_caller_set_none)
{
    char *mine[] = {"LOOPSTALL_OUT=/tmp/theirs", "LOOPSTALL_INJECTED=1", NULL};
    char *const *env = ls_child_env(&ce, mine, 0);
    cr_expect_str_eq(entry(env, "LOOPSTALL_OUT="), "LOOPSTALL_OUT=/tmp/theirs",
                     "the caller's own value wins");
    cr_expect_str_eq(entry(env, "LOOPSTALL_INJECT="), "LOOPSTALL_INJECT=read:delay=5ms",
                     "a name that only starts the same is another variable");
    cr_expect_str_eq(entry(env, "LOOPSTALL_INJECTED="), "LOOPSTALL_INJECTED=1");
    cr_expect_null(entry(env, "LOOPSTALL_STRICT="), "not set at load: not invented");
    cr_expect_eq(count(env), 4);
}

Test(child_env, nothing_missing_means_the_callers_own_array_goes_on)
{
    char *mine[] = {"LD_PRELOAD=" AGENT, "LOOPSTALL_OUT=/srv/reports",
                    "LOOPSTALL_INJECT=read:delay=5ms", NULL};
    cr_expect_eq(ls_child_env(&ce, mine, 0), mine);
}

Test(child_env, an_exec_of_this_pid_is_told_its_image_number)
{
    char *mine[] = {"A=1", NULL};
    char *const *env = ls_child_env(&ce, mine, 1);
    cr_expect_str_eq(entry(env, "LOOPSTALL_IMAGE="), "LOOPSTALL_IMAGE=4");
    cr_expect_str_eq(entry(env, "LOOPSTALL_IMAGE_PID="), "LOOPSTALL_IMAGE_PID=4242");
    char *stale[] = {"LOOPSTALL_IMAGE=1", "LOOPSTALL_IMAGE_PID=17", NULL};
    env = ls_child_env(&ce, stale, 1);
    cr_expect_str_eq(entry(env, "LOOPSTALL_IMAGE="), "LOOPSTALL_IMAGE=4",
                     "a stale number is replaced");
    cr_expect_str_eq(entry(env, "LOOPSTALL_IMAGE_PID="), "LOOPSTALL_IMAGE_PID=4242");
    char *spawn[] = {"A=1", NULL};
    cr_expect_null(entry(ls_child_env(&ce, spawn, 0), "LOOPSTALL_IMAGE="),
                   "a spawned child is a new process: image 0");
}

extern char **environ;

Test(child_env, a_null_environment_is_an_empty_one_that_keeps_the_agent)
{
    /* execve(path, argv, NULL) starts the program with no environment at all: the child gets
     * ours, nothing of the caller's own (execv and execvp pass environ themselves). */
    setenv("CHILD_ENV_MARK", "yes", 1);
    char *const *env = ls_child_env(&ce, NULL, 0);
    cr_expect_null(entry(env, "CHILD_ENV_MARK="));
    cr_expect_str_eq(entry(env, "LD_PRELOAD="), "LD_PRELOAD=" AGENT);
    char *const *own = ls_child_env(&ce, environ, 0);
    cr_expect_str_eq(entry(own, "CHILD_ENV_MARK="), "CHILD_ENV_MARK=yes");
}

Test(child_env, an_environment_too_large_to_copy_is_passed_on_as_it_is)
{
    static char *big[LS_CHILD_ENV_MAX + 2];
    for (int i = 0; i <= LS_CHILD_ENV_MAX; i++)
        big[i] = "X=1";
    big[LS_CHILD_ENV_MAX + 1] = NULL;
    cr_expect_eq(ls_child_env(&ce, big, 1), big);
}
