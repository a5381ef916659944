/* advice_lang.c -- advice in Python's and Node's own terms: the async client or asyncio.to_thread
 * behind a bound, a ProcessPoolExecutor, a *Sync API's asynchronous form, worker_threads. */
#include <stdio.h>
#include <string.h>

#include "advice_internal.h"

/* Blocking libraries people call from coroutines, by a part of their path, and
 * the asynchronous client that replaces each. */
static const struct {
    const char *const parts[4];
    const char *instead;
} python_clients[] = {
    {{"/requests/", "/urllib3/", "/urllib/request.py", "/http/client.py"},
     "httpx.AsyncClient or aiohttp"},
    {{"/psycopg2/", "/psycopg/", NULL}, "asyncpg, or psycopg 3's AsyncConnection"},
    {{"/pymysql/", "/MySQLdb/", NULL}, "aiomysql"},
    {{"/redis/", NULL}, "redis.asyncio"},
    {{"/pymongo/", NULL}, "motor"},
    {{"/sqlite3/", NULL}, "aiosqlite"},
    {{"/botocore/", "/boto3/", NULL}, "aiobotocore"},
    {{"/smtplib.py", NULL}, "aiosmtplib"},
};

static const char *python_client(json_t *stack)
{
    for (size_t i = 0; i < sizeof python_clients / sizeof python_clients[0]; i++) {
        const char *parts[5] = {0};
        for (size_t k = 0; k < 4 && python_clients[i].parts[k]; k++)
            parts[k] = python_clients[i].parts[k];
        if (ls_advice_script_has(stack, parts)) return python_clients[i].instead;
    }
    return NULL;
}

const char *ls_advice_python(const struct ls_advice_in *in, char *buf, size_t len)
{
    if (in->cls && !strcmp(in->cls, "cpu"))
        return "CPU work in a coroutine holds up every other task: run it in a "
               "ProcessPoolExecutor (await loop.run_in_executor(pool, fn, ...)) of a fixed size; "
               "threads do not help, they take turns on the GIL";
    switch (in->family) {
    case LS_FAM_MUTEX:
        return "the loop thread waited for a lock: in Python most often the GIL, held by a "
               "thread running Python code (move that CPU work off threads to a "
               "ProcessPoolExecutor), or a threading lock shared with workers (asyncio.Lock "
               "between coroutines; results back with loop.call_soon_threadsafe)";
    case LS_FAM_SLEEP:
        return "time.sleep() in a coroutine stops the loop: await asyncio.sleep() instead";
    case LS_FAM_DNS:
        return "a name lookup on the loop (socket.getaddrinfo, gethostbyname, a sync client "
               "connecting): await loop.getaddrinfo(), or use an async client that resolves off "
               "the loop";
    case LS_FAM_PROC:
        return "subprocess on the loop waits for the child: await "
               "asyncio.create_subprocess_exec() (or asyncio.to_thread(subprocess.run, ...) "
               "behind a bound)";
    case LS_FAM_EPOLL:
        return "a nested event loop (a sync wrapper that runs its own loop, run_until_complete "
               "inside a callback) blocks the outer one: await the coroutine instead";
    case -1:
        return NULL;
    default:
        break;
    }
    const char *client = python_client(in->stack);
    if (client) {
        snprintf(buf, len,
                 "a blocking client in a coroutine: use %s, or await asyncio.to_thread(...) behind "
                 "a bound (an asyncio.Semaphore, or a ThreadPoolExecutor of a fixed size) so a "
                 "slow dependency cannot take every thread",
                 client);
        return buf;
    }
    if (in->family == LS_FAM_IO || in->family == LS_FAM_OPEN || in->family == LS_FAM_SYNC)
        return "file I/O in a coroutine: await asyncio.to_thread(...) for the whole file "
               "operation (or aiofiles), behind a bound (an asyncio.Semaphore or a sized "
               "ThreadPoolExecutor)";
    return "a blocking library call in a coroutine: use the library's async client, or await "
           "asyncio.to_thread(...) behind a bound (an asyncio.Semaphore, or a ThreadPoolExecutor "
           "of a fixed size)";
}

