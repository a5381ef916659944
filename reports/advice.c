/* advice.c -- what to do about a site: the chapter's general rules (async-native alternative,
 * bounded offload, a process pool), and the choice of the runtime or service whose terms say it.
 *
 * The runtime is known from what was seen, most telling first: interpreter
 * frames (Python, JavaScript), then the executable or the name the process
 * gave itself (nginx, redis-server, memcached, haproxy, python3.X, node), then
 * libuv's functions on the stack. Each runtime's rules are in advice_lang.c
 * (Python, Node) and advice_service.c (nginx, Redis, memcached, HAProxy,
 * libuv); what none of them knows gets the chapter's rule.
 */
#include "advice.h"

#include <stdio.h>
#include <string.h>

#include "advice_internal.h"
#include "calls.h"
#include "frames.h"

static const char *for_family(enum ls_family fam, const char *fn)
{
    switch (fam) {
    case LS_FAM_DNS:
        return "resolve names off the loop: the loop's own resolver (uv_getaddrinfo, "
               "loop.getaddrinfo, dns.lookup) or once at start-up, never a blocking "
               "getaddrinfo in a callback";
    case LS_FAM_SLEEP:
        return "a sleep on the loop thread stops every other request: use the loop's timer "
               "(asyncio.sleep, setTimeout, uv_timer_start)";
    case LS_FAM_POLL:
        return "a blocking client waits in poll() inside a callback: use an async-native "
               "client (curl multi driven by the loop, aiohttp, fetch), or offload it to a "
               "bounded pool";
    case LS_FAM_EPOLL:
        return "a nested event loop (execSync, spawnSync, a sync client with its own loop) "
               "blocks the outer one: use the asynchronous variant";
    case LS_FAM_NET:
        return "a blocking socket call on the loop: make the socket non-blocking and let the "
               "loop wait for it (an async client), or offload the client to a bounded pool";
    case LS_FAM_IO:
    case LS_FAM_OPEN:
    case LS_FAM_SYNC:
        return "file I/O on the loop thread: use the loop's thread pool (uv_fs_*, "
               "fs.promises, asyncio.to_thread) with a bound on how many run at once";
    case LS_FAM_MUTEX:
        return "the loop thread waited for a lock another thread held: keep the loop out of "
               "shared locks (hand work to and from workers through a queue the loop watches) "
               "and keep every critical section short";
    case LS_FAM_LOCK:
        return "waiting for a file lock on the loop: take it with a non-blocking attempt and "
               "retry from a timer, or hold it from a worker thread";
    case LS_FAM_PROC:
        return strcmp(fn, "system") == 0 || strcmp(fn, "popen") == 0
                   ? "running a command synchronously blocks the loop until it ends: spawn it "
                     "asynchronously (uv_spawn, child_process.exec, "
                     "asyncio.create_subprocess_exec)"
                   : "waiting for a child on the loop: let the loop reap it (uv_spawn exit "
                     "callback, SIGCHLD handling) instead of a blocking wait";
    default:
        return "a blocking call on the loop thread: offload it to a bounded pool";
    }
}

const char *ls_advice(const char *cls, const char *fn)
{
    if (cls && !strcmp(cls, "cpu"))
        return "CPU work on the loop thread: move it to a process pool or a worker system "
               "(threads help only where the runtime has no global lock), with a bounded queue "
               "in front of it";
    if (cls && !strcmp(cls, "strict") && fn && ls_call_lookup(fn, strlen(fn)) >= 0) {
        /* Short today, a stall in production: the same rules apply. */
        return for_family(ls_calls[ls_call_lookup(fn, strlen(fn))].family, fn);
    }
    if (cls && !strcmp(cls, "mixed"))
        return "CPU and waiting in one place: do the I/O asynchronously, send the CPU stage to "
               "a process pool, and put a bounded queue between the two";
    int id = fn ? ls_call_lookup(fn, strlen(fn)) : -1;
    if (id < 0)
        return "the loop thread was off the CPU outside any call loopstall intercepts (a lock, "
               "a page fault, a busy machine): look at the stack";
    return for_family(ls_calls[id].family, fn);
}

int ls_advice_stack_has(json_t *stack, const char *const *names)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *sym = json_string_value(json_object_get(f, "symbol"));
        for (size_t k = 0; sym && names[k]; k++)
            if (!strcmp(sym, names[k])) return 1;
    }
    return 0;
}

