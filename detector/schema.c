/* schema.c -- the loopstall/1 report as the reader checks it, field by field, before anything uses
 * it.
 *
 * Reports come from agents of other versions, from other machines and from
 * people's editors. Checking every field's type once, here, lets sites,
 * symbolization and every renderer take a string for a string, and a bad file
 * is refused with the path of the field at fault instead of crashing later.
 * Absent fields are allowed (readers treat them as empty); fields this table
 * does not name are extensions and are passed through unchecked.
 */
#include "schema.h"

#include <stdio.h>
#include <string.h>

enum kind { K_STRING, K_UINT, K_INT, K_BOOL, K_ARRAY, K_OBJECT };

struct member;

struct type {
    enum kind kind;
    int nullable;                 /* null is accepted too */
    const struct type *items;     /* K_ARRAY: every element */
    const struct member *members; /* K_OBJECT: ends with a NULL name */
    const char *const *one_of;    /* K_STRING: the accepted values, or NULL for any */
};

struct member {
    const char *name;
    const struct type *type;
    int required;
};

static const struct type string_t = {K_STRING, 0, NULL, NULL, NULL};
static const struct type string_or_null_t = {K_STRING, 1, NULL, NULL, NULL};
static const struct type uint_t = {K_UINT, 0, NULL, NULL, NULL};
static const struct type int_t = {K_INT, 0, NULL, NULL, NULL};
static const struct type int_or_null_t = {K_INT, 1, NULL, NULL, NULL};
static const struct type bool_t = {K_BOOL, 0, NULL, NULL, NULL};
static const struct type strings_t = {K_ARRAY, 0, &string_t, NULL, NULL};

static const char *const phases[] = {"startup", "serving", NULL};
static const struct type phase_t = {K_STRING, 0, NULL, NULL, phases};

static const struct member frame_m[] = {{"symbol", &string_or_null_t, 0},
                                        {"module", &string_or_null_t, 0},
                                        {"offset", &string_t, 0},
                                        {"build_id", &string_or_null_t, 0},
                                        {"address", &string_t, 0},
                                        {"file", &string_or_null_t, 0},
                                        {"line", &uint_t, 0},
                                        {"end_line", &uint_t, 0},
                                        {"lang", &string_t, 0},
                                        {"line_is", &string_t, 0},
                                        {NULL, NULL, 0}};
static const struct type frame_t = {K_OBJECT, 0, NULL, frame_m, NULL};
static const struct type stack_t = {K_ARRAY, 0, &frame_t, NULL, NULL};
static const struct type stacks_t = {K_ARRAY, 0, &stack_t, NULL, NULL};

static const struct member call_m[] = {
    {"fn", &string_t, 0},           {"family", &string_t, 0},         {"wall_ns", &uint_t, 0},
    {"offset_ns", &uint_t, 0},      {"target", &string_or_null_t, 0}, {"injected_ns", &uint_t, 0},
    {"rule", &string_or_null_t, 0}, {"stack", &stack_t, 0},           {NULL, NULL, 0}};
static const struct type call_t = {K_OBJECT, 0, NULL, call_m, NULL};
static const struct type calls_t = {K_ARRAY, 0, &call_t, NULL, NULL};

static const struct member stall_m[] = {
    {"tid", &uint_t, 0},         {"start_ns", &uint_t, 0}, {"wall_ns", &uint_t, 0},
    {"cpu_ns", &uint_t, 0},      {"runq_ns", &uint_t, 0},  {"blocked_ns", &uint_t, 0},
    {"injected_ns", &uint_t, 0}, {"class", &string_t, 0},  {"ongoing", &bool_t, 0},
    {"call_count", &uint_t, 0},  {"calls", &calls_t, 0},   {"stack", &stack_t, 0},
    {"samples", &stacks_t, 0},   {"phase", &phase_t, 0},   {NULL, NULL, 0}};
static const struct type stall_t = {K_OBJECT, 0, NULL, stall_m, NULL};

static const struct member percentiles_m[] = {
    {"p50", &uint_t, 0}, {"p99", &uint_t, 0}, {"max", &uint_t, 0}, {NULL, NULL, 0}};
static const struct type percentiles_t = {K_OBJECT, 0, NULL, percentiles_m, NULL};

static const struct member loop_m[] = {{"tid", &uint_t, 0},
                                       {"name", &string_or_null_t, 0},
                                       {"fd", &int_t, 0},
                                       {"iterations", &uint_t, 0},
                                       {"busy_ns", &uint_t, 0},
                                       {"observed_ns", &uint_t, 0},
                                       {"iteration_ns", &percentiles_t, 0},
                                       {"exited", &bool_t, 0},
                                       {"dropped", &uint_t, 0},
                                       {NULL, NULL, 0}};
static const struct type loop_t = {K_OBJECT, 0, NULL, loop_m, NULL};

/* A site, a folded storm of stalls, a strict-mode blocking call: an aggregate. */
static const struct member aggregate_m[] = {
    {"id", &string_t, 0},         {"tid", &uint_t, 0},      {"class", &string_t, 0},
    {"fn", &string_or_null_t, 0}, {"family", &string_t, 0}, {"target", &string_or_null_t, 0},
    {"count", &uint_t, 0},        {"total_ns", &uint_t, 0}, {"max_ns", &uint_t, 0},
    {"stack", &stack_t, 0},       {"phase", &phase_t, 0},   {NULL, NULL, 0}};
static const struct type aggregate_t = {K_OBJECT, 0, NULL, aggregate_m, NULL};

static const struct member injection_m[] = {
    {"rule", &string_t, 0}, {"fired", &uint_t, 0}, {NULL, NULL, 0}};
