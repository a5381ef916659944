/* config.c -- the environment, read once at load, checked, with one line per bad value (see
 * config.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "duration.h"
#include "say.h"
#include "state.h"

LS_HIDDEN struct ls_config ls_cfg = {.threshold_ns = 20000000ULL, .mode = LS_LOOP_EPOLL};

static const char *const env_names[LS_ENV_COUNT] = {
    "LD_PRELOAD",       "LOOPSTALL_OUT",  "LOOPSTALL_THRESHOLD_MS", "LOOPSTALL_INJECT",
    "LOOPSTALL_STRICT", "LOOPSTALL_LOOP", "LOOPSTALL_THREAD_LIMIT", "LOOPSTALL_COLLECTOR",
};

/* Copies of the variables as found: the host may change its environment later. */
static char env_store[16384];
static size_t env_used;

static const char *keep_env(const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    if (env_used + n + v + 2 > sizeof env_store) return NULL;
    char *s = env_store + env_used;
    memcpy(s, name, n);
    s[n] = '=';
    memcpy(s + n + 1, value, v + 1);
    env_used += n + v + 2;
    return s;
}

static void read_threshold(const char *v)
{
    uint64_t ns;
    if (ls_parse_threshold(v, &ns) != 0) {
        ls_say("LOOPSTALL_THRESHOLD_MS=", v,
               " ignored: expected milliseconds from 0.1 to 3600000, as digits (50, 0.5) or with "
               "a unit (500us); default 20");
        return;
    }
    ls_cfg.threshold_ns = ns;
}

static void read_mode(const char *v)
{
    if (!strcmp(v, "auto") || !strcmp(v, "epoll")) return;
    if (!strcmp(v, "poll")) {
        ls_cfg.mode = LS_LOOP_POLL;
        return;
    }
    ls_say("LOOPSTALL_LOOP=", v, " ignored: expected auto, epoll or poll");
}

static void read_strict(const char *v)
{
    if (!strcmp(v, "0")) return;
    if (!strcmp(v, "1")) {
        ls_cfg.strict = 1;
        return;
    }
    ls_say("LOOPSTALL_STRICT=", v, " ignored: expected 0 or 1");
}

static void read_thread_limit(const char *v)
{
    char *end;
    errno = 0;
    /* strtoul would take "-1" as 2^64-1: only digits are a count. */
    unsigned long long n = (v[0] >= '0' && v[0] <= '9') ? strtoull(v, &end, 10) : 0;
    if (errno || !n || *end || n > LS_THREAD_LIMIT_MAX) {
        ls_say("LOOPSTALL_THREAD_LIMIT=", v,
               " ignored: expected a number of threads from 1 to 1000000 (default max(64, 8 x "
               "cores))");
        return;
    }
    ls_cfg.thread_limit = n;
}

static void read_out_dir(const char *v, const char *tmpdir)
{
    char dir[sizeof ls_cfg.out_dir];
    if (!v) {
        v = tmpdir;
        if (!v || !*v) v = "/tmp";
    }
    size_t n = strlen(v);
    /* Relative to the directory the process started in, made absolute once:
     * a process that changes directory later must not scatter reports. */
    if (v[0] != '/') {
        if (!getcwd(dir, sizeof dir - 2)) {
            ls_say("LOOPSTALL_OUT=", v, " ignored: the working directory is unknown; using /tmp");
            v = "/tmp";
            n = 4;
        } else {
            size_t c = strlen(dir);
            if (c + 1 + n >= sizeof dir) {
                ls_say("LOOPSTALL_OUT=", v, " ignored: longer than 1023 bytes; using /tmp");
                v = "/tmp";
                n = 4;
            } else {
                dir[c] = '/';
                memcpy(dir + c + 1, v, n + 1);
                v = dir;
                n = strlen(dir);
            }
        }
    }
    if (n >= sizeof ls_cfg.out_dir) {
        ls_say("LOOPSTALL_OUT is longer than 1023 bytes; reports go to ", "/tmp", NULL);
        v = "/tmp";
        n = 4;
    }
    memcpy(ls_cfg.out_dir, v, n + 1);
}

