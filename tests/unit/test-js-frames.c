/* test-js-frames.c -- V8's perf-map names become JavaScript frames; builtins and stubs stay native.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "symbolize.h"

/* The frame a perf-map name makes of a JIT frame symbolize.c found no module for. */
static json_t *frame_named(const char *name, int *is_js)
{
    json_t *f = json_pack("{s:n, s:s, s:s}", "symbol", "module", "[jit]", "offset", "0x7f00");
    *is_js = ls_js_frame_from_perf_name(f, name);
    return f;
}

static const char *str(json_t *f, const char *key)
{
    return json_string_value(json_object_get(f, key));
}

static void assert_js(const char *name, const char *symbol, const char *file, int line)
{
    int js;
    json_t *f = frame_named(name, &js);
    cr_assert(js, "%s was not taken for a JavaScript function", name);
    cr_assert_str_eq(str(f, "lang"), "js", "%s", name);
    cr_assert_str_eq(str(f, "symbol"), symbol, "%s", name);
    if (file)
        cr_assert_str_eq(str(f, "file"), file, "%s", name);
    else
        cr_assert_null(json_object_get(f, "file"), "%s has no script", name);
    if (line) {
        cr_assert_eq(json_integer_value(json_object_get(f, "line")), line, "%s", name);
        cr_assert_str_eq(str(f, "line_is"), "function_start", "%s", name);
    } else {
        cr_assert_null(json_object_get(f, "line"), "%s has no line", name);
    }
    /* The JIT address stays where it was: the frame is still the one that was sampled. */
    cr_assert_str_eq(str(f, "module"), "[jit]");
    cr_assert_str_eq(str(f, "offset"), "0x7f00");
    json_decref(f);
}

Test(js_frames, every_tier_of_node_20_names_the_function_its_script_and_first_line)
{
    assert_js("JS:~loadConfig /srv/app.js:2:20", "loadConfig", "/srv/app.js", 2);
    assert_js("JS:^loadConfig /srv/app.js:2:20", "loadConfig", "/srv/app.js", 2);
    assert_js("JS:+loadConfig /srv/app.js:2:20", "loadConfig", "/srv/app.js", 2);
    assert_js("JS:*spin /tmp/fx/app.js:8:14", "spin", "/tmp/fx/app.js", 8);
}

Test(js_frames, older_v8_names_with_and_without_a_column_are_read_the_same_way)
{
    assert_js("LazyCompile:~readBigFile /srv/server.js:17:21", "readBigFile", "/srv/server.js", 17);
    assert_js("LazyCompile:*handler /srv/server.js:40", "handler", "/srv/server.js", 40);
    assert_js("Function:~emit events.js:140", "emit", "events.js", 140);
    assert_js("InterpretedFunction:work /srv/w.js:3", "work", "/srv/w.js", 3);
}

Test(js_frames, anonymous_functions_node_internal_scripts_and_modules_are_named)
{
    assert_js("JS:~ /tmp/fx/app.js:15:42", "(anonymous)", "/tmp/fx/app.js", 15);
    assert_js("JS:~listOnTimeout node:internal/timers:524:25", "listOnTimeout",
              "node:internal/timers", 524);
    assert_js("JS:~ node:internal/main/run_main_module:1:1", "(anonymous)",
              "node:internal/main/run_main_module", 1);
    assert_js("JS:~Module._compile node:internal/modules/cjs/loader:1256:37", "Module._compile",
              "node:internal/modules/cjs/loader", 1256);
    assert_js("JS:~main file:///srv/app.mjs:3:10", "main", "/srv/app.mjs", 3);
}

Test(js_frames, names_and_paths_with_spaces_split_where_the_script_begins)
{
    assert_js("JS:~get size /srv/my app/lib.js:9:6", "get size", "/srv/my app/lib.js", 9);
    assert_js("JS:~run", "run", NULL, 0);
    assert_js("JS:~fromEval :1:1", "fromEval", NULL, 1);
}

Test(js_frames, builtins_bytecode_handlers_stubs_and_regexps_stay_native)
{
    const char *const native[] = {"Builtin:ArrayPrototypePush",
                                  "BytecodeHandler:Ldar",
                                  "Stub:CEntry_Return1",
                                  "RegExp:^a+$",
                                  "Handler:foo",
                                  "InterpreterEntryTrampoline",
                                  ""};
    for (size_t i = 0; i < sizeof native / sizeof native[0]; i++) {
        int js;
        json_t *f = frame_named(native[i], &js);
        cr_assert_not(js, "%s was taken for a JavaScript function", native[i]);
        cr_assert_null(json_object_get(f, "lang"), "%s", native[i]);
        cr_assert(json_is_null(json_object_get(f, "symbol")), "the frame was touched");
        json_decref(f);
    }
}
