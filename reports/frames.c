/* frames.c -- the user's own code told from libraries and runtimes, and the culprit frame of a
 * stack (see frames.h).
 *
 * The test is on the script's path, because that is all an interpreter frame
 * says about where its code came from, and the layouts are fixed by the
 * runtimes: CPython's standard library under lib/python3.X/ (every install,
 * Debian's /usr/lib/python3.11 and pyenv's versions/3.12.1/lib/python3.12),
 * installed packages under site-packages or dist-packages, Node's own scripts
 * named node:... (V8 9 on) or by a relative name (older Node), npm packages
 * under node_modules.
 */
#include "frames.h"

#include <string.h>

static const char *str(json_t *frame, const char *key)
{
    return json_string_value(json_object_get(frame, key));
}

int ls_frame_is_interp(json_t *frame)
{
    return str(frame, "lang") != NULL;
}

/* ".../lib/python3.11/..." or lib64, python2 too: the interpreter's own library. */
static int in_python_stdlib(const char *file)
{
    static const char *const roots[] = {"/lib/python", "/lib64/python"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        for (const char *at = strstr(file, roots[i]); at; at = strstr(at + 1, roots[i])) {
            const char *v = at + strlen(roots[i]);
            if (*v >= '2' && *v <= '9' && strchr(v, '/')) return 1;
        }
    }
    return 0;
}

int ls_frame_is_user(json_t *frame)
{
    const char *lang = str(frame, "lang"), *file = str(frame, "file");
    if (!lang || !file || !file[0]) return 0;
    if (!strcmp(lang, "python"))
        return strncmp(file, "<frozen ", 8) != 0 && !strstr(file, "/site-packages/") &&
               !strstr(file, "/dist-packages/") && !in_python_stdlib(file);
    if (!strcmp(lang, "js")) return file[0] == '/' && !strstr(file, "/node_modules/");
    return 0;
}

int ls_stack_has_interp(json_t *stack)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f) if (ls_frame_is_interp(f)) return 1;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

/* libc, the dynamic loader's helpers and the agent: never where a reader's problem is. */
static int boring(json_t *frame)
{
    const char *b = base_name(str(frame, "module"));
    if (!str(frame, "symbol")) return 1;
    return b && (!strncmp(b, "libc.so", 7) || !strncmp(b, "libloopstall", 12) ||
                 !strncmp(b, "libpthread", 10));
}

long ls_culprit_index(json_t *stack)
{
    size_t i;
    json_t *f;
    if (!json_array_size(stack)) return -1;
    if (ls_stack_has_interp(stack)) {
        json_array_foreach(stack, i, f) if (ls_frame_is_user(f)) return (long)i;
        json_array_foreach(stack, i, f) if (ls_frame_is_interp(f)) return (long)i;
    }
    /* Native: code built with debug information has lines; libraries often do not. */
    json_array_foreach(stack, i, f) if (!boring(f) && json_object_get(f, "line")) return (long)i;
    json_array_foreach(stack, i, f) if (!boring(f)) return (long)i;
    return 0;
}

long ls_cpu_culprit_index(json_t *stack)
{
    size_t i;
    json_t *f;
    if (ls_stack_has_interp(stack)) return ls_culprit_index(stack);
    json_array_foreach(stack, i, f) if (!boring(f)) return (long)i;
    return json_array_size(stack) ? 0 : -1;
}

static int walked(json_t *sample, int want_interp)
{
    return json_array_size(sample) > 1 && (!want_interp || ls_stack_has_interp(sample));
}

int ls_sample_counts(json_t *samples, json_t *sample)
{
    size_t i;
    json_t *s;
    int interp = 0, any = 0;
    json_array_foreach(samples, i, s) interp |= ls_stack_has_interp(s);
    json_array_foreach(samples, i, s) any |= walked(s, interp);
    return any ? walked(sample, interp) : json_array_size(sample) > 0;
}

long ls_next_user_frame(json_t *stack, long from)
{
    for (size_t i = (size_t)(from + 1); i < json_array_size(stack); i++)
        if (ls_frame_is_user(json_array_get(stack, i))) return (long)i;
    return -1;
}
