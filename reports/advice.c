/* advice.c -- what to do about a site: async-native alternative, bounded offload, or a process
 * pool. */
#include "advice.h"

#include <string.h>

#include "calls.h"

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
