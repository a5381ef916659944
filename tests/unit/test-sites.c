/* test-sites.c -- stalls become sites in one place: kept stalls, folded storms, an older agent's
 * sites, strict calls, phases, and the same answer when a finished report is finished again. */
#include <criterion/criterion.h>
#include <string.h>

#include "merge.h"
#include "sites.h"

#define FRAME(sym) "{\"symbol\":\"" sym "\",\"module\":\"/usr/bin/app\",\"offset\":\"0x10\"}"

/* Two getaddrinfo stalls from the same place, one CPU stall, one with no call. */
#define KEPT_STALLS                                                                                \
    "{\"wall_ns\":100,\"class\":\"blocking\",\"calls\":[{\"fn\":\"getaddrinfo\",\"target\":"       \
    "\"db\",\"stack\":[" FRAME("resolve") "," FRAME(                                               \
        "main") "]}]},"                                                                            \
                "{\"wall_ns\":300,\"class\":\"blocking\",\"calls\":[{\"fn\":\"getaddrinfo\","      \
                "\"target\":"                                                                      \
                "\"cache\",\"stack\":[" FRAME("resolve") "," FRAME(                                \
                    "main") "]}]},"                                                                \
                            "{\"wall_ns\":50,\"class\":\"cpu\",\"calls\":[],\"stack\":[" FRAME(    \
                                "hash") "]},"                                                      \
                                        "{\"wall_ns\":70,\"class\":\"blocking\",\"phase\":"        \
                                        "\"startup\",\"calls\":[{\"fn\":\"open\","                 \
                                        "\"stack\":[" FRAME("load_config") "]}]}"

static json_t *process(const char *members)
{
    char text[8192];
    snprintf(text, sizeof text, "{\"pid\":1,%s}", members);
    json_error_t e;
    json_t *p = json_loads(text, 0, &e);
    cr_assert_not_null(p, "%s: %s", e.text, text);
    return p;
}

static json_t *site_with_fn(json_t *sites, const char *fn)
{
    size_t i;
    json_t *s;
    json_array_foreach(sites, i, s)
    {
        const char *f = json_string_value(json_object_get(s, "fn"));
        if ((!fn && !f) || (fn && f && !strcmp(f, fn))) return s;
    }
    return NULL;
}

static long long num(json_t *site, const char *key)
{
    return (long long)json_integer_value(json_object_get(site, key));
}

Test(sites, stalls_with_the_same_call_and_stack_are_one_site_counting_both)
{
    json_t *p = process("\"stalls\":[" KEPT_STALLS "]");
    json_t *sites = ls_sites_of_process(p, LS_ALL_PHASES);
    cr_assert_eq(json_array_size(sites), 3, "getaddrinfo, cpu, open");
    json_t *g = site_with_fn(sites, "getaddrinfo");
    cr_assert_eq(num(g, "count"), 2);
    cr_assert_eq(num(g, "total_ns"), 400);
    cr_assert_eq(num(g, "max_ns"), 300);
    cr_assert_str_eq(json_string_value(json_object_get(g, "target")), "cache",
                     "the target of the longest stall");
    cr_assert_eq(strlen(json_string_value(json_object_get(g, "id"))), 16);
    cr_assert_str_eq(json_string_value(json_object_get(site_with_fn(sites, NULL), "class")), "cpu");
    json_decref(sites);
    json_decref(p);
}

Test(sites, startup_stalls_are_left_out_when_only_serving_counts)
{
    json_t *p = process("\"stalls\":[" KEPT_STALLS "]");
    json_t *serving = ls_sites_of_process(p, LS_SERVING_ONLY);
    cr_assert_eq(json_array_size(serving), 2);
    cr_assert_null(site_with_fn(serving, "open"), "open ran at startup");
    json_decref(serving);
    json_decref(p);
}

Test(sites, folded_aggregates_join_the_kept_stalls_of_the_same_site)
{
    json_t *p = process(
        "\"stalls\":[" KEPT_STALLS "],\"dropped\":40,"
        "\"folded\":[{\"class\":\"blocking\",\"fn\":\"getaddrinfo\",\"count\":40,\"total_ns\":4000,"
        "\"max_ns\":900,\"stack\":[" FRAME("resolve") "," FRAME(
            "main") "]},"
                    "{\"class\":\"cpu\",\"fn\":null,\"count\":5,\"total_ns\":500,\"max_ns\":120,"
                    "\"stack\":[" FRAME("compress") "]}]");
    json_t *sites = ls_sites_of_process(p, LS_ALL_PHASES);
    cr_assert_eq(json_array_size(sites), 4, "three from the stalls, one only folded");
    json_t *g = site_with_fn(sites, "getaddrinfo");
    cr_assert_eq(num(g, "count"), 42);
    cr_assert_eq(num(g, "total_ns"), 4400);
    cr_assert_eq(num(g, "max_ns"), 900);
    json_decref(sites);
    json_decref(p);
}

