/* render_sarif.c -- SARIF 2.1.0 for code scanning: one result per site, at the innermost frame in
 * the user's code, its stack as a code flow.
 *
 * Review tools show a result on the line it names, so a result points at the
 * innermost frame whose source file lies under the source root (the user's
 * code, where the fix goes), with a path relative to that root. A site whose
 * stack never reaches the user's code keeps a logical location (the function
 * a person would look at) and its code flow. Rule ids are per class and call
 * family ("blocking-dns", "cpu"), so that a team can triage by kind.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "calls.h"
#include "format.h"
#include "render.h"

#define SARIF_SCHEMA                                                                               \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define FLOW_FRAMES 64 /* frames shown in a code flow */

/* The call family of a site's culprit, or NULL (CPU, or a call loopstall does not intercept). */
static const char *family_of(json_t *site)
{
    const char *fn = json_string_value(json_object_get(site, "fn"));
    int id = fn ? ls_call_lookup(fn, strlen(fn)) : -1;
    return id >= 0 ? ls_family_name(ls_calls[id].family) : NULL;
}

static const char *class_of(json_t *site)
{
    const char *cls = json_string_value(json_object_get(site, "class"));
    return cls ? cls : "mixed";
}

/* "blocking-dns", "cpu", "mixed-io", "blocking-unknown" (off the CPU outside any intercepted call).
 */
static void rule_id(json_t *site, char *buf, size_t len)
{
    const char *cls = class_of(site), *fam = family_of(site);
    if (!strcmp(cls, "cpu"))
        snprintf(buf, len, "cpu");
    else
        snprintf(buf, len, "%s-%s", cls, fam ? fam : "unknown");
}

static const char *family_words(const char *fam)
{
    static const char *const words[][2] = {{"io", "file I/O"},
                                           {"net", "a blocking socket call"},
                                           {"open", "opening a file"},
                                           {"sync", "flushing a file to disk"},
                                           {"lock", "waiting for a file lock"},
                                           {"poll", "a client waiting in poll()"},
                                           {"epoll", "a nested event loop"},
                                           {"sleep", "a sleep"},
                                           {"dns", "a blocking name lookup"},
                                           {"proc", "running or waiting for a child process"},
                                           {"thread", "creating a thread"}};
    for (size_t i = 0; fam && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(words[i][0], fam)) return words[i][1];
    return "time off the CPU outside any intercepted call";
}

static json_t *rule_for(json_t *site, const char *id)
{
    char text[512];
    const char *cls = class_of(site), *fam = family_of(site);
    if (!strcmp(cls, "cpu"))
        snprintf(text, sizeof text, "CPU work on the event loop thread");
    else if (!strcmp(cls, "strict"))
        snprintf(text, sizeof text, "A blocking-category call on the event loop thread (%s)",
                 family_words(fam));
    else
        snprintf(text, sizeof text, "A %s stall of the event loop: %s", cls, family_words(fam));
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:[s,s]}}", "id", id, "name", id,
                     "shortDescription", "text", text, "fullDescription", "text", text, "help",
                     "text", ls_advice(cls, json_string_value(json_object_get(site, "fn"))),
                     "properties", "tags", "performance", "event-loop");
}

/* Percent-encodes a path for a URI (RFC 3986: unreserved characters and '/' stay). */
static void uri_path(const char *path, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p)) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
}

/* The frame's file as a path under root, or NULL when it lies outside it. A
 * relative file counts when it exists relative to the root (a script names
 * itself so); debug information's relative paths (Objects/call.c) name files
 * of a build tree elsewhere and do not. */
static const char *under_root(json_t *frame, const char *root, char *buf, size_t len)
{
    const char *file = json_string_value(json_object_get(frame, "file"));
    if (!file || !json_integer_value(json_object_get(frame, "line"))) return NULL;
    char joined[PATH_MAX * 2], resolved[PATH_MAX];
    if (file[0] == '/')
        snprintf(joined, sizeof joined, "%s", file);
    else
        snprintf(joined, sizeof joined, "%s/%s", root, file);
    int exists = realpath(joined, resolved) != NULL;
    if (!exists && file[0] != '/') return NULL;
    const char *path = exists ? resolved : joined;
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0 || path[n] != '/' || strstr(path + n, "/../")) return NULL;
    snprintf(buf, len, "%s", path + n + 1);
    return buf;
}

