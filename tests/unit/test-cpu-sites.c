/* test-cpu-sites.c -- a CPU stall's stack is what every sample (but one stray) shares, and its site
 * id holds still for an unchanged workload and moves with the hot code. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "sites.h"

static json_t *js(const char *name, const char *file)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:s}", "lang", "js", "symbol", name, "file", file,
                     "line", 3, "line_is", "function_start");
}

static json_t *py(const char *name, const char *file, int line)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "lang", "python", "symbol", name, "file", file, "line",
                     line);
}

static json_t *native(const char *symbol, const char *module)
{
    return json_pack("{s:s?, s:s, s:s}", "symbol", symbol, "module", module, "offset", "0x10");
}

/* A sample from frames innermost first, ending in NULL. */
static json_t *sample(json_t *first, ...)
{
    json_t *s = json_array();
    va_list ap;
    va_start(ap, first);
    for (json_t *f = first; f; f = va_arg(ap, json_t *))
        json_array_append_new(s, f);
    va_end(ap);
    return s;
}

/* A process with one CPU stall of those samples (consumed), finished as the command does. */
static json_t *finished(json_t *samples)
{
    json_t *p = json_pack("{s:i, s:[{s:i, s:s, s:[], s:[], s:o}]}", "pid", 1, "stalls", "wall_ns",
                          200000000, "class", "cpu", "calls", "stack", "samples", samples);
    ls_sites_finish_process(p);
    return p;
}

static json_t *stall_stack(json_t *p)
{
    return json_object_get(json_array_get(json_object_get(p, "stalls"), 0), "stack");
}

static const char *cpu_site_id(json_t *p)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(p, "sites"), 0), "id"));
}

static int holds(json_t *stack, const char *symbol)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *s = json_string_value(json_object_get(f, "symbol"));
        if (s && !strcmp(s, symbol)) return 1;
    }
    return 0;
}

/* One sample of node's pbkdf2Sync + gzipSync workload inside work(): leaf is where it fell. */
static json_t *node_sample(const char *leaf, const char *api, const char *script, const char *user)
{
    return sample(native(leaf, "/usr/bin/node"), native("Builtins_CEntry", "/usr/bin/node"),
                  js(api, script), js(user, "/srv/cpu.js"), js("(anonymous)", "/srv/cpu.js"),
                  js("listOnTimeout", "node:internal/timers"),
                  native("uv__run_timers", "/usr/bin/node"), native("uv_run", "/usr/bin/node"),
                  NULL);
}

Test(cpu_sites, the_stack_of_a_cpu_stall_holds_only_frames_every_sample_has)
{
    json_t *p = finished(
        json_pack("[o, o, o]",
                  node_sample("sha512_block_data_order_avx2", "pbkdf2Sync", "node:crypto", "work"),
                  node_sample("sha512_block_data_order_avx2", "pbkdf2Sync", "node:crypto", "work"),
                  node_sample("deflate_slow", "gzipSync", "node:zlib", "work")));
    json_t *s = stall_stack(p);
    cr_assert_not(holds(s, "sha512_block_data_order_avx2"), "one sample was in deflate_slow");
    cr_assert_not(holds(s, "pbkdf2Sync"));
    cr_assert_not(holds(s, "deflate_slow"));
    cr_assert(holds(s, "work") && holds(s, "listOnTimeout") && holds(s, "uv_run"));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(s, 0), "symbol")),
                     "Builtins_CEntry", "the innermost shared frame comes first");
    json_decref(p);
}

Test(cpu_sites, samples_cut_at_different_depths_still_share_their_inner_frames)
{
    /* The agent keeps the innermost frames of a deep stack: the outer ends differ. */
    json_t *a = node_sample("deflate_slow", "gzipSync", "node:zlib", "work");
    json_t *b = node_sample("deflate_slow", "gzipSync", "node:zlib", "work");
    json_array_remove(b, json_array_size(b) - 1);
    json_array_remove(b, json_array_size(b) - 1);
    json_array_append_new(b, native("v8::internal::Execution::Call", "/usr/bin/node"));
    json_t *p = finished(json_pack("[o, o]", a, b));
    json_t *s = stall_stack(p);
    cr_assert(holds(s, "deflate_slow") && holds(s, "work") && holds(s, "listOnTimeout"));
    cr_assert_not(holds(s, "uv_run"), "the cut sample lacks uv_run");
    json_decref(p);
}

Test(cpu_sites, an_empty_sample_says_nothing_and_no_shared_frame_means_an_empty_stack)
{
    json_t *p = finished(
        json_pack("[[], o]", node_sample("deflate_slow", "gzipSync", "node:zlib", "work")));
    cr_assert(holds(stall_stack(p), "deflate_slow"), "the failed walk hid the other sample");
    json_decref(p);
    p = finished(
        json_pack("[o, o]", sample(native("f", "/a"), NULL), sample(native("g", "/b"), NULL)));
    cr_assert_eq(json_array_size(stall_stack(p)), 0);
    json_decref(p);
}

