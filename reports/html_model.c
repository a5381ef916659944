/* html_model.c -- the data the HTML page's script draws, taken from a loopstall/1 report: what to
 * show is decided here, in C, with the same formatting as the other renderers; the script lays
 * it out. */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "html.h"
#include "stall_stacks.h"

static json_t *loop_model(json_t *proc, json_t *loop)
{
    json_t *it = json_object_get(loop, "iteration_ns");
    const char *name = json_string_value(json_object_get(loop, "name"));
    return json_pack("{s:O, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "tid",
                     json_object_get(loop, "tid"), "name", name ? name : "?", "iterations",
                     json_integer_value(json_object_get(loop, "iterations")), "busy_ns",
                     json_integer_value(json_object_get(loop, "busy_ns")), "observed_ns",
                     json_integer_value(json_object_get(loop, "observed_ns")), "p50",
                     json_integer_value(json_object_get(it, "p50")), "p99",
                     json_integer_value(json_object_get(it, "p99")), "max",
                     json_integer_value(json_object_get(it, "max")), "hist",
                     ls_html_hist(proc, loop));
}

/* A stall as its timeline mark shows it on hover: duration, class, phase, the
 * culprit call with its target, and the frame a reader should look at. */
static json_t *stall_model(json_t *stall)
{
    char culprit[512], frame[1024];
    const char *phase = json_string_value(json_object_get(stall, "phase"));
    const char *where =
        ls_fmt_where(ls_stall_stack_shown(stall), ls_stall_where_index(stall), frame, sizeof frame);
    json_int_t calls = json_integer_value(json_object_get(stall, "call_count"));
    if (!calls) calls = (json_int_t)json_array_size(json_object_get(stall, "calls"));
    const char *c = ls_fmt_culprit(stall, culprit, sizeof culprit);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:b, s:I, s:s?, s:s?}", "tid",
                     json_integer_value(json_object_get(stall, "tid")), "start_ns",
                     json_integer_value(json_object_get(stall, "start_ns")), "wall_ns",
                     json_integer_value(json_object_get(stall, "wall_ns")), "blocked_ns",
                     json_integer_value(json_object_get(stall, "blocked_ns")), "cpu_ns",
                     json_integer_value(json_object_get(stall, "cpu_ns")), "class",
                     ls_html_class(json_string_value(json_object_get(stall, "class"))), "phase",
                     phase && !strcmp(phase, "startup") ? "startup" : "serving", "ongoing",
                     json_is_true(json_object_get(stall, "ongoing")), "calls", calls, "culprit", c,
                     "frame", where);
}

static json_t *process_model(json_t *proc)
{
    char name[512];
    json_t *loops = json_array(), *stalls = json_array(), *x;
    size_t i;
    json_array_foreach(json_object_get(proc, "loops"), i, x)
    {
        json_array_append_new(loops, loop_model(proc, x));
    }
    json_array_foreach(json_object_get(proc, "stalls"), i, x)
    {
        json_array_append_new(stalls, stall_model(x));
    }
    return json_pack(
        "{s:I, s:s, s:I, s:o, s:o}", "pid", json_integer_value(json_object_get(proc, "pid")),
        "name", ls_stack_process_name(proc, name, sizeof name), "uptime_ns",
        json_integer_value(json_object_get(proc, "uptime_ns")), "loops", loops, "stalls", stalls);
}

json_t *ls_html_model(json_t *report)
{
    json_t *procs = json_array(), *p;
    size_t i;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_append_new(procs, process_model(p));
    }
    return json_pack("{s:I, s:o, s:o}", "threshold_ns",
                     json_integer_value(json_object_get(report, "threshold_ns")), "processes",
                     procs, "flame", ls_html_flame(report));
}
