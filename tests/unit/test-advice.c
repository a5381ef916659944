/* test-advice.c -- advice is chosen from what was seen: the executable, the call, the frames, and
 * said in the terms of the runtime or service at hand; the chapter's rule is the fallback. */
#include <criterion/criterion.h>
#include <string.h>

#include "advice.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "%s: %s", e.text, text);
    return j;
}

/* The advice for a site (JSON) of a process (JSON); the test's buffer holds it. */
static char advice_buf[1024], advice_out[1024];
static const char *advice(const char *proc, const char *site)
{
    json_t *p = parse(proc), *s = parse(site);
    const char *a = ls_site_advice(p, s, advice_buf, sizeof advice_buf);
    snprintf(advice_out, sizeof advice_out, "%s", a); /* outlives the JSON */
    json_decref(p);
    json_decref(s);
    return advice_out;
}

#define PROC(exe, argv0) "{\"pid\":1,\"exe\":\"" exe "\",\"argv\":[\"" argv0 "\"]}"
#define PY_FRAME(sym, file)                                                                        \
    "{\"lang\":\"python\",\"symbol\":\"" sym "\",\"file\":\"" file "\",\"line\":3}"
#define JS_FRAME(sym, file)                                                                        \
    "{\"lang\":\"js\",\"symbol\":\"" sym "\",\"file\":\"" file "\",\"line\":3,\"line_is\":"        \
    "\"function_start\"}"
#define NAT(sym)              "{\"symbol\":\"" sym "\",\"module\":\"/usr/bin/x\",\"offset\":\"0x1\"}"
#define SITE(cls, fn, frames) "{\"class\":\"" cls "\",\"fn\":" fn ",\"stack\":[" frames "]}"

static void assert_has(const char *text, const char *part)
{
    cr_assert(strstr(text, part), "\"%s\" lacks \"%s\"", text, part);
}

Test(advice, python_gets_the_async_client_or_to_thread_behind_a_bound)
{
    const char *a =
        advice(PROC("/usr/bin/python3.11", "python3"),
               SITE("blocking", "\"recv\"",
                    PY_FRAME("get", "/usr/lib/python3/dist-packages/requests/api.py") "," PY_FRAME(
                        "fetch", "/srv/app.py")));
    assert_has(a, "httpx.AsyncClient or aiohttp");
    assert_has(a, "asyncio.to_thread");
    assert_has(a, "asyncio.Semaphore");
    a = advice(PROC("/usr/bin/python3.11", "python3"),
               SITE("blocking", "\"clock_nanosleep\"", PY_FRAME("load", "/srv/app.py")));
    assert_has(a, "await asyncio.sleep()");
}

Test(advice, python_cpu_work_goes_to_a_process_pool_and_a_lock_wait_names_the_gil)
{
    assert_has(advice(PROC("/usr/bin/python3.11", "python3"),
                      SITE("cpu", "null", PY_FRAME("burn", "/srv/app.py"))),
               "ProcessPoolExecutor");
    const char *a = advice(PROC("/usr/bin/python3.11", "python3"),
                           SITE("blocking", "\"pthread_cond_timedwait\"",
                                NAT("take_gil") "," PY_FRAME("handler", "/srv/app.py")));
    assert_has(a, "GIL");
    assert_has(a, "ProcessPoolExecutor");
}

Test(advice, a_python_without_frames_is_still_known_by_its_executable)
{
    /* Python 3.10: the agent gives native frames only. */
    assert_has(advice(PROC("/root/.pyenv/versions/3.10.13/bin/python3.10", "python3.10"),
                      SITE("cpu", "null", NAT("_PyEval_EvalFrameDefault"))),
               "ProcessPoolExecutor");
}