Test(sites, an_older_agent_that_dropped_stalls_is_trusted_for_its_own_sites)
{
    json_t *p = process("\"stalls\":[" KEPT_STALLS "],\"dropped\":10,"
                        "\"sites\":[{\"id\":\"x\",\"class\":\"blocking\",\"fn\":\"getaddrinfo\","
                        "\"count\":12,\"total_ns\":1200,\"max_ns\":300,"
                        "\"stack\":[" FRAME("resolve") "," FRAME("main") "]}]");
    json_t *sites = ls_sites_of_process(p, LS_ALL_PHASES);
    cr_assert_eq(json_array_size(sites), 1, "its sites counted every stall, kept or not");
    cr_assert_eq(num(json_array_get(sites, 0), "count"), 12);
    cr_assert_str_neq(json_string_value(json_object_get(json_array_get(sites, 0), "id")), "x",
                      "ids are made here, from names");
    json_decref(sites);
    json_decref(p);
}

Test(sites, strict_blocking_calls_are_sites_of_class_strict)
{
    json_t *p = process(
        "\"stalls\":[],\"blocking_calls\":[{\"fn\":\"open64\",\"count\":2,"
        "\"total_ns\":20,\"max_ns\":15,\"target\":\"/etc/hosts\",\"stack\":[" FRAME("load") "]}]");
    json_t *sites = ls_sites_of_process(p, LS_ALL_PHASES);
    cr_assert_eq(json_array_size(sites), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(sites, 0), "class")),
                     "strict");
    json_decref(sites);
    json_decref(p);
}

/* A report finished by `run` is finished again by `diff` and `gate`: nothing may double. */
static void assert_finishing_twice_changes_nothing(const char *members)
{
    json_t *report = json_pack("{s:[o]}", "processes", process(members));
    ls_finish_report(report);
    char *once = json_dumps(report, JSON_SORT_KEYS);
    ls_finish_report(report);
    char *twice = json_dumps(report, JSON_SORT_KEYS);
    cr_assert_str_eq(once, twice);
    free(once);
    free(twice);
    json_decref(report);
}

Test(sites, finishing_a_finished_report_again_changes_nothing)
{
    assert_finishing_twice_changes_nothing("\"stalls\":[" KEPT_STALLS "]");
    assert_finishing_twice_changes_nothing(
        "\"stalls\":[" KEPT_STALLS "],\"folded\":[{\"class\":\"cpu\",\"fn\":null,\"count\":5,"
        "\"total_ns\":500,\"max_ns\":120,\"stack\":[]}],"
        "\"blocking_calls\":[{\"fn\":\"open64\",\"count\":2,\"total_ns\":20,\"max_ns\":15,"
        "\"stack\":[]}]");
    assert_finishing_twice_changes_nothing(
        "\"stalls\":[],\"dropped\":3,\"sites\":[{\"class\":\"cpu\",\"fn\":null,\"count\":3,"
        "\"total_ns\":9,\"max_ns\":4,\"stack\":[]}],\"blocking_calls\":[{\"fn\":\"open64\","
        "\"count\":2,\"total_ns\":20,\"max_ns\":15,\"stack\":[]}]");
}

Test(sites, a_cpu_stall_is_shown_with_the_stack_all_its_samples_share)
{
    json_t *report = json_pack(
        "{s:[o]}", "processes",
        process("\"stalls\":[{\"wall_ns\":50,\"class\":\"cpu\",\"calls\":[],\"stack\":[],"
                "\"samples\":[[" FRAME("inner_a") "," FRAME("work") "," FRAME(
                    "main") "],"
                            "[" FRAME("inner_b") "," FRAME("work") "," FRAME("main") "]]}]"));
    ls_finish_report(report);
    json_t *stack = json_object_get(
        json_array_get(
            json_object_get(json_array_get(json_object_get(report, "processes"), 0), "stalls"), 0),
        "stack");
    cr_assert_eq(json_array_size(stack), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(stack, 0), "symbol")),
                     "work");
    json_decref(report);
}

Test(sites, sites_of_every_process_join_by_id_with_the_largest_max)
{
    json_t *report = json_pack("{s:[o,o]}", "processes", process("\"stalls\":[" KEPT_STALLS "]"),
                               process("\"stalls\":[" KEPT_STALLS "]"));
    json_t *by_id = ls_sites_by_id(report, LS_SERVING_ONLY);
    cr_assert_eq(json_object_size(by_id), 2);
    const char *id;
    json_t *s;
    json_object_foreach(by_id, id, s)
    {
        if (json_is_string(json_object_get(s, "fn"))) {
            cr_assert_eq(num(s, "count"), 4);
            cr_assert_eq(num(s, "max_ns"), 300);
        }
    }
    json_decref(by_id);
    json_decref(report);
}
