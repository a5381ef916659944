/* test-interp-sites.c -- site ids of stacks with Python and JavaScript frames: the user's
 * functions tell sites apart; lines, paths, native interpreter frames and library internals do
 * not. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "site_id.h"
#include "sites.h"

static json_t *py(const char *qualname, const char *file, int line)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "lang", "python", "symbol", qualname, "file", file,
                     "line", line);
}

static json_t *js(const char *name, const char *file, int line)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "lang", "js", "symbol", name, "file",
                     file, "line", line, "line_is", "function_start", "module", "[jit]", "offset",
                     "0x7f00");
}

/* A native frame; symbol NULL for a stripped one. */
static json_t *native(const char *symbol, const char *module)
{
    return json_pack("{s:s?, s:s, s:s}", "symbol", symbol, "module", module, "offset", "0x1234");
}

/* A stack from frames given innermost first, ending in NULL. */
static json_t *stack(json_t *first, ...)
{
    json_t *s = json_array();
    va_list ap;
    va_start(ap, first);
    for (json_t *f = first; f; f = va_arg(ap, json_t *))
        json_array_append_new(s, f);
    va_end(ap);
    return s;
}

/* The id of a site of class cls and call fn with that stack (the stack is consumed). */
static const char *id_of(const char *cls, const char *fn, json_t *stk, char out[LS_SITE_ID_LEN])
{
    json_t *site = json_pack("{s:s, s:s?, s:o}", "class", cls, "fn", fn, "stack", stk);
    ls_site_set_id(site);
    snprintf(out, 17, "%s", json_string_value(json_object_get(site, "id")));
    json_decref(site);
    return out;
}

/* time.sleep in load_config called from handler, on Debian's stripped 3.11 (native frames
 * unnamed) and asyncio from /usr/lib/python3.11. */
static json_t *sleep_stack_debian(const char *user_fn, int line, const char *dir)
{
    char app[256];
    snprintf(app, sizeof app, "%s/app.py", dir);
    return stack(native("clock_nanosleep", "/lib/x86_64-linux-gnu/libc.so.6"),
                 native(NULL, "/usr/bin/python3.11"),
                 native("PyObject_Vectorcall", "/usr/bin/python3.11"), py(user_fn, app, line),
                 py("handler", app, 12), native(NULL, "/usr/bin/python3.11"),
                 py("Handle._run", "/usr/lib/python3.11/asyncio/events.py", 80),
                 py("BaseEventLoop._run_once", "/usr/lib/python3.11/asyncio/base_events.py", 1922),
                 native("__libc_start_main", "/lib/x86_64-linux-gnu/libc.so.6"), NULL);
}

/* The same call on pyenv's 3.11.7: libpython named with debug information, the standard library
 * under another prefix, other lines in the interpreter's own files. */
static json_t *sleep_stack_pyenv(const char *user_fn, int line, const char *dir)
{
    char app[256];
    snprintf(app, sizeof app, "%s/app.py", dir);
    const char *lib = "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0";
    return stack(
        native("clock_nanosleep", "/lib/x86_64-linux-gnu/libc.so.6"), native("time_sleep", lib),
        native("cfunction_vectorcall_O", lib), native("PyObject_Vectorcall", lib),
        py(user_fn, app, line), py("handler", app, 12), native("PyGen_am_send", lib),
        native("task_step_impl", "/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/"
                                 "_asyncio.cpython-311-x86_64-linux-gnu.so"),
        py("Handle._run", "/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/events.py", 84),
        py("BaseEventLoop._run_once",
           "/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/base_events.py", 1936),
        NULL);
}

Test(interp_sites, two_blocking_calls_in_two_python_functions_are_two_sites)
{
    char a[17], b[17];
    id_of("blocking", "clock_nanosleep", sleep_stack_debian("load_config", 7, "/srv"), a);
    id_of("blocking", "clock_nanosleep", sleep_stack_debian("load_cache", 20, "/srv"), b);
    cr_assert_str_neq(a, b, "load_config and load_cache share the id %s", a);
}

Test(interp_sites, a_python_site_keeps_its_id_across_builds_paths_and_moved_lines)
{
    char debian[17], pyenv[17], moved[17], elsewhere[17];
    id_of("blocking", "clock_nanosleep", sleep_stack_debian("load_config", 7, "/srv"), debian);
    id_of("blocking", "clock_nanosleep", sleep_stack_pyenv("load_config", 7, "/srv"), pyenv);
    cr_assert_str_eq(debian, pyenv, "Debian's stripped 3.11 and pyenv's 3.11.7 disagree");
    /* Lines added above the function move its lines; the site stays. */
    id_of("blocking", "clock_nanosleep", sleep_stack_debian("load_config", 31, "/srv"), moved);
    cr_assert_str_eq(debian, moved);
    /* The same code run from a checkout instead of /srv. */
    id_of("blocking", "clock_nanosleep", sleep_stack_debian("load_config", 7, "/home/ci/app"),
          elsewhere);
    cr_assert_str_eq(debian, elsewhere);
}