Test(advice, node_gets_the_async_form_of_the_sync_api_it_called)
{
    const char *a =
        advice(PROC("/usr/bin/node", "node"),
               SITE("blocking", "\"epoll_pwait\"",
                    NAT("uv_run") "," JS_FRAME("execSync", "node:child_process") "," JS_FRAME(
                        "loadConfig", "/srv/app.js")));
    assert_has(a, "execSync blocks the event loop");
    assert_has(a, "child_process.exec");
    a = advice(PROC("/usr/bin/node", "node"),
               SITE("cpu", "null",
                    JS_FRAME("pbkdf2Sync",
                             "node:internal/crypto/pbkdf2") "," JS_FRAME("work", "/srv/app.js")));
    assert_has(a, "crypto.pbkdf2");
    a = advice(PROC("/usr/bin/node", "node"),
               SITE("blocking", "\"read\"",
                    JS_FRAME("lstatSync", "node:fs") "," JS_FRAME("scan", "/srv/app.js")));
    assert_has(a, "lstatSync blocks the event loop until it returns: use its asynchronous form "
                  "(lstat with a callback");
}

Test(advice, node_cpu_work_goes_to_worker_threads)
{
    assert_has(
        advice(PROC("/usr/bin/node", "node"), SITE("cpu", "null", JS_FRAME("spin", "/srv/app.js"))),
        "worker_threads");
}

Test(advice, nginx_gets_its_own_directives)
{
    assert_has(advice(PROC("/usr/sbin/nginx", "nginx: worker process"),
                      SITE("blocking", "\"openat\"", NAT("ngx_open_cached_file"))),
               "open_file_cache");
    assert_has(advice(PROC("/usr/sbin/nginx", "nginx: worker process"),
                      SITE("blocking", "\"pread64\"", NAT("ngx_read_file"))),
               "aio threads");
}

Test(advice, redis_gets_the_fsync_policy_scan_and_lua_advice)
{
    /* Debian's redis-server is a link to redis-check-rdb. */
    const char *proc = PROC("/usr/bin/redis-check-rdb", "/usr/bin/redis-server 127.0.0.1:6379");
    assert_has(advice(proc, SITE("blocking", "\"fdatasync\"",
                                 NAT("fdatasync") "," NAT("flushAppendOnlyFile"))),
               "appendfsync everysec");
    assert_has(advice(proc, SITE("cpu", "null", NAT("stringmatchlen") "," NAT("keysCommand"))),
               "SCAN");
    assert_has(advice(proc, SITE("cpu", "null", NAT("luaV_execute") "," NAT("evalGenericCommand"))),
               "break it up");
    assert_has(advice(proc, SITE("blocking", "\"nanosleep\"", NAT("debugCommand") "," NAT("call"))),
               "enable-debug-command no");
}

Test(advice, memcached_haproxy_and_libuv_programs_get_advice_in_their_terms)
{
    assert_has(advice(PROC("/usr/bin/memcached", "memcached"),
                      SITE("blocking", "\"pthread_mutex_lock\"", NAT("item_lock"))),
               "-t");
    assert_has(advice(PROC("/usr/sbin/haproxy", "haproxy"),
                      SITE("blocking", "\"getaddrinfo\"", NAT("hlua_ctx_resume"))),
               "resolvers section");
    assert_has(advice(PROC("/srv/lab", "lab"),
                      SITE("blocking", "\"pread64\"", NAT("on_read") "," NAT("uv_run"))),
               "uv_fs_*");
    assert_has(advice(PROC("/srv/lab", "lab"), SITE("cpu", "null", NAT("job") "," NAT("uv_run"))),
               "uv_queue_work");
    assert_has(advice(PROC("/srv/lab", "lab"),
                      "{\"class\":\"blocking\",\"fn\":\"read\",\"target\":\"pipe:[12]\","
                      "\"stack\":[" NAT("on_tick") "," NAT("uv_run") "]}"),
               "uv_read_start");
}

Test(advice, what_no_runtime_knows_gets_the_chapters_rule)
{
    const char *a =
        advice(PROC("/srv/server", "server"), SITE("blocking", "\"getaddrinfo\"", NAT("lookup")));
    cr_assert_str_eq(a, ls_advice("blocking", "getaddrinfo"));
    a = advice(PROC("/srv/server", "server"), SITE("cpu", "null", NAT("hash")));
    cr_assert_str_eq(a, ls_advice("cpu", NULL));
    assert_has(ls_advice("blocking", "pthread_mutex_lock"), "lock");
}