Test(cpu_sites, where_the_samples_of_one_function_fell_does_not_change_the_site)
{
    /* Five runs of the same workload, the samples landing differently each time. */
    const char *const leaves[][3] = {
        {"sha512_block_data_order_avx2", "pbkdf2Sync", "node:crypto"},
        {"deflate_slow", "gzipSync", "node:zlib"},
        {"longest_match", "gzipSync", "node:zlib"},
    };
    int mixes[5][3] = {{0, 0, 1}, {1, 2, 1}, {0, 0, 0}, {2, 2, 2}, {0, 1, 2}};
    char first[17] = "";
    for (int run = 0; run < 5; run++) {
        json_t *samples = json_array();
        for (int k = 0; k < 3; k++) {
            const char *const *l = leaves[mixes[run][k]];
            json_array_append_new(samples, node_sample(l[0], l[1], l[2], "work"));
        }
        json_t *p = finished(samples);
        if (!run)
            snprintf(first, sizeof first, "%s", cpu_site_id(p));
        else
            cr_assert_str_eq(cpu_site_id(p), first, "run %d got another site", run + 1);
        json_decref(p);
    }
}

/* Eight samples of a callback node calls again and again; the stray ones landed between two
 * calls, in the trampoline under node's timer code, with none of the callback's frames. */
static json_t *callback_samples(int strays)
{
    json_t *samples = json_array();
    for (int k = 0; k < 8; k++)
        json_array_append_new(
            samples, k < strays ? sample(native("Builtins_JSEntryTrampoline", "/usr/bin/node"),
                                         js("listOnTimeout", "node:internal/timers"),
                                         native("uv__run_timers", "/usr/bin/node"),
                                         native("uv_run", "/usr/bin/node"), NULL)
                                : node_sample("sha512_block_data_order_avx2", "pbkdf2Sync",
                                              "node:crypto", "work"));
    return samples;
}

Test(cpu_sites, one_stray_sample_of_eight_does_not_take_the_callback_out_of_the_stack)
{
    json_t *clean = finished(callback_samples(0));
    json_t *one = finished(callback_samples(1));
    cr_assert(holds(stall_stack(one), "work"), "the stray sample emptied the stack of work()");
    cr_assert_str_eq(cpu_site_id(one), cpu_site_id(clean), "one stray sample made a new site");
    /* Two strays of eight are no longer chance: only what every sample but one holds stays. */
    json_t *two = finished(callback_samples(2));
    cr_assert_not(holds(stall_stack(two), "work"));
    cr_assert(holds(stall_stack(two), "uv_run"));
    json_decref(clean);
    json_decref(one);
    json_decref(two);
}

Test(cpu_sites, hot_code_moved_to_another_function_is_another_site)
{
    json_t *a =
        finished(json_pack("[o]", node_sample("deflate_slow", "gzipSync", "node:zlib", "work")));
    json_t *b = finished(
        json_pack("[o]", node_sample("deflate_slow", "gzipSync", "node:zlib", "compressReport")));
    cr_assert_str_neq(cpu_site_id(a), cpu_site_id(b));
    json_decref(a);
    json_decref(b);
}

Test(cpu_sites, a_pure_python_loop_is_one_site_whatever_line_its_samples_were_on)
{
    char first[17] = "";
    for (int line = 10; line < 13; line++) {
        json_t *p = finished(json_pack(
            "[o, o]",
            sample(native(NULL, "/usr/bin/python3.11"), py("burn", "/srv/app.py", line),
                   py("handler", "/srv/app.py", 21), NULL),
            sample(py("burn", "/srv/app.py", line + 1), py("handler", "/srv/app.py", 21), NULL)));
        json_t *burn = json_array_get(stall_stack(p), 0);
        cr_assert_str_eq(json_string_value(json_object_get(burn, "symbol")), "burn");
        cr_assert_null(json_object_get(burn, "line"), "the samples disagree on burn's line");
        if (line == 10)
            snprintf(first, sizeof first, "%s", cpu_site_id(p));
        else
            cr_assert_str_eq(cpu_site_id(p), first);
        json_decref(p);
    }
}

Test(cpu_sites, a_native_cpu_site_does_not_follow_a_sample_into_libc)
{
    json_t *a = finished(json_pack(
        "[o]", sample(native("__memmove_avx_unaligned_erms", "/lib/x86_64-linux-gnu/libc.so.6"),
                      native("burn_cpu", "/srv/uv-stalls"), native("on_tick", "/srv/uv-stalls"),
                      native("uv__run_timers", "/srv/uv-stalls"),
                      native("uv_run", "/srv/uv-stalls"), native("main", "/srv/uv-stalls"), NULL)));
    json_t *b = finished(json_pack(
        "[o]", sample(native("burn_cpu", "/srv/uv-stalls"), native("on_tick", "/srv/uv-stalls"),
                      native("uv__run_timers", "/srv/uv-stalls"),
                      native("uv_run", "/srv/uv-stalls"), native("main", "/srv/uv-stalls"), NULL)));
    cr_assert_str_eq(cpu_site_id(a), cpu_site_id(b));
    json_decref(a);
    json_decref(b);
}

Test(cpu_sites, samples_whose_walk_stopped_in_assembly_do_not_empty_the_shared_stack)
{
    /* OpenSSL's sha512 assembly: the walk of a sample there gives that one frame. */
    json_t *p = finished(json_pack(
        "[o, o, o]", sample(native("sha512_block_data_order_avx2", "/usr/bin/node"), NULL),
        node_sample("deflate_slow", "gzipSync", "node:zlib", "work"),
        sample(native("sha512_block_data_order_avx2", "/usr/bin/node"), NULL)));
    cr_assert(holds(stall_stack(p), "work"), "the one walked sample was left out");
    json_t *q =
        finished(json_pack("[o]", node_sample("deflate_slow", "gzipSync", "node:zlib", "work")));
    cr_assert_str_eq(cpu_site_id(p), cpu_site_id(q));
    json_decref(p);
    json_decref(q);
}