/* Node's *Sync APIs and their asynchronous forms; others are named by dropping "Sync". */
static const struct {
    const char *sync, *instead;
} node_sync[] = {
    {"execSync", "child_process.exec (or execFile) with a callback or util.promisify"},
    {"execFileSync", "child_process.execFile with a callback or util.promisify"},
    {"spawnSync", "child_process.spawn and its 'close' event"},
    {"readFileSync", "fs.promises.readFile"},
    {"writeFileSync", "fs.promises.writeFile"},
    {"appendFileSync", "fs.promises.appendFile"},
    {"readdirSync", "fs.promises.readdir"},
    {"statSync", "fs.promises.stat"},
    {"existsSync", "fs.promises.access"},
    {"openSync", "fs.promises.open"},
    {"readSync", "a FileHandle's read (fs.promises)"},
    {"writeSync", "a FileHandle's write (fs.promises)"},
    {"fsyncSync", "a FileHandle's sync (fs.promises)"},
    {"pbkdf2Sync", "crypto.pbkdf2 (it runs on libuv's thread pool)"},
    {"scryptSync", "crypto.scrypt (it runs on libuv's thread pool)"},
    {"gzipSync", "zlib.gzip (libuv's thread pool) or a zlib stream"},
    {"gunzipSync", "zlib.gunzip (libuv's thread pool) or a zlib stream"},
    {"deflateSync", "zlib.deflate (libuv's thread pool) or a zlib stream"},
    {"inflateSync", "zlib.inflate (libuv's thread pool) or a zlib stream"},
    {"brotliCompressSync", "zlib.brotliCompress (libuv's thread pool)"},
};

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n > t && !strcmp(s + n - t, tail);
}

const char *ls_advice_node(const struct ls_advice_in *in, char *buf, size_t len)
{
    if (in->entry_s && ends_with(in->entry_s, "Sync")) {
        for (size_t i = 0; i < sizeof node_sync / sizeof node_sync[0]; i++)
            if (!strcmp(in->entry_s, node_sync[i].sync)) {
                snprintf(buf, len, "%s blocks the event loop until it returns: use %s", in->entry_s,
                         node_sync[i].instead);
                return buf;
            }
        snprintf(buf, len,
                 "%s blocks the event loop until it returns: use its asynchronous form (%.*s with "
                 "a callback, or its promise API)",
                 in->entry_s, (int)(strlen(in->entry_s) - 4), in->entry_s);
        return buf;
    }
    if (in->cls && !strcmp(in->cls, "cpu"))
        return "CPU work on Node's main thread: move it to worker_threads (a fixed pool with a "
               "bounded queue, such as piscina); crypto and zlib have asynchronous forms that "
               "run on libuv's thread pool";
    switch (in->family) {
    case LS_FAM_EPOLL:
        return "a nested event loop (execSync, spawnSync or another *Sync call) blocks the main "
               "loop: use the asynchronous form (child_process.exec, spawn)";
    case LS_FAM_IO:
    case LS_FAM_OPEN:
    case LS_FAM_SYNC:
        return "synchronous file I/O on the main thread: use fs.promises (it runs on libuv's "
               "thread pool, which UV_THREADPOOL_SIZE bounds)";
    case LS_FAM_DNS:
        return "a name lookup on the main thread (a native addon or a sync client): use "
               "dns.promises.lookup (libuv's thread pool) or dns.promises.resolve (c-ares)";
    case LS_FAM_SLEEP:
        return "a sleep on the main thread (Atomics.wait, a native addon): use setTimeout or "
               "timers/promises";
    case LS_FAM_MUTEX:
        return "Node's main thread waited for a lock (a native addon, Atomics.wait on shared "
               "memory): keep such waits on worker_threads and post results back";
    default:
        return NULL;
    }
}
