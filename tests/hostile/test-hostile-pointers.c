/* test-hostile-pointers.c -- a bad pointer given to a wrapped call gets exactly what it gets
 * without the agent (EFAULT from the kernel, or libc's own crash), on and off a loop thread,
 * with and without injection rules that read the call's arguments; and every wrapped function
 * that takes a pointer has a case in the host. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "battery.h"

/* Rules that read paths, peers and host names and fire on nothing (a filter that matches
 * nothing, or p=0), so that the calls take the injection path and behave as without rules. */
#define NEVER_FIRING_RULES                                                                         \
    "LOOPSTALL_INJECT="                                                                            \
    "open+open64+openat+openat64+__open_2+__open64_2+__openat_2+__openat64_2+creat+creat64+"       \
    "fopen+fopen64:errno=EACCES,path=/never/*;"                                                    \
    "connect:errno=ECONNREFUSED,peer=192.0.2.1:9;"                                                 \
    "getaddrinfo:errno=EAI_FAIL,host=never.invalid;"                                               \
    "read+write+readv+writev+recv+send+recvmsg+sendmsg+pread+pwrite:delay=1ms,path=/never/*;"      \
    "poll+ppoll+select+pselect+epoll_wait+epoll_pwait+epoll_pwait2+nanosleep+clock_nanosleep+"     \
    "execve+posix_spawn+pthread_mutex_lock+sem_wait+waitpid:delay=1ms,p=0"

static struct ls_proc_result bare(const char *where)
{
    char *target = ls_target("bad-pointers");
    char *cmd[] = {target, (char *)where, NULL};
    struct ls_proc_result r = ls_run_argv(cmd, NULL, 60);
    cr_assert_eq(r.status, 0, "without the agent: %s", r.err);
    free(target);
    return r;
}

/* Fails naming every case whose outcome differs from the one without the agent. */
static void assert_same_outcomes(const char *what, const char *want, const char *got)
{
    char diff[8192] = "";
    size_t used = 0;
    const char *w = want, *g = got;
    while (*w || *g) {
        const char *we = strchr(w, '\n'), *ge = strchr(g, '\n');
        size_t wl = we ? (size_t)(we - w) : strlen(w), gl = ge ? (size_t)(ge - g) : strlen(g);
        if (wl != gl || strncmp(w, g, wl)) {
            int n = snprintf(diff + used, sizeof diff - used,
                             "\n  without the agent: %.*s\n  with it:           %.*s", (int)wl, w,
                             (int)gl, g);
            if (n > 0 && used + (size_t)n < sizeof diff) used += (size_t)n;
        }
        w += wl + (we != NULL);
        g += gl + (ge != NULL);
    }
    cr_assert(used == 0, "%s: outcomes differ:%s", what, diff);
}

static void assert_unchanged(const char *where, char *const env[], int ways)
{
    struct ls_proc_result want = bare(where);
    char *target = ls_target("bad-pointers");
    char *cmd[] = {target, (char *)where, NULL};
    for (int way = 0; way < ways; way++) {
        struct bt_run r;
        bt_run(&r, way, "20", cmd, env, 90);
        cr_assert_eq(bt_status(&r), 0, "%s: %s", bt_way_name[way], r.proc.err);
        char what[64];
        snprintf(what, sizeof what, "%s a loop, %s%s", where, bt_way_name[way],
                 env ? ", with rules" : "");
        assert_same_outcomes(what, want.out, r.proc.out);
        bt_free(&r);
    }
    ls_proc_result_free(&want);
    free(target);
}

Test(pointers, bad_pointers_off_a_loop_fail_as_without_the_agent)
{
    assert_unchanged("off", NULL, BT_WAYS);
}

Test(pointers, bad_pointers_inside_a_loop_iteration_fail_as_without_the_agent)
{
    assert_unchanged("on", NULL, BT_WAYS);
}

Test(pointers, bad_pointers_under_rules_that_read_the_arguments_fail_as_without_the_agent)
{
    char *env[] = {NEVER_FIRING_RULES, NULL};
    assert_unchanged("off", env, 1);
    assert_unchanged("on", env, 1);
}

Test(pointers, every_wrapped_function_that_takes_a_pointer_has_a_case)
{
    struct ls_proc_result cases = bare("off");
    FILE *f = fopen(LS_SOURCE_DIR "/common/calls.def", "r");
    cr_assert_not_null(f);
    char line[4096], missing[2048] = "";
    int functions = 0;
    while (fgets(line, sizeof line, f)) {
        char how[8], name[64];
        if (sscanf(line, "LS_CALL(%7[A-Z], %63[^,],", how, name) != 2) continue;
        /* The parameter list is the fourth field: "(int fd, void *buf, size_t n)". */
        const char *params = strchr(strchr(strchr(line, ',') + 1, ',') + 1, ',');
        params = params ? strchr(params, '(') : NULL;
        const char *end = params ? strchr(params, ')') : NULL;
        if (!params || !end || !memchr(params, '*', (size_t)(end - params))) continue;
        functions++;
        char key[80];
        snprintf(key, sizeof key, "\n%s/", name);
        char first[80];
        snprintf(first, sizeof first, "%s/", name);
        if (!strstr(cases.out, key) && strncmp(cases.out, first, strlen(first)))
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " %s", name);
    }
    fclose(f);
    cr_assert_gt(functions, 60, "calls.def was read");
    cr_assert_str_eq(missing, "", "functions with a pointer parameter and no case:%s", missing);
    ls_proc_result_free(&cases);
}
