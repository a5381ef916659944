/* html_flame.c -- the flame graph's tree of stall time, built from the stacks the folded output
 * writes (stall_stacks.h): the root, one child per process, then frames outermost first. */
#include <string.h>

#include "format.h"
#include "html.h"
#include "stall_stacks.h"

/* The child of node called name, added (with kind and detail) when missing. */
static json_t *child(json_t *node, const char *name, const char *kind, const char *detail)
{
    json_t *children = json_object_get(node, "children"), *c;
    size_t i;
    json_array_foreach(children, i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "name")), name)) return c;
    }
    c = json_pack("{s:s, s:I, s:s, s:s, s:[]}", "name", name, "ns", (json_int_t)0, "kind", kind,
                  "detail", detail, "children");
    json_array_append_new(children, c);
    return c;
}

static void add(json_t *node, long long ns)
{
    json_object_set_new(node, "ns",
                        json_integer(json_integer_value(json_object_get(node, "ns")) + ns));
}

/* Interpreter frames, frames with a source line (built with debug information,
 * usually the program's own code), and the rest (libraries) look different. */
static const char *frame_kind(json_t *frame)
{
    const char *lang = json_string_value(json_object_get(frame, "lang"));
    if (lang && !strcmp(lang, "python")) return "py";
    if (lang && !strcmp(lang, "js")) return "js";
    return json_object_get(frame, "line") ? "src" : "lib";
}

static const char *leaf_kind(enum ls_charge_kind kind)
{
    switch (kind) {
    case LS_CHARGE_CALL:
        return "call";
    case LS_CHARGE_UNKEPT:
        return "more";
    default:
        return "stall";
    }
}

static void insert(const struct ls_charged_stack *cs, void *ctx)
{
    json_t *node = ctx;
    char name[512], detail[640];
    add(node, cs->ns);
    ls_stack_process_name(cs->proc, name, sizeof name);
    snprintf(detail, sizeof detail, "process %lld",
             (long long)json_integer_value(json_object_get(cs->proc, "pid")));
    node = child(node, name, "proc", detail);
    add(node, cs->ns);
    for (size_t i = json_array_size(cs->frames); i-- > 0;) {
        json_t *f = json_array_get(cs->frames, i);
        const char *module = json_string_value(json_object_get(f, "module"));
        ls_stack_frame_name(f, name, sizeof name);
        /* The formatted frame names file and line; the module says where it lives. */
        char shown[512];
        ls_fmt_frame(f, shown, sizeof shown);
        snprintf(detail, sizeof detail, "%s%s%s", shown, module ? " in " : "",
                 module ? module : "");
        node = child(node, name, frame_kind(f), detail);
        add(node, cs->ns);
    }
    if (!cs->leaf) return;
    if (cs->kind == LS_CHARGE_CALL) {
        const char *fn = json_string_value(json_object_get(cs->call, "fn"));
        const char *target = json_string_value(json_object_get(cs->call, "target"));
        snprintf(detail, sizeof detail, "blocked in %s%s%s", fn ? fn : "?", target ? " on " : "",
                 target ? target : "");
    } else if (cs->kind == LS_CHARGE_UNKEPT) {
        snprintf(detail, sizeof detail,
                 "blocked in calls the agent counted but did not keep (it keeps the longest)");
    } else {
        snprintf(detail, sizeof detail, "stall time that no kept call or stack sample explains");
    }
    node = child(node, cs->leaf, leaf_kind(cs->kind), detail);
    add(node, cs->ns);
}

json_t *ls_html_flame(json_t *report)
{
    json_t *root =
        json_pack("{s:s, s:I, s:s, s:s, s:[]}", "name", "all stalls", "ns", (json_int_t)0, "kind",
                  "root", "detail", "every stall's wall time, by stack", "children");
    ls_charge_report(report, insert, root);
    return root;
}