Test(interp_sites, the_same_function_called_from_another_caller_is_another_site)
{
    char a[17], b[17];
    const char *app = "/srv/app.py";
    id_of("blocking", "recv",
          stack(py("load_config", app, 7), py("handler", app, 12), py("run", app, 30), NULL), a);
    id_of("blocking", "recv",
          stack(py("load_config", app, 7), py("startup", app, 40), py("run", app, 30), NULL), b);
    cr_assert_str_neq(a, b);
}

Test(interp_sites, the_library_call_made_tells_two_calls_in_one_function_apart)
{
    char a[17], b[17], c[17];
    const char *app = "/srv/app.py";
    const char *sp = "/srv/venv/lib/python3.11/site-packages";
    char api[256], pool[256];
    snprintf(api, sizeof api, "%s/requests/api.py", sp);
    snprintf(pool, sizeof pool, "%s/urllib3/connectionpool.py", sp);
    id_of("blocking", "recv",
          stack(py("SocketIO.readinto", "/usr/lib/python3.11/socket.py", 705),
                py("HTTPConnectionPool._make_request", pool, 537), py("get", api, 73),
                py("fetch", app, 9), NULL),
          a);
    id_of("blocking", "recv",
          stack(py("SocketIO.readinto", "/usr/lib/python3.11/socket.py", 705),
                py("urlopen", "/usr/lib/python3.11/urllib/request.py", 216), py("fetch", app, 10),
                NULL),
          b);
    cr_assert_str_neq(a, b, "requests.get and urlopen in one function are one site");
    /* A new urllib3 with other internals: the call the user made is still requests' get. */
    id_of("blocking", "recv",
          stack(py("SocketIO.readinto", "/usr/lib/python3.11/socket.py", 705),
                py("HTTPConnectionPool._make_request_v2", pool, 610),
                py("HTTPConnectionPool.urlopen", pool, 700), py("get", api, 73),
                py("fetch", app, 9), NULL),
          c);
    cr_assert_str_eq(a, c);
}

Test(interp_sites, framework_frames_between_the_users_functions_do_not_enter_the_id)
{
    char a[17], b[17];
    const char *app = "/srv/app.py", *st = "/usr/lib/python3/dist-packages/starlette/routing.py";
    id_of("blocking", "recv",
          stack(py("load_config", app, 7), py("endpoint", app, 12), py("Route.handle", st, 270),
                NULL),
          a);
    id_of("blocking", "recv",
          stack(py("load_config", app, 7), py("endpoint", app, 12), py("Route.handle", st, 290),
                py("Router.app", st, 300), NULL),
          b);
    cr_assert_str_eq(a, b);
}

Test(interp_sites, packages_init_modules_are_told_apart_by_their_directory)
{
    char a[17], b[17];
    id_of("cpu", NULL, stack(py("load", "/srv/app/config/__init__.py", 3), NULL), a);
    id_of("cpu", NULL, stack(py("load", "/srv/app/cache/__init__.py", 3), NULL), b);
    cr_assert_str_neq(a, b);
}

/* execSync in a named function, as the symbolizer names it from V8's perf map. */
static json_t *exec_sync_stack(const char *fn, int line)
{
    return stack(native("uv__io_poll", "/usr/bin/node"), native("uv_run", "/usr/bin/node"),
                 native("node::SyncProcessRunner::Spawn", "/usr/bin/node"),
                 js("spawnSync", "node:internal/child_process", 1108),
                 js("spawnSync", "node:child_process", 832),
                 js("execSync", "node:child_process", 954), js(fn, "/srv/app.js", line),
                 js("handler", "/srv/app.js", 14), js("(anonymous)", "/srv/app.js", 15),
                 js("listOnTimeout", "node:internal/timers", 524),
                 native("Builtins_JSEntryTrampoline", "/usr/bin/node"), NULL);
}

Test(interp_sites, node_sites_follow_the_javascript_function_not_the_native_frames)
{
    char a[17], b[17], c[17];
    id_of("blocking", "epoll_pwait", exec_sync_stack("loadConfig", 4), a);
    id_of("blocking", "epoll_pwait", exec_sync_stack("readConfig", 4), b);
    cr_assert_str_neq(a, b);
    id_of("blocking", "epoll_pwait", exec_sync_stack("loadConfig", 9), c);
    cr_assert_str_eq(a, c, "the function moved down five lines");
}

Test(interp_sites, native_stacks_keep_the_ids_they_always_had)
{
    /* Baselines written before interpreter frames existed must still match. */
    char a[17], b[17];
    id_of("blocking", "usleep",
          stack(native("usleep", "/lib/x86_64-linux-gnu/libc.so.6"),
                native("on_tick", "/srv/uv-stalls"), native("uv__run_timers", "/srv/uv-stalls"),
                native("uv_run", "/srv/uv-stalls"), native("main", "/srv/uv-stalls"), NULL),
          a);
    ls_site_id("blocking", "usleep",
               (const char *const[]){"usleep", "on_tick", "uv__run_timers", "uv_run"}, 4, b);
    cr_assert_str_eq(a, b);
}