static json_t *physical(const char *rel, json_t *frame)
{
    char uri[PATH_MAX * 3];
    uri_path(rel, uri, sizeof uri);
    json_int_t line = json_integer_value(json_object_get(frame, "line"));
    json_int_t end = json_integer_value(json_object_get(frame, "end_line"));
    json_t *loc = json_pack("{s:{s:s, s:s}, s:{s:I}}", "artifactLocation", "uri", uri, "uriBaseId",
                            "SRCROOT", "region", "startLine", line);
    /* A CPU stall's samples on several lines of the function: the region spans them. */
    if (end > line)
        json_object_set_new(json_object_get(loc, "region"), "endLine", json_integer(end));
    return loc;
}

static json_t *logical(json_t *frame)
{
    const char *sym = json_string_value(json_object_get(frame, "symbol"));
    return sym ? json_pack("[{s:s, s:s}]", "name", sym, "kind", "function") : NULL;
}

/* A location for one frame: where it is in the user's code when it is there, its function name
 * otherwise, and a message saying which frame it is. */
static json_t *frame_location(json_t *frame, const char *root)
{
    char rel[PATH_MAX], text[600];
    json_t *loc = json_pack("{s:{s:s}}", "message", "text", ls_fmt_frame(frame, text, sizeof text));
    if (under_root(frame, root, rel, sizeof rel))
        json_object_set_new(loc, "physicalLocation", physical(rel, frame));
    json_t *names = logical(frame);
    if (names) json_object_set_new(loc, "logicalLocations", names);
    return loc;
}

/* Outermost frame first: a code flow is the order things happened. */
static json_t *code_flows(json_t *stack, const char *root, json_t *chosen)
{
    size_t n = json_array_size(stack);
    if (!n) return NULL;
    json_t *locs = json_array();
    size_t first = n > FLOW_FRAMES ? n - FLOW_FRAMES : 0;
    for (size_t i = n; i-- > first;) {
        json_t *f = json_array_get(stack, i);
        json_array_append_new(locs,
                              json_pack("{s:o, s:I, s:s}", "location", frame_location(f, root),
                                        "nestingLevel", (json_int_t)(n - 1 - i), "importance",
                                        f == chosen ? "essential" : "unimportant"));
    }
    return json_pack("[{s:[{s:o}]}]", "threadFlows", "locations", locs);
}

static const char *level_of(json_t *entry)
{
    const char *state = json_string_value(json_object_get(entry, "state"));
    if (json_is_true(json_object_get(entry, "fails")))
        return !strcmp(state, "found") ? "warning" : "error";
    if (!strcmp(state, "worse")) return "warning";
    return "note";
}

/* SARIF's own words for how a result relates to the baseline, where there is one. */
static const char *baseline_state(const char *kind, const char *state)
{
    if (!strcmp(kind, "report")) return NULL;
    if (!strcmp(state, "new")) return "new";
    if (!strcmp(state, "gone")) return "absent";
    if (!strcmp(state, "worse") || !strcmp(state, "over_budget")) return "updated";
    return "unchanged";
}

static json_t *message(json_t *entry)
{
    json_t *site = json_object_get(entry, "site");
    const char *fn = json_string_value(json_object_get(site, "fn"));
    const char *target = json_string_value(json_object_get(site, "target"));
    long long count = (long long)json_integer_value(json_object_get(site, "count"));
    char total[32], max[32], text[2048];
    int n = snprintf(
        text, sizeof text, "%s %s%s%s: %lld stall%s, %s in all, the longest %s", class_of(site),
        fn ? fn : "CPU work", target ? " on " : "", target ? target : "", count,
        count == 1 ? "" : "s",
        ls_fmt_ns(json_integer_value(json_object_get(site, "total_ns")), total, sizeof total),
        ls_fmt_ns(json_integer_value(json_object_get(site, "max_ns")), max, sizeof max));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(entry, "problems"), i, p)
    {
        if (n < 0 || (size_t)n >= sizeof text) break;
        n += snprintf(text + n, sizeof text - (size_t)n, "%s%s", i ? "; " : " (",
                      json_string_value(p));
    }
    if (json_array_size(json_object_get(entry, "problems")) && n > 0 && (size_t)n < sizeof text - 1)
        n += snprintf(text + n, sizeof text - (size_t)n, ")");
    /* The rule's help is the class's general advice; the result says it in the site's terms. */
    if (n > 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, ". Advice: %s", ls_review_site_advice(site));
    return json_pack("{s:s}", "text", text);
}

