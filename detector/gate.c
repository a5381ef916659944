/* gate.c -- `loopstall gate`: does a report pass? New sites, accepted sites over their budget and
 * stalls over a limit fail it (exit 1); bad input is exit 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline_file.h"
#include "commands.h"
#include "format.h"
#include "merge.h"
#include "output.h"
#include "review.h"
#include "review_args.h"
#include "sites.h"

/* Stalls the gate leaves out because they ran before the loop first went idle. */
static json_int_t startup_stalls(json_t *report)
{
    json_int_t n = 0;
    size_t i, k;
    json_t *p, *s;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        json_array_foreach(json_object_get(p, "stalls"), k, s)
        {
            const char *phase = json_string_value(json_object_get(s, "phase"));
            n += phase && !strcmp(phase, "startup");
        }
        json_array_foreach(json_object_get(p, "folded"), k, s)
        {
            const char *phase = json_string_value(json_object_get(s, "phase"));
            if (phase && !strcmp(phase, "startup"))
                n += json_integer_value(json_object_get(s, "count"));
        }
    }
    return n;
}

static json_t *sentence(const char *fmt, const char *a, const char *b)
{
    char text[512];
    snprintf(text, sizeof text, fmt, a, b);
    return json_string(text);
}

/* Appends "what, over the budget of N" when value_ns is over a budget given in milliseconds. */
static void over_ms(json_t *problems, const char *what, json_int_t value_ns, json_t *budget_ms)
{
    char have[32], budget[32];
    if (!budget_ms || !((double)value_ns > json_number_value(budget_ms) * 1e6)) return;
    json_array_append_new(problems,
                          sentence(what, ls_fmt_ns(value_ns, have, sizeof have),
                                   ls_fmt_ns((long long)(json_number_value(budget_ms) * 1e6),
                                             budget, sizeof budget)));
}

/* The budgets of a baseline entry that site is over, one sentence each. */
static void over_budget(json_t *site, json_t *entry, json_t *problems)
{
    over_ms(problems, "its longest stall, %s, is over the budget of %s",
            json_integer_value(json_object_get(site, "max_ns")), json_object_get(entry, "max_ms"));
    json_t *count = json_object_get(entry, "count");
    json_int_t n = json_integer_value(json_object_get(site, "count"));
    if (count && n > json_integer_value(count)) {
        char have[32], budget[32];
        snprintf(have, sizeof have, "%lld", (long long)n);
        snprintf(budget, sizeof budget, "%lld", (long long)json_integer_value(count));
        json_array_append_new(problems, sentence("%s stalls, over the budget of %s", have, budget));
    }
    over_ms(problems, "%s in all, over the budget of %s",
            json_integer_value(json_object_get(site, "total_ns")),
            json_object_get(entry, "total_ms"));
}

json_t *ls_gate_review(json_t *report, const char *subject, json_t *baseline,
                       const char *baseline_name, long long max_stall_ns, enum ls_phases phases,
                       const char *source_root)
{
    json_t *review = ls_review_new("gate", subject, report, source_root);
    if (baseline_name) json_object_set_new(review, "baseline", json_string(baseline_name));
    if (max_stall_ns > 0) json_object_set_new(review, "max_stall_ns", json_integer(max_stall_ns));
    json_object_set_new(review, "include_startup", json_boolean(phases == LS_ALL_PHASES));
    json_object_set_new(review, "startup_left_out",
                        json_integer(phases == LS_ALL_PHASES ? 0 : startup_stalls(report)));
    json_t *sites = ls_sites_by_id(report, phases), *used = json_object(), *site;
    const char *id;
    json_object_foreach(sites, id, site)
    {
        json_t *entry = baseline ? json_object_get(baseline, id) : NULL;
        json_t *problems = json_array();
        const char *state = "new";
        if (!entry) {
            json_array_append_new(
                problems, json_string(baseline ? "not in the baseline" : "no baseline accepts it"));
        } else {
            json_object_set_new(used, id, json_true());
            over_budget(site, entry, problems);
            state = json_array_size(problems) ? "over_budget" : "accepted";
        }
        char longest[32], limit[32];
        json_int_t max_ns = json_integer_value(json_object_get(site, "max_ns"));
        if (max_stall_ns > 0 && max_ns > max_stall_ns) {
            json_array_append_new(problems,
                                  sentence("its longest stall, %s, is over --max-stall %s",
                                           ls_fmt_ns(max_ns, longest, sizeof longest),
                                           ls_fmt_ns(max_stall_ns, limit, sizeof limit)));
            if (!strcmp(state, "accepted")) state = "over_limit";
        }
        ls_review_add(review, state, strcmp(state, "accepted") != 0, site, entry, problems);
    }
    json_decref(sites);
    /* Baseline entries nothing matched, in id order (a baseline object keeps file order). */
    json_t *unused = json_object_get(review, "unused"), *entry;
    json_object_foreach(baseline, id, entry)
    {
        if (json_object_get(used, id)) continue;
        json_t *copy = json_deep_copy(entry);
        json_object_del(copy, "index");
        json_array_append_new(unused, copy);
    }
    json_decref(used);
    ls_review_sort_by_id(unused);
    ls_review_close(review);
    return review;
}

int ls_cmd_gate(int argc, char **argv)
{
    struct ls_review_args a;
    int at = ls_review_args_parse("gate", argc, argv, 1,
                                  "loopstall gate REPORT.json [--baseline FILE] [--max-stall MS] "
                                  "[--include-startup] [--format FMT] [-o FILE]",
                                  &a);
    if (at < 0) return 2;
    const char *path = argv[at];
    json_t *baseline = NULL;
    if (a.baseline && !(baseline = ls_baseline_load(a.baseline, "loopstall gate"))) return 2;
    json_t *report = ls_merge_files(&argv[at], 1);
    if (!report) {
        json_decref(baseline);
        return 2;
    }
    ls_finish_report(report);
    json_t *review =
        ls_gate_review(report, path, baseline, a.baseline, a.max_stall_ns, a.phases, a.source_root);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(review, "unused"), i, u)
        fprintf(stderr,
                "loopstall gate: warning: baseline entry %s (%s) matched no site in %s: remove it "
                "if that stall is gone for good\n",
                json_string_value(json_object_get(u, "id")),
                json_string_value(json_object_get(u, "reason")), path);
    int rc = ls_write_rendered(review, a.format->review, a.out_path ? a.out_path : "-");
    int fail = !strcmp(json_string_value(json_object_get(review, "verdict")), "fail");
    json_decref(review);
    json_decref(report);
    json_decref(baseline);
    return rc ? 2 : fail ? 1 : 0;
}
