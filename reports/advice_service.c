/* advice_service.c -- advice in the terms of the service that stalled: nginx's directives, Redis's
 * persistence settings and commands, memcached's and HAProxy's options, libuv's functions. */
#include <stdio.h>
#include <string.h>

#include "advice_internal.h"

const char *ls_advice_nginx(const struct ls_advice_in *in)
{
    if (in->cls && !strcmp(in->cls, "cpu"))
        return "CPU work in an nginx worker holds up every connection it serves: worker_processes "
               "auto gives each core a worker; lower gzip_comp_level, cache responses "
               "(proxy_cache) and reuse TLS sessions (ssl_session_cache)";
    switch (in->family) {
    case LS_FAM_OPEN:
        return "an nginx worker opens files while serving: open_file_cache max=10000 "
               "inactive=30s (with open_file_cache_valid) keeps descriptors and metadata, and "
               "aio threads moves what still blocks to a thread pool";
    case LS_FAM_IO:
        return "an nginx worker reads files on its event loop: aio threads (with a thread_pool "
               "in the main context) moves the reads to a pool; directio for large files, "
               "sendfile on for the rest";
    case LS_FAM_SYNC:
        return "an nginx worker waits for the disk: buffer the logs (access_log ... buffer=64k "
               "flush=5s) and keep temporary files (proxy_temp_path, use_temp_path=off) on fast "
               "storage";
    case LS_FAM_DNS:
        return "an nginx worker resolved a name through libc: configure a resolver (resolver "
               "127.0.0.53 valid=30s) and use a variable in proxy_pass, so names are resolved "
               "asynchronously";
    case LS_FAM_LOCK:
        return "nginx workers wait for a file lock: accept_mutex off, and cache zones "
               "(proxy_cache_path) on fast storage";
    default:
        return NULL;
    }
}

/* Redis's commands that are slow by nature, by the function that runs them. */
static const char *const redis_keys[] = {"keysCommand", NULL};
static const char *const redis_lua[] = {
    "evalGenericCommand", "evalCommand", "evalShaCommand",         "luaCallFunction",
    "fcallCommand",       "scriptCall",  "luaRedisGenericCommand", NULL};
static const char *const redis_aof[] = {"flushAppendOnlyFile", "aof_background_fsync", NULL};
static const char *const redis_del[] = {"delCommand",     "dbSyncDelete", "flushallCommand",
                                        "flushdbCommand", "emptyData",    NULL};
static const char *const redis_save[] = {"saveCommand", "rdbSave", NULL};
static const char *const redis_debug[] = {"debugCommand", NULL};

const char *ls_advice_redis(const struct ls_advice_in *in, char *buf, size_t len)
{
    if (ls_advice_stack_has(in->stack, redis_aof) || in->family == LS_FAM_SYNC)
        return "an AOF write or fsync on Redis's main thread: appendfsync everysec (the fsync "
               "runs in a background thread) instead of always, and no-appendfsync-on-rewrite "
               "yes while a rewrite runs";
    if (ls_advice_stack_has(in->stack, redis_keys))
        return "KEYS walks the whole keyspace on Redis's one thread: use SCAN with MATCH and "
               "COUNT";
    if (ls_advice_stack_has(in->stack, redis_lua))
        return "a long Lua script blocks every client until it ends: break it up into smaller "
               "scripts over batches of keys (busy-reply-threshold only lets you kill it)";
    if (ls_advice_stack_has(in->stack, redis_del))
        return "deleting a big key or a whole database on the main thread: UNLINK, FLUSHALL "
               "ASYNC, or lazyfree-lazy-user-del yes";
    if (ls_advice_stack_has(in->stack, redis_save))
        return "SAVE writes the snapshot on the main thread: use BGSAVE (a forked child writes "
               "it)";
    if (in->cls && !strcmp(in->cls, "cpu"))
        return "a slow command on Redis's one thread: find it with SLOWLOG GET and LATENCY "
               "DOCTOR, and keep O(N) commands on small keys (SCAN, HSCAN, batched deletes)";
    if (ls_advice_stack_has(in->stack, redis_debug))
        return "DEBUG (SLEEP, RELOAD, ...) runs on Redis's main thread and every client waits: "
               "keep it out of production (enable-debug-command no)";
    if (in->fn &&
        (in->family == LS_FAM_IO || in->family == LS_FAM_OPEN || in->family == LS_FAM_LOCK)) {
        snprintf(buf, len,
                 "Redis's main thread waited for the disk in %s: check the persistence settings "
                 "(appendfsync, save, rdb-del-sync-files) and the disk with LATENCY DOCTOR",
                 in->fn);
        return buf;
    }
    if (in->fn) {
        snprintf(buf, len,
                 "Redis's main thread waited in %s and every client waited with it: find the "
                 "command or module with SLOWLOG GET and LATENCY DOCTOR",
                 in->fn);
        return buf;
    }
    return NULL;
}

