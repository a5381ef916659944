/* render_chrome.c -- Trace Event Format for chrome://tracing and Perfetto: stalls and their calls
 * on a timeline. */
#include <stdio.h>

#include "format.h"
#include "render.h"

static json_t *event(const char *name, const char *cat, json_int_t pid, json_int_t tid,
                     double ts_us, double dur_us)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f}", "name", name, "cat", cat, "ph", "X",
                     "pid", pid, "tid", tid, "ts", ts_us, "dur", dur_us);
}

int render_chrome(json_t *report, FILE *out)
{
    json_t *events = json_array();
    size_t i, k, n;
    json_t *p, *s, *x;
    char buf[2048];
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_int_t pid = json_integer_value(json_object_get(p, "pid"));
        json_array_append_new(events, json_pack("{s:s, s:s, s:I, s:{s:O}}", "name", "process_name",
                                                "ph", "M", "pid", pid, "args", "name",
                                                json_array_get(json_object_get(p, "argv"), 0)));
        json_array_foreach(json_object_get(p, "loops"), k, x)
        {
            json_array_append_new(events,
                                  json_pack("{s:s, s:s, s:I, s:O, s:{s:O}}", "name", "thread_name",
                                            "ph", "M", "pid", pid, "tid", json_object_get(x, "tid"),
                                            "args", "name", json_object_get(x, "name")));
        }
        json_array_foreach(json_object_get(p, "stalls"), k, s)
        {
            json_int_t tid = json_integer_value(json_object_get(s, "tid"));
            double start = (double)json_integer_value(json_object_get(s, "start_ns")) / 1e3;
            const char *culprit = ls_fmt_stall_cause(s, buf, sizeof buf);
            char name[2200];
            snprintf(name, sizeof name, "%s stall%s%s",
                     json_string_value(json_object_get(s, "class")), culprit ? ": " : "",
                     culprit ? culprit : "");
            json_t *e = event(name, "stall", pid, tid, start,
                              (double)json_integer_value(json_object_get(s, "wall_ns")) / 1e3);
            json_object_set_new(
                e, "args",
                json_pack("{s:O, s:O, s:O, s:O}", "cpu_ns", json_object_get(s, "cpu_ns"),
                          "blocked_ns", json_object_get(s, "blocked_ns"), "ongoing",
                          json_object_get(s, "ongoing"), "class", json_object_get(s, "class")));
            json_array_append_new(events, e);
            json_array_foreach(json_object_get(s, "calls"), n, x)
            {
                const char *target = json_string_value(json_object_get(x, "target"));
                snprintf(name, sizeof name, "%s%s%s", json_string_value(json_object_get(x, "fn")),
                         target ? " " : "", target ? target : "");
                double off = (double)json_integer_value(json_object_get(x, "offset_ns")) / 1e3;
                json_array_append_new(
                    events, event(name, "call", pid, tid, start + off,
                                  (double)json_integer_value(json_object_get(x, "wall_ns")) / 1e3));
            }
        }
    }
    json_t *doc = json_pack("{s:o, s:s}", "traceEvents", events, "displayTimeUnit", "ms");
    int rc = json_dumpf(doc, out, JSON_COMPACT);
    fputc('\n', out);
    json_decref(doc);
    return rc || ferror(out) ? -1 : 0;
}