static void read_collector(const char *v)
{
    /* "@name": an abstract socket, so that it needs no directory a process
     * that drops its privileges could lose access to. */
    if (v[0] != '@' || strlen(v) < 2 || strlen(v) >= sizeof ls_cfg.collector) {
        ls_say("LOOPSTALL_COLLECTOR=", v,
               " ignored: expected @NAME (set by loopstall run, printed by loopstall collect)");
        return;
    }
    memcpy(ls_cfg.collector, v, strlen(v) + 1);
}

static void read_number(const char *name, const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long n = (v[0] >= '0' && v[0] <= '9') ? strtoul(v, &end, 10) : 0;
    if (errno || !(v[0] >= '0' && v[0] <= '9') || *end || n > max) {
        ls_say(name, v, " ignored: expected a number (set by loopstall itself)");
        return;
    }
    *out = n;
}

/* The variables read, found in one pass over the environment (a dozen getenv calls walk it a
 * dozen times: a quarter of what a process that never runs a loop paid the agent at load). */
enum found_var {
    FOUND_ROOT_PID = LS_ENV_COUNT,
    FOUND_IMAGE,
    FOUND_IMAGE_PID,
    FOUND_TMPDIR,
    FOUND_COUNT
};

static const char *const other_names[FOUND_COUNT - LS_ENV_COUNT] = {
    "LOOPSTALL_ROOT_PID", "LOOPSTALL_IMAGE", "LOOPSTALL_IMAGE_PID", "TMPDIR"};

static const char *name_of(int i)
{
    return i < LS_ENV_COUNT ? env_names[i] : other_names[i - LS_ENV_COUNT];
}

/* The value of each variable read (the first entry of that name, as getenv answers), or NULL. */
static void find_vars(const char *found[FOUND_COUNT])
{
    for (int i = 0; i < FOUND_COUNT; i++)
        found[i] = NULL;
    for (char **e = environ; e && *e; e++) {
        const char *s = *e;
        if (s[0] != 'L' && s[0] != 'T') continue;
        if (s[0] == 'L' && strncmp(s, "LOOPSTALL_", 10) != 0) continue;
        for (int i = 1; i < FOUND_COUNT; i++) {
            const char *n = name_of(i);
            size_t len = strlen(n);
            if (!found[i] && !strncmp(s, n, len) && s[len] == '=') {
                found[i] = s + len + 1;
                break;
            }
        }
    }
}

LS_COLD void ls_config_read(void)
{
    const char *found[FOUND_COUNT];
    find_vars(found);
    for (int i = 1; i < LS_ENV_COUNT; i++)
        if (found[i]) ls_cfg.env[i] = keep_env(env_names[i], found[i]);
    ls_cfg.inject_set = found[LS_ENV_INJECT] != NULL;
    const char *v;
    if ((v = found[LS_ENV_THRESHOLD]) && *v) read_threshold(v);
    if ((v = found[LS_ENV_LOOP]) && *v) read_mode(v);
    if ((v = found[LS_ENV_STRICT]) && *v) read_strict(v);
    if ((v = found[LS_ENV_THREAD_LIMIT]) && *v) read_thread_limit(v);
    if ((v = found[LS_ENV_COLLECTOR]) && *v) read_collector(v);
    v = found[LS_ENV_OUT];
    read_out_dir(v && *v ? v : NULL, found[FOUND_TMPDIR]);
    unsigned long n = 0;
    if ((v = found[FOUND_ROOT_PID]) && *v) {
        read_number("LOOPSTALL_ROOT_PID=", v, 1UL << 22, &n);
        ls_cfg.root_pid = (pid_t)n;
    }
    n = 0;
    if ((v = found[FOUND_IMAGE]) && *v) {
        read_number("LOOPSTALL_IMAGE=", v, 1000000, &n);
        /* Only the image our exec wrapper announced for this very pid. */
        const char *p = found[FOUND_IMAGE_PID];
        if (p && (pid_t)atoi(p) == ls_proc.pid) ls_cfg.image = (uint32_t)n;
    }
}

LS_COLD void ls_config_set_agent_path(const char *path)
{
    ls_cfg.env[LS_ENV_PRELOAD] = keep_env("LD_PRELOAD", path);
}