int ls_advice_script_has(json_t *stack, const char *const *parts)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *file = json_string_value(json_object_get(f, "file"));
        if (!file || !ls_frame_is_interp(f)) continue;
        for (size_t k = 0; parts[k]; k++)
            if (strstr(file, parts[k])) return 1;
    }
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

/* 1 when the process's executable or the first word of its title names prog. */
static int runs(json_t *proc, const char *prog)
{
    const char *exe = base_name(json_string_value(json_object_get(proc, "exe")));
    const char *argv0 = json_string_value(json_array_get(json_object_get(proc, "argv"), 0));
    size_t n = strlen(prog);
    if (exe && !strncmp(exe, prog, n)) return 1;
    if (!argv0) return 0;
    /* "nginx: worker process", "/usr/bin/redis-server 127.0.0.1:6379" */
    const char *word = argv0, *end = argv0 + strcspn(argv0, " :");
    for (const char *q = argv0; q < end; q++)
        if (*q == '/') word = q + 1;
    return (size_t)(end - word) >= n && !strncmp(word, prog, n);
}

static enum ls_runtime runtime_of(json_t *proc, json_t *stack)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *lang = json_string_value(json_object_get(f, "lang"));
        if (lang && !strcmp(lang, "python")) return LS_RT_PYTHON;
        if (lang && !strcmp(lang, "js")) return LS_RT_NODE;
    }
    static const struct {
        const char *prog;
        enum ls_runtime rt;
    } progs[] = {{"python", LS_RT_PYTHON},       {"node", LS_RT_NODE},
                 {"nginx", LS_RT_NGINX},         {"redis-", LS_RT_REDIS},
                 {"memcached", LS_RT_MEMCACHED}, {"haproxy", LS_RT_HAPROXY}};
    for (size_t k = 0; k < sizeof progs / sizeof progs[0]; k++)
        if (runs(proc, progs[k].prog)) return progs[k].rt;
    json_array_foreach(stack, i, f)
    {
        const char *sym = json_string_value(json_object_get(f, "symbol"));
        if (sym && !strncmp(sym, "uv_", 3)) return LS_RT_LIBUV;
    }
    return LS_RT_OTHER;
}

/* The library function the user's code called: the interpreter frame nearest
 * inside the innermost one of the user's code. */
static json_t *entry_frame(json_t *stack)
{
    long u = ls_culprit_index(stack);
    if (u <= 0 || !ls_frame_is_user(json_array_get(stack, (size_t)u))) return NULL;
    for (long i = u - 1; i >= 0; i--)
        if (ls_frame_is_interp(json_array_get(stack, (size_t)i)))
            return json_array_get(stack, (size_t)i);
    return NULL;
}

const char *ls_site_advice(json_t *proc, json_t *site, char *buf, size_t len)
{
    struct ls_advice_in in = {0};
    in.cls = json_string_value(json_object_get(site, "class"));
    in.fn = json_string_value(json_object_get(site, "fn"));
    in.stack = json_object_get(site, "stack");
    in.target = json_string_value(json_object_get(site, "target"));
    int id = in.fn ? ls_call_lookup(in.fn, strlen(in.fn)) : -1;
    in.family = id >= 0 ? (int)ls_calls[id].family : -1;
    in.rt = runtime_of(proc, in.stack);
    in.entry = entry_frame(in.stack);
    in.entry_s = json_string_value(json_object_get(in.entry, "symbol"));
    const char *a = NULL;
    switch (in.rt) {
    case LS_RT_PYTHON:
        a = ls_advice_python(&in, buf, len);
        break;
    case LS_RT_NODE:
        a = ls_advice_node(&in, buf, len);
        break;
    case LS_RT_NGINX:
        a = ls_advice_nginx(&in);
        break;
    case LS_RT_REDIS:
        a = ls_advice_redis(&in, buf, len);
        break;
    case LS_RT_MEMCACHED:
        a = ls_advice_memcached(&in);
        break;
    case LS_RT_HAPROXY:
        a = ls_advice_haproxy(&in, buf, len);
        break;
    case LS_RT_LIBUV:
        a = ls_advice_libuv(&in);
        break;
    case LS_RT_OTHER:
        break;
    }
    return a ? a : ls_advice(in.cls, in.fn);
}

const char *ls_review_site_advice(json_t *site)
{
    const char *kept = json_string_value(json_object_get(site, "advice"));
    if (kept && *kept) return kept;
    return ls_advice(json_string_value(json_object_get(site, "class")),
                     json_string_value(json_object_get(site, "fn")));
}
