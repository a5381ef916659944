/* test-culprit.c -- the culprit is the innermost frame of the user's own code; the summary and the
 * text report name it, keep startup apart, add up the time and say every loss. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "frames.h"
#include "render.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "%s: %s", e.text, text);
    return j;
}

#define PY(sym, file, line)                                                                        \
    "{\"lang\":\"python\",\"symbol\":\"" sym "\",\"file\":\"" file "\",\"line\":" #line "}"
#define NAT(sym, mod) "{\"symbol\":\"" sym "\",\"module\":\"" mod "\",\"offset\":\"0x10\"}"
#define STRIPPED(mod) "{\"symbol\":null,\"module\":\"" mod "\",\"offset\":\"0x20\"}"

/* requests.get in fetch, called by handler, called from asyncio: libc, the interpreter, the
 * standard library and site-packages all lie between the call and the user's code. */
static const char *const requests_frames[] = {
    NAT("recv", "/lib/x86_64-linux-gnu/libc.so.6"),
    STRIPPED("/usr/bin/python3.11"),
    PY("SocketIO.readinto", "/usr/lib/python3.11/socket.py", 705),
    PY("HTTPResponse.begin", "/usr/lib/python3.11/http/client.py", 287),
    PY("Session.send", "/srv/venv/lib/python3.11/site-packages/requests/sessions.py", 701),
    PY("get", "/usr/lib/python3/dist-packages/requests/api.py", 73),
    PY("fetch", "/srv/app.py", 9),
    STRIPPED("/usr/bin/python3.11"),
    PY("handler", "/srv/app.py", 14),
    PY("Handle._run", "/usr/lib/python3.11/asyncio/events.py", 80),
    PY("<module>", "/srv/app.py", 30),
};

/* A stack of frames given as JSON texts, innermost first. */
static json_t *stack_of(const char *const *frames, size_t n)
{
    json_t *s = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(s, json_loads(frames[i], 0, NULL));
    return s;
}

static const char *frame_at(json_t *stack, long i)
{
    return json_string_value(json_object_get(json_array_get(stack, (size_t)i), "symbol"));
}

Test(culprit, the_culprit_is_the_innermost_frame_of_the_users_code)
{
    json_t *s = stack_of(requests_frames, sizeof requests_frames / sizeof requests_frames[0]);
    cr_assert_str_eq(frame_at(s, ls_culprit_index(s)), "fetch");
    char buf[512];
    cr_assert_str_eq(ls_fmt_where(s, ls_culprit_index(s), buf, sizeof buf),
                     "fetch (app.py:9) <- handler (app.py:14) <- <module> (app.py:30)");
    json_decref(s);
}

Test(culprit, node_modules_and_node_internal_are_not_the_users_code)
{
    json_t *s = parse("[" NAT(
        "uv__io_poll",
        "/usr/bin/node") ","
                         "{\"lang\":\"js\",\"symbol\":\"spawnSync\",\"file\":\"node:child_"
                         "process\","
                         "\"line\":832,\"line_is\":\"function_start\"},"
                         "{\"lang\":\"js\",\"symbol\":\"run\",\"file\":\"/srv/node_modules/execa/"
                         "index.js\",\"line\":20,\"line_is\":\"function_start\"},"
                         "{\"lang\":\"js\",\"symbol\":\"loadConfig\",\"file\":\"/srv/app.js\","
                         "\"line\":2,\"line_is\":\"function_start\"}]");
    char buf[512];
    cr_assert_str_eq(ls_fmt_where(s, ls_culprit_index(s), buf, sizeof buf),
                     "loadConfig (function at app.js:2)",
                     "V8 gives where a function starts, and the report says so");
    json_decref(s);
}

Test(culprit, only_library_frames_leave_the_innermost_interpreter_frame_as_the_culprit)
{
    json_t *s = parse("[" NAT("read", "/lib/x86_64-linux-gnu/libc.so.6") "," PY(
        "FileIO.read", "<frozen importlib._bootstrap_external>",
        1) "," PY("_load", "/root/.pyenv/versions/3.12.1/lib/python3.12/importlib/__init__.py",
                  9) "]");
    cr_assert_str_eq(frame_at(s, ls_culprit_index(s)), "FileIO.read");
    json_decref(s);
}