const char *ls_advice_memcached(const struct ls_advice_in *in)
{
    if (in->family == LS_FAM_MUTEX)
        return "a memcached worker thread waited for a lock (the hash, LRU or slab lock): run "
               "no more worker threads (-t) than cores, and keep the LRU maintainer's defaults "
               "(-o modern)";
    return "a memcached worker thread stalled, and every connection it owns waited: keep -t at "
           "or below the cores, lower -R (requests per event) so one busy client yields sooner, "
           "and keep items small";
}

const char *ls_advice_haproxy(const struct ls_advice_in *in, char *buf, size_t len)
{
    if (in->family == LS_FAM_DNS)
        return "HAProxy resolved a name through libc while running: declare a resolvers section "
               "and point the servers at it (HAProxy's own asynchronous resolver)";
    if (in->cls && !strcmp(in->cls, "cpu"))
        return "CPU work in an HAProxy thread: TLS handshakes (reuse sessions, "
               "tune.ssl.cachesize), "
               "Lua or heavy regexes; nbthread matching the cores spreads it";
    if (in->fn) {
        snprintf(buf, len,
                 "an HAProxy thread blocked in %s: HAProxy itself never waits; a Lua action (use "
                 "core.tcp or httpclient, not io or socket), a map or a log file can: log to a "
                 "syslog socket",
                 in->fn);
        return buf;
    }
    return NULL;
}

const char *ls_advice_libuv(const struct ls_advice_in *in)
{
    if (in->cls && !strcmp(in->cls, "cpu"))
        return "CPU work in a libuv callback: uv_queue_work (libuv's thread pool, bounded by "
               "UV_THREADPOOL_SIZE) or worker processes over pipes the loop watches";
    if (in->family == LS_FAM_IO && in->target &&
        (!strncmp(in->target, "pipe:", 5) || !strncmp(in->target, "socket:", 7)))
        return "a blocking read or write on a pipe or socket in a libuv callback: open it as a "
               "uv_pipe_t or uv_tcp_t and let the loop call you (uv_read_start, uv_write)";
    switch (in->family) {
    case LS_FAM_IO:
    case LS_FAM_OPEN:
    case LS_FAM_SYNC:
        return "file I/O in a libuv callback: uv_fs_* with a callback runs it on libuv's thread "
               "pool (UV_THREADPOOL_SIZE bounds it)";
    case LS_FAM_DNS:
        return "a blocking name lookup in a libuv callback: uv_getaddrinfo with a callback (on "
               "libuv's pool), or resolve once at start-up";
    case LS_FAM_NET:
    case LS_FAM_POLL:
        return "a blocking client in a libuv callback: make its socket non-blocking and let the "
               "loop watch it (uv_poll_start, curl multi's socket callbacks), or uv_queue_work "
               "behind a bound";
    case LS_FAM_SLEEP:
        return "a sleep in a libuv callback: uv_timer_start instead";
    case LS_FAM_PROC:
        return "waiting for a child in a libuv callback: uv_spawn with an exit callback";
    case LS_FAM_MUTEX:
        return "the loop thread waited for a uv_mutex or pthread lock: uv_mutex_trylock and "
               "retry from a uv_timer, or let uv_queue_work take it; keep critical sections "
               "short";
    case LS_FAM_EPOLL:
        return "a nested uv_run (or another loop's wait) inside a callback blocks the outer "
               "loop: run that work on the outer loop";
    default:
        return NULL;
    }
}
