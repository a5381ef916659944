/* test-render.c -- the text and markdown renderers say what a reader needs from a fixed report. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "render.h"

static const char *report_text =
    "{\"schema\":\"loopstall/1\",\"tool_version\":\"t\",\"command\":[\"app\"],\"exit_status\":0,"
    "\"threshold_ns\":20000000,\"processes\":[{\"pid\":7,\"ppid\":1,\"argv\":[\"app\",\"-x\"],"
    "\"loops\":[{\"tid\":7,\"name\":\"app\",\"iterations\":100,\"busy_ns\":50000000,"
    "\"observed_ns\":100000000,\"iteration_ns\":{\"p50\":100000,\"p99\":30000000,\"max\":151000000}"
    "}],"
    "\"stalls\":[{\"tid\":7,\"start_ns\":1000,\"wall_ns\":151000000,\"cpu_ns\":1000000,"
    "\"blocked_ns\":150000000,\"class\":\"blocking\",\"ongoing\":false,\"calls\":[{\"fn\":"
    "\"getaddrinfo\",\"wall_ns\":150000000,\"target\":\"db.internal\",\"stack\":[{\"symbol\":"
    "\"resolve\",\"module\":\"/usr/bin/app\",\"offset\":\"0x10\",\"file\":\"/src/"
    "net.c\",\"line\":42}]}],"
    "\"stack\":[],\"samples\":[]},{\"tid\":7,\"start_ns\":5,\"wall_ns\":30000000,\"cpu_ns\":"
    "29000000,"
    "\"blocked_ns\":0,\"class\":\"cpu\",\"ongoing\":true,\"calls\":[],\"stack\":[],\"samples\":[]}]"
    ","
    "\"sites\":[{\"id\":\"00112233445566ff\",\"class\":\"blocking\",\"fn\":\"getaddrinfo\","
    "\"count\":1,"
    "\"total_ns\":151000000,\"max_ns\":151000000,\"stack\":[{\"symbol\":\"resolve\",\"module\":"
    "\"/usr/bin/app\",\"offset\":\"0x10\",\"file\":\"/src/net.c\",\"line\":42}]}],"
    "\"injections\":[],\"dropped\":0}]}";

static char *render(const char *format)
{
    json_t *report = json_loads(report_text, 0, NULL);
    cr_assert_not_null(report);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(ls_renderer_find(format)->render(report, f), 0);
    fclose(f);
    json_decref(report);
    return buf;
}

Test(render, the_text_report_shows_the_loop_the_worst_stall_first_and_its_culprit)
{
    char *t = render("text");
    cr_assert(strstr(t, "iteration p50 100 us, p99 30.0 ms, max 151.0 ms"), "%s", t);
    char *first = strstr(t, "#1 151.0 ms blocking");
    char *second = strstr(t, "#2 30.0 ms cpu (ONGOING");
    cr_assert(first && second && first < second, "%s", t);
    cr_assert(strstr(t, "getaddrinfo 150.0 ms on db.internal"), "%s", t);
    cr_assert(strstr(t, "at resolve (net.c:42)"), "%s", t);
    cr_assert(strstr(t, "advice: resolve names off the loop"), "%s", t);
    free(t);
}

Test(render, the_markdown_report_has_tables_of_loops_stalls_and_sites)
{
    char *t = render("markdown");
    cr_assert(strstr(t, "| loop thread | iterations |"), "%s", t);
    cr_assert(strstr(t, "`getaddrinfo on db.internal`"), "%s", t);
    cr_assert(strstr(t, "| `00112233445566ff` | blocking | getaddrinfo | 1 |"), "%s", t);
    free(t);
}

Test(render, formats_are_found_by_name_and_by_extension)
{
    cr_assert_str_eq(ls_renderer_for_path("out/r.md")->name, "markdown");
    cr_assert_str_eq(ls_renderer_for_path("r.txt")->name, "text");
    cr_assert_null(ls_renderer_for_path("r.pdf"));
    cr_assert_str_eq(ls_renderer_for_path("r.trace.json")->name, "chrome");
    cr_assert_str_eq(ls_renderer_for_path("r.json")->name, "json");
    cr_assert_str_eq(ls_renderer_for_path("r.folded")->name, "folded");
    cr_assert_null(ls_renderer_find("pdf"));
}

Test(render, advice_follows_the_chapter_rules)
{
    cr_assert(strstr(ls_advice("cpu", NULL), "process pool"));
    cr_assert(strstr(ls_advice("mixed", "read"), "bounded queue"));
    cr_assert(strstr(ls_advice("blocking", "poll"), "async-native"));
    cr_assert(strstr(ls_advice("blocking", "pread64"), "thread pool"));
}

Test(render, the_html_page_escapes_names_and_lists_every_stall)
{
    char *t = render("html");
    cr_assert(strstr(t, "<!doctype html>"));
    cr_assert(strstr(t, "<code>getaddrinfo on db.internal</code>"), "%s", t);
    cr_assert(strstr(t, "(ongoing)"));
    cr_assert(strstr(t, "resolve (net.c:42)"));
    free(t);
}

Test(render, the_chrome_trace_puts_stalls_and_their_calls_on_the_timeline)
{
    char *t = render("chrome");
    json_t *doc = json_loads(t, 0, NULL);
    cr_assert_not_null(doc, "%s", t);
    json_t *events = json_object_get(doc, "traceEvents");
    int stalls = 0, calls = 0;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *cat = json_string_value(json_object_get(e, "cat"));
        stalls += cat && !strcmp(cat, "stall");
        calls += cat && !strcmp(cat, "call");
        if (cat && !strcmp(cat, "call"))
            cr_assert_str_eq(json_string_value(json_object_get(e, "name")),
                             "getaddrinfo db.internal");
    }
    cr_assert_eq(stalls, 2);
    cr_assert_eq(calls, 1);
    json_decref(doc);
    free(t);
}

Test(render, folded_stacks_weigh_each_call_in_microseconds_outermost_first)
{
    char *t = render("folded");
    cr_assert(strstr(t, "app-7;resolve;[getaddrinfo] 150000\n"), "%s", t);
    free(t);
}