Test(culprit, a_native_stack_keeps_the_first_frame_with_a_line_outside_libc)
{
    json_t *s = parse("[" NAT("usleep", "/lib/x86_64-linux-gnu/libc.so.6") "," NAT(
        "Curl_poll",
        "/usr/lib/libcurl.so.4") ",{\"symbol\":\"on_tick\",\"module\":\"/srv/lab\","
                                 "\"offset\":\"0x9\",\"file\":\"lab.c\",\"line\":45}]");
    cr_assert_str_eq(frame_at(s, ls_culprit_index(s)), "on_tick");
    /* Where the CPU time went is the innermost named frame outside libc, with a line or not. */
    cr_assert_str_eq(frame_at(s, ls_cpu_culprit_index(s)), "Curl_poll");
    json_decref(s);
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *render_summary(const char *report_text)
{
    json_t *report = parse(report_text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ls_render_summary(report, NULL, f);
    fclose(f);
    json_decref(report);
    return buf;
}

static char *render(const char *format, const char *report_text)
{
    json_t *report = parse(report_text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(ls_renderer_find(format)->render(report, f), 0);
    fclose(f);
    json_decref(report);
    return buf;
}

/* A Python service: one 151 ms sleep while serving, a 125 ms import at startup. */
#define PY_PROC                                                                                                                                                                            \
    "{\"pid\":7,\"ppid\":1,\"argv\":[\"python3\",\"app.py\"],\"exe\":\"/usr/bin/python3.11\","                                                                                             \
    "\"loops\":[{\"tid\":7,\"name\":\"python3\",\"iterations\":40,\"iteration_ns\":{}},"                                                                                                   \
    "{\"tid\":9,\"name\":\"helper\",\"iterations\":1,\"iteration_ns\":{}}],"                                                                                                               \
    "\"stalls\":[{\"tid\":7,\"start_ns\":900000000,\"wall_ns\":151000000,\"cpu_ns\":40000,"                                                                                                \
    "\"runq_ns\":3000000,\"blocked_ns\":150000000,\"class\":\"blocking\",\"phase\":\"serving\","                                                                                           \
    "\"calls\":[{\"fn\":\"clock_nanosleep\",\"wall_ns\":150000000,\"stack\":[" NAT(                                                                                                        \
        "clock_nanosleep",                                                                                                                                                                 \
        "/lib/x86_64-linux-gnu/libc.so.6") "," STRIPPED("/usr/bin/python3.11") "," PY("load_"                                                                                              \
                                                                                      "config",                                                                                            \
                                                                                      "/srv/"                                                                                              \
                                                                                      "app.py",                                                                                            \
                                                                                      7) "," PY("handler",                                                                                 \
                                                                                                "/srv/app.py",                                                                             \
                                                                                                12) "]}],"                                                                                 \
                                                                                                    "\"stack\":[],\"samples\":[]},"                                                        \
                                                                                                    "{\"tid\":7,\"start_ns\":1000,\"wall_ns\":125000000,\"cpu_ns\":100000000,\"runq_ns\":" \
                                                                                                    "20000000,\"blocked_ns\":0,\"class\":\"cpu\",\"phase\":\"startup\",\"calls\":[],"      \
                                                                                                    "\"stack\":[" PY(                                                                      \
                                                                                                        "<module>",                                                                        \
                                                                                                        "/srv/app.py",                                                                     \
                                                                                                        3) "],\"samples\":[[" PY("<module>",                                               \
                                                                                                                                 "/srv/app.py",                                            \
                                                                                                                                 3) "]]}]}"

#define REPORT(procs, extra)                                                                       \
    "{\"schema\":\"loopstall/1\",\"tool_version\":\"t\",\"command\":[\"python3\",\"app.py\"],"     \
    "\"exit_status\":0,\"threshold_ns\":50000000" extra ",\"processes\":[" procs "]}"

Test(culprit, the_summary_names_the_users_frames_and_keeps_startup_apart)
{
    char *t = render_summary(REPORT(PY_PROC, ""));
    cr_assert(strstr(t, "loopstall: 1 stall while serving, 1 at startup, over 50.0 ms in 1 loop "
                        "(1 process)\n"),
              "%s", t);
    cr_assert(strstr(t, "  151.0 ms blocking in pid 7: clock_nanosleep in load_config (app.py:7) "
                        "<- handler (app.py:12)\n"),
              "%s", t);
    cr_assert(strstr(t, "  at startup: 125.0 ms cpu in pid 7: in <module> (app.py:3)\n"), "%s", t);
    char *serving = strstr(t, "151.0 ms"), *startup = strstr(t, "at startup:");
    cr_assert(serving < startup, "serving stalls come first: %s", t);
    cr_assert_eq(count(t, "151.0 ms"), 1, "%s", t);
    cr_assert_eq(count(t, "125.0 ms"), 1, "%s", t);
    free(t);
}

Test(culprit, a_summary_of_a_run_that_lost_reports_never_reads_as_clean)
{
    char *t = render_summary(
        REPORT("", ",\"losses\":[\"pid 12 could not share its record (ENOMEM): no report\"]"));
    cr_assert(strstr(t, "loopstall: 0 stalls over 50.0 ms in 0 loops (0 processes); 1 process "
                        "could not report: pid 12 could not share its record (ENOMEM): no "
                        "report\n"),
              "%s", t);
    free(t);
    t = render_summary(REPORT("", ",\"losses\":[\"pid 12 one\",\"pid 13 two\"]"));
    cr_assert(strstr(t, "; 2 processes could not report:\n  could not report: pid 12 one\n  could "
                        "not report: pid 13 two\n"),
              "%s", t);
    free(t);
}

Test(culprit, the_summary_mentions_strict_findings)
{
    char *t = render_summary(REPORT(
        "{\"pid\":3,\"argv\":[\"app\"],\"loops\":[{\"tid\":3,\"iterations\":9}],\"stalls\":[],"
        "\"blocking_calls\":[{\"tid\":3,\"fn\":\"open64\",\"target\":\"/etc/hosts\",\"count\":2,"
        "\"total_ns\":30000,\"max_ns\":20000,\"stack\":[{\"symbol\":\"load\",\"module\":\"/srv/"
        "app\",\"offset\":\"0x1\",\"file\":\"app.c\",\"line\":4}]}]}",
        ""));
    cr_assert(strstr(t, "loopstall: strict: 2 blocking calls on loop threads, at 1 site\n"), "%s",
              t);
    cr_assert(
        strstr(t, "  strict: open64 x2, max 20 us, in pid 3 on /etc/hosts in load (app.c:4)\n"),
        "%s", t);
    free(t);
}

Test(culprit, a_thread_that_waited_in_epoll_once_is_not_counted_as_a_loop)
{
    char *t = render_summary(REPORT(PY_PROC, ""));
    cr_assert(strstr(t, " in 1 loop (1 process)"), "the helper thread counted: %s", t);
    free(t);
    t = render("text", REPORT(PY_PROC, ""));
    cr_assert(strstr(t, "  thread 9 \"helper\" waited in epoll but ran 1 iteration: not counted as "
                        "a loop\n"),
              "%s", t);
    free(t);
}

Test(culprit, every_stall_line_of_the_text_report_adds_its_time_up)
{
    char *t = render("text", REPORT(PY_PROC, ""));
    /* 150 ms + 40 us + 3 ms is 2 ms more than the wall time: the wait for a CPU after the
     * sleep woke is inside the call as well. */
    cr_assert(strstr(t, "#1 151.0 ms blocking at +900.0 ms in thread 7: 150.0 ms blocked + 40 us "
                        "on-CPU + 3.0 ms waiting for a CPU (run queue) - 2.0 ms counted twice\n"),
              "%s", t);
    cr_assert(strstr(t, "#2 125.0 ms cpu at startup +1 us in thread 7: 0 ns blocked + 100.0 ms "
                        "on-CPU + 20.0 ms waiting for a CPU (run queue) + 5.0 ms unaccounted\n"),
              "%s", t);
    cr_assert(strstr(t, "  1 stall while serving, worst first:\n"), "%s", t);
    cr_assert(strstr(t, "  1 stall at startup (before the loop first went idle), worst first:\n"),
              "%s", t);
    cr_assert(strstr(t, "      culprit: clock_nanosleep in load_config (app.py:7) <- handler "
                        "(app.py:12)\n"),
              "%s", t);
    free(t);
}

Test(culprit, frames_of_the_main_executable_are_named_after_what_the_user_ran)
{
    char *t = render(
        "text",
        REPORT("{\"pid\":5,\"argv\":[\"/usr/bin/redis-server 127.0.0.1:6379\"],\"exe\":\"/usr/bin/"
               "redis-check-rdb\",\"loops\":[{\"tid\":5,\"iterations\":50,\"iteration_ns\":{}}],"
               "\"stalls\":[{\"tid\":5,\"wall_ns\":90000000,\"cpu_ns\":1,\"blocked_ns\":89000000,"
               "\"class\":\"blocking\",\"calls\":[{\"fn\":\"fdatasync\",\"wall_ns\":89000000,"
               "\"stack\":"
               "[" NAT("fdatasync", "/lib/x86_64-linux-gnu/libc.so.6") "," NAT(
                   "flushAppendOnlyFile",
                   "/usr/bin/redis-check-rdb") "]}],\"stack\":[],\"samples\":[]}]}",
               ""));
    cr_assert(strstr(t, "[exe /usr/bin/redis-check-rdb]"), "%s", t);
    cr_assert(strstr(t, "at flushAppendOnlyFile (redis-server)"), "%s", t);
    cr_assert_null(strstr(t, "(redis-check-rdb)"), "%s", t);
    free(t);
}

Test(culprit, folded_stacks_and_the_chrome_trace_carry_the_same_names)
{
    char *t = render("folded", REPORT(PY_PROC, ""));
    cr_assert(strstr(t, "python3-7;handler_(app.py);load_config_(app.py);python3.11+0x20;"
                        "clock_nanosleep;[clock_nanosleep] 150000\n"),
              "%s", t);
    free(t);
    t = render("chrome", REPORT(PY_PROC, ""));
    cr_assert(strstr(t, "\"blocking stall: clock_nanosleep in load_config (app.py:7) <- handler "
                        "(app.py:12)\""),
              "%s", t);
    free(t);
}
