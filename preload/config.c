/* config.c -- the environment, read once at load, checked, with one line per bad value (see
 * config.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    char *end;
    errno = 0;
    double ms = strtod(v, &end);
    if (errno || end == v || *end || !(ms >= LS_THRESHOLD_MIN_MS) || ms > LS_THRESHOLD_MAX_MS) {
        ls_say("LOOPSTALL_THRESHOLD_MS=", v,
               " ignored: expected milliseconds from 0.1 to 3600000 (default 20)");
        return;
    }
    ls_cfg.threshold_ns = (uint64_t)(ms * 1e6);
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

static void read_out_dir(const char *v)
{
    char dir[sizeof ls_cfg.out_dir];
    if (!v) {
        v = getenv("TMPDIR");
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
        ls_say("LOOPSTALL_COLLECTOR=", v, " ignored: expected @NAME (set by loopstall run)");
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

void ls_config_read(void)
{
    for (int i = 1; i < LS_ENV_COUNT; i++) {
        const char *v = getenv(env_names[i]);
        if (v) ls_cfg.env[i] = keep_env(env_names[i], v);
    }
    const char *v;
    if ((v = getenv("LOOPSTALL_THRESHOLD_MS")) && *v) read_threshold(v);
    if ((v = getenv("LOOPSTALL_LOOP")) && *v) read_mode(v);
    if ((v = getenv("LOOPSTALL_STRICT")) && *v) read_strict(v);
    if ((v = getenv("LOOPSTALL_THREAD_LIMIT")) && *v) read_thread_limit(v);
    if ((v = getenv("LOOPSTALL_COLLECTOR")) && *v) read_collector(v);
    v = getenv("LOOPSTALL_OUT");
    read_out_dir(v && *v ? v : NULL);
    unsigned long n = 0;
    if ((v = getenv("LOOPSTALL_ROOT_PID")) && *v) {
        read_number("LOOPSTALL_ROOT_PID=", v, 1UL << 22, &n);
        ls_cfg.root_pid = (pid_t)n;
    }
    n = 0;
    if ((v = getenv("LOOPSTALL_IMAGE")) && *v) {
        read_number("LOOPSTALL_IMAGE=", v, 1000000, &n);
        /* Only the image our exec wrapper announced for this very pid. */
        const char *p = getenv("LOOPSTALL_IMAGE_PID");
        if (p && (pid_t)atoi(p) == (pid_t)syscall(SYS_getpid)) ls_cfg.image = (uint32_t)n;
    }
}

void ls_config_set_agent_path(const char *path)
{
    ls_cfg.env[LS_ENV_PRELOAD] = keep_env("LD_PRELOAD", path);
}