static const struct type injection_t = {K_OBJECT, 0, NULL, injection_m, NULL};

static const struct member threads_m[] = {
    {"created", &uint_t, 0}, {"peak_live", &uint_t, 0}, {"limit", &uint_t, 0}, {NULL, NULL, 0}};
static const struct type threads_t = {K_OBJECT, 0, NULL, threads_m, NULL};

static const struct member finding_m[] = {
    {"kind", &string_t, 1},   {"peak_live_threads", &uint_t, 0},
    {"limit", &uint_t, 0},    {"created", &uint_t, 0},
    {"first_ns", &uint_t, 0}, {"from_loop", &bool_t, 0},
    {"stack", &stack_t, 0},   {NULL, NULL, 0}};
static const struct type finding_t = {K_OBJECT, 0, NULL, finding_m, NULL};

#define ARRAY_OF(t)                                                                                \
    {                                                                                              \
        K_ARRAY, 0, &(t), NULL, NULL                                                               \
    }
static const struct type loops_t = ARRAY_OF(loop_t), stalls_t = ARRAY_OF(stall_t),
                         aggregates_t = ARRAY_OF(aggregate_t), injections_t = ARRAY_OF(injection_t),
                         findings_t = ARRAY_OF(finding_t);

static const struct member process_m[] = {{"pid", &uint_t, 0},
                                          {"ppid", &uint_t, 0},
                                          {"argv", &strings_t, 0},
                                          {"exe", &string_or_null_t, 0},
                                          {"uptime_ns", &uint_t, 0},
                                          {"loops", &loops_t, 0},
                                          {"stalls", &stalls_t, 0},
                                          {"blocking_calls", &aggregates_t, 0},
                                          {"sites", &aggregates_t, 0},
                                          {"folded", &aggregates_t, 0},
                                          {"injections", &injections_t, 0},
                                          {"threads", &threads_t, 0},
                                          {"findings", &findings_t, 0},
                                          {"dropped", &uint_t, 0},
                                          {NULL, NULL, 0}};
static const struct type process_t = {K_OBJECT, 0, NULL, process_m, NULL};
static const struct type processes_t = ARRAY_OF(process_t);

static const struct member report_m[] = {
    {"tool_version", &string_t, 0},     {"command", &strings_t, 0},
    {"exit_status", &int_or_null_t, 0}, {"threshold_ns", &uint_t, 0},
    {"processes", &processes_t, 1},     {NULL, NULL, 0}};
static const struct type report_t = {K_OBJECT, 0, NULL, report_m, NULL};

/* What a field should have been, for the error line. */
static void describe(const struct type *t, char *buf, size_t len)
{
    static const char *const names[] = {
        [K_STRING] = "a string", [K_UINT] = "a non-negative integer",
        [K_INT] = "an integer",  [K_BOOL] = "true or false",
        [K_ARRAY] = "an array",  [K_OBJECT] = "an object"};
    if (t->one_of) {
        size_t used = (size_t)snprintf(buf, len, "one of");
        for (int i = 0; t->one_of[i] && used < len; i++)
            used +=
                (size_t)snprintf(buf + used, len - used, "%s \"%s\"", i ? "," : "", t->one_of[i]);
        return;
    }
    snprintf(buf, len, "%s%s", names[t->kind], t->nullable ? " or null" : "");
}

struct walk {
    const char *name; /* the file, for the message */
    char path[512];   /* where we are: processes[0].stalls[3] */
};

static int fail(struct walk *w, const struct type *t, const char *what)
{
    char expected[160];
    describe(t, expected, sizeof expected);
    fprintf(stderr, "loopstall: %s: %s: %s%s\n", w->name, w->path[0] ? w->path : "(the document)",
            what, expected);
    return -1;
}

static int matches(const struct type *t, json_t *v)
{
    if (json_is_null(v)) return t->nullable;
    switch (t->kind) {
    case K_STRING:
        if (!json_is_string(v)) return 0;
        if (!t->one_of) return 1;
        for (int i = 0; t->one_of[i]; i++)
            if (!strcmp(json_string_value(v), t->one_of[i])) return 1;
        return 0;
    case K_UINT:
        return json_is_integer(v) && json_integer_value(v) >= 0;
    case K_INT:
        return json_is_integer(v);
    case K_BOOL:
        return json_is_boolean(v);
    case K_ARRAY:
        return json_is_array(v);
    case K_OBJECT:
        return json_is_object(v);
    }
    return 0;
}

static int check(struct walk *w, const struct type *t, json_t *v)
{
    if (!matches(t, v)) return fail(w, t, "expected ");
    size_t at = strlen(w->path), i;
    json_t *x;
    int rc = 0;
    if (t->kind == K_ARRAY && json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            snprintf(w->path + at, sizeof w->path - at, "[%zu]", i);
            if ((rc = check(w, t->items, x)) != 0) break;
        }
    } else if (t->kind == K_OBJECT && json_is_object(v)) {
        for (const struct member *m = t->members; m->name && !rc; m++) {
            snprintf(w->path + at, sizeof w->path - at, "%s%s", at ? "." : "", m->name);
            json_t *field = json_object_get(v, m->name);
            if (!field)
                rc = m->required ? fail(w, m->type, "missing, expected ") : 0;
            else
                rc = check(w, m->type, field);
        }
    }
    w->path[at] = '\0';
    return rc;
}

int ls_report_check(json_t *doc, const char *name)
{
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!schema || strcmp(schema, "loopstall/1") != 0) {
        fprintf(stderr, "loopstall: %s is not a report: schema is %s, expected loopstall/1\n", name,
                schema ? schema : "missing");
        return -1;
    }
    struct walk w = {.name = name};
    return check(&w, &report_t, doc);
}
