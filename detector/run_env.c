/* run_env.c -- the command's environment (see run_env.h). */
#include "run_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define NODE_FLAGS "--perf-basic-prof-only-functions --interpreted-frames-native-stack"

static char *join(const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    char *s = malloc(n + v + 2);
    if (!s) return NULL;
    memcpy(s, name, n);
    s[n] = '=';
    memcpy(s + n + 1, value, v + 1);
    return s;
}

/* Ours replace these; everything else is the caller's. */
static int ours(const char *var)
{
    static const char *const names[] = {
        "LD_PRELOAD=",         "LOOPSTALL_OUT=",    "LOOPSTALL_THRESHOLD_MS=",
        "LOOPSTALL_INJECT=",   "LOOPSTALL_STRICT=", "LOOPSTALL_COLLECTOR=",
        "LOOPSTALL_ROOT_PID=", "LOOPSTALL_IMAGE=",  "LOOPSTALL_IMAGE_PID=",
        "NODE_OPTIONS="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strncmp(var, names[i], strlen(names[i]))) return 1;
    return 0;
}

/* The user already asks V8 for perf output of their own: leave it alone. */
static int user_has_perf_flags(const char *node_options)
{
    return node_options &&
           (strstr(node_options, "--perf-basic-prof") || strstr(node_options, "--perf-prof"));
}

int ls_run_env_adds_perf_map(const struct ls_run_env_opts *o)
{
    return o->node_perf_map && !user_has_perf_flags(getenv("NODE_OPTIONS"));
}

static int inherited(const char *var)
{
    for (size_t i = 0; environ && environ[i]; i++)
        if (environ[i] == var) return 1;
    return 0;
}

void ls_run_env_free(char **env, int root_slot)
{
    for (int i = 0; env && i < root_slot; i++)
        if (!inherited(env[i])) free(env[i]);
    free(env);
}

char **ls_run_env(const struct ls_run_env_opts *o, int *root_slot)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 16, sizeof *env);
    if (!env) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!ours(environ[i])) env[k++] = environ[i]; /* run's environ outlives the child's start */
    /* LD_PRELOAD: a sanitizer runtime first (it refuses to start otherwise),
     * then the agent, then whatever the user preloads. */
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(o->agent) + (o->sanitizer ? strlen(o->sanitizer) + 1 : 0) +
                 (old ? strlen(old) + 1 : 0) + 1;
    char *pre = malloc(len);
    if (!pre) return NULL;
    snprintf(pre, len, "%s%s%s%s%s", o->sanitizer ? o->sanitizer : "", o->sanitizer ? " " : "",
             o->agent, old && *old ? " " : "", old && *old ? old : "");
    env[k++] = join("LD_PRELOAD", pre);
    free(pre);
    env[k++] = join("LOOPSTALL_OUT", o->dir);
    /* In milliseconds, as the agent's parser reads them: digits and a fraction, never the
     * exponent %g would write from 1e6 ms on. */
    char num[64];
    int w =
        snprintf(num, sizeof num, "%llu.%06llu", (unsigned long long)(o->threshold_ns / 1000000),
                 (unsigned long long)(o->threshold_ns % 1000000));
    while (w > 0 && num[w - 1] == '0')
        num[--w] = '\0';
    if (w > 0 && num[w - 1] == '.') num[--w] = '\0';
    env[k++] = join("LOOPSTALL_THRESHOLD_MS", num);
    if (o->inject) env[k++] = join("LOOPSTALL_INJECT", o->inject);
    env[k++] = join("LOOPSTALL_STRICT", o->strict ? "1" : "0");
    if (o->collector) env[k++] = join("LOOPSTALL_COLLECTOR", o->collector);
    const char *node = getenv("NODE_OPTIONS");
    if (ls_run_env_adds_perf_map(o)) {
        /* V8 names its JIT code in /tmp/perf-PID.map only when asked. */
        size_t m = (node ? strlen(node) + 1 : 0) + sizeof NODE_FLAGS;
        char *v = malloc(m);
        if (v) {
            snprintf(v, m, "%s%s%s", node && *node ? node : "", node && *node ? " " : "",
                     NODE_FLAGS);
            env[k++] = join("NODE_OPTIONS", v);
            free(v);
        }
    } else if (node) {
        env[k++] = join("NODE_OPTIONS", node);
    }
    *root_slot = (int)k++;
    env[*root_slot] = NULL;
    env[k] = NULL;
    return env;
}