static json_t *result(json_t *review, json_t *entry, json_t *rules, json_t *rule_index)
{
    json_t *site = json_object_get(entry, "site");
    const char *root = json_string_value(json_object_get(review, "source_root"));
    const char *state = json_string_value(json_object_get(entry, "state"));
    char id[64], rel[PATH_MAX];
    rule_id(site, id, sizeof id);
    json_t *index = json_object_get(rule_index, id);
    if (!index) {
        index = json_integer((json_int_t)json_array_size(rules));
        json_object_set_new(rule_index, id, index);
        json_array_append_new(rules, rule_for(site, id));
    }
    json_t *stack = json_object_get(site, "stack");
    json_t *chosen = NULL, *f;
    size_t i;
    json_array_foreach(stack, i, f) if (!chosen && under_root(f, root, rel, sizeof rel)) chosen = f;
    json_t *shown = chosen ? chosen : ls_first_interesting_frame(stack);
    json_t *r =
        json_pack("{s:s, s:O, s:s, s:o, s:{s:s}}", "ruleId", id, "ruleIndex", index, "level",
                  level_of(entry), "message", message(entry), "partialFingerprints",
                  "loopstallSiteId/v1", json_string_value(json_object_get(site, "id")));
    if (shown) {
        json_t *loc = frame_location(shown, root);
        json_object_del(loc, "message");
        json_object_set_new(r, "locations", json_pack("[o]", loc));
    }
    json_t *flows = code_flows(stack, root, shown);
    if (flows) json_object_set_new(r, "codeFlows", flows);
    const char *bs = baseline_state(json_string_value(json_object_get(review, "kind")), state);
    if (bs) json_object_set_new(r, "baselineState", json_string(bs));
    json_object_set_new(
        r, "properties",
        json_pack("{s:O, s:s, s:O, s:O, s:O, s:O, s:O, s:s}", "siteId", json_object_get(site, "id"),
                  "class", class_of(site), "fn", json_object_get(site, "fn"), "count",
                  json_object_get(site, "count"), "total_ns", json_object_get(site, "total_ns"),
                  "max_ns", json_object_get(site, "max_ns"), "target",
                  json_object_get(site, "target") ? json_object_get(site, "target") : json_null(),
                  "state", state));
    return r;
}

int render_sarif_review(json_t *review, FILE *out)
{
    json_t *rules = json_array(), *index = json_object(), *results = json_array(), *e, *u;
    size_t i;
    json_array_foreach(json_object_get(review, "entries"), i, e)
        json_array_append_new(results, result(review, e, rules, index));
    json_decref(index);
    /* Baseline entries that matched nothing are the tool's warnings, not results. */
    json_t *notes = json_array();
    json_array_foreach(json_object_get(review, "unused"), i, u)
    {
        char text[1024];
        snprintf(text, sizeof text, "baseline entry %s (%s) matched no site",
                 json_string_value(json_object_get(u, "id")),
                 json_string_value(json_object_get(u, "reason")));
        json_array_append_new(
            notes, json_pack("{s:{s:s}, s:s}", "message", "text", text, "level", "warning"));
    }
    char root_uri[PATH_MAX * 3 + 16], path[PATH_MAX * 3];
    uri_path(json_string_value(json_object_get(review, "source_root")), path, sizeof path);
    snprintf(root_uri, sizeof root_uri, "file://%s/", path);
    const char *version = json_string_value(json_object_get(review, "tool_version"));
    json_t *doc = json_pack(
        "{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:{s:{s:s}}, s:[{s:b, s:o}], s:o}]}", "$schema",
        SARIF_SCHEMA, "version", "2.1.0", "runs", "tool", "driver", "name", "loopstall", "version",
        version ? version : "?", "rules", rules, "originalUriBaseIds", "SRCROOT", "uri", root_uri,
        "invocations", "executionSuccessful", 1, "toolExecutionNotifications", notes, "results",
        results);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
    return rc || ferror(out) ? -1 : 0;
}
