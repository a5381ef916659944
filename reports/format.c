/* format.c -- shared formatting for the text, markdown and summary renderers. */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

const char *ls_fmt_ns(long long ns, char *buf, size_t len)
{
    if (ns >= 10000000000LL)
        snprintf(buf, len, "%.1f s", (double)ns / 1e9);
    else if (ns >= 1000000000LL)
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
    else if (ns >= 1000000LL)
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    else if (ns >= 1000LL)
        snprintf(buf, len, "%lld us", ns / 1000);
    else
        snprintf(buf, len, "%lld ns", ns);
    return buf;
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

/* The main executable and the name it is shown by (ls_fmt_use_process). */
static char alias_exe[1024], alias_name[256];

/* The base name of argv[0]'s first word ("/usr/bin/redis-server 127.0.0.1:6379",
 * "nginx: worker process"): [*name, *end). 0 when there is none. */
static int argv0_name(json_t *proc, const char **name, const char **end)
{
    const char *argv0 = json_string_value(json_array_get(json_object_get(proc, "argv"), 0));
    if (!argv0) return 0;
    *name = argv0;
    *end = argv0 + strcspn(argv0, " :");
    for (const char *q = argv0; q < *end; q++)
        if (*q == '/') *name = q + 1;
    return *end > *name;
}

int ls_fmt_exe_differs(json_t *proc)
{
    const char *exe = json_string_value(json_object_get(proc, "exe")), *name, *end;
    if (!exe || !argv0_name(proc, &name, &end)) return 0;
    const char *eb = base_name(exe);
    return strlen(eb) != (size_t)(end - name) || strncmp(eb, name, (size_t)(end - name)) != 0;
}

void ls_fmt_use_process(json_t *proc)
{
    alias_exe[0] = alias_name[0] = '\0';
    const char *name, *end;
    if (!ls_fmt_exe_differs(proc) || !argv0_name(proc, &name, &end)) return;
    snprintf(alias_exe, sizeof alias_exe, "%s", json_string_value(json_object_get(proc, "exe")));
    snprintf(alias_name, sizeof alias_name, "%.*s", (int)(end - name), name);
}

/* A module's name in a frame: its base name, or what the user ran for the main executable. */
static const char *module_name(const char *mod)
{
    if (!mod) return "?";
    if (alias_name[0] && !strcmp(mod, alias_exe)) return alias_name;
    return base_name(mod);
}

int ls_loop_counts(json_t *proc, json_t *loop)
{
    if (json_integer_value(json_object_get(loop, "iterations")) > 1) return 1;
    json_int_t tid = json_integer_value(json_object_get(loop, "tid"));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(proc, "stalls"), i,
                       s) if (json_integer_value(json_object_get(s, "tid")) == tid) return 1;
    return 0;
}

/* A script as a reader knows it: Node's own by their whole name (node:internal/timers), others by
 * their base name. */
static const char *script_name(const char *file)
{
    return strncmp(file, "node:", 5) == 0 ? file : base_name(file);
}

const char *ls_fmt_frame(json_t *frame, char *buf, size_t len)
{
    const char *sym = json_string_value(json_object_get(frame, "symbol"));
    const char *mod = json_string_value(json_object_get(frame, "module"));
    const char *off = json_string_value(json_object_get(frame, "offset"));
    const char *file = json_string_value(json_object_get(frame, "file"));
    const char *line_is = json_string_value(json_object_get(frame, "line_is"));
    json_int_t line = json_integer_value(json_object_get(frame, "line"));
    json_int_t end_line = json_integer_value(json_object_get(frame, "end_line"));
    int interp = json_object_get(frame, "lang") != NULL;
    /* A dynamic symbol's version (__libc_start_main@@GLIBC_2.34) says nothing to the reader; the
     * report keeps it (site ids hash the name as the symbolizer gave it). */
    char unversioned[256];
    size_t at = sym && !interp ? strcspn(sym, "@") : 0;
    if (sym && !interp && sym[at] && at > 0 && at < sizeof unversioned) {
        memcpy(unversioned, sym, at);
        unversioned[at] = '\0';
        sym = unversioned;
    }
    if (interp && sym && file && line && line_is && !strcmp(line_is, "function_start"))
        /* V8 knows where the function starts, not the line it is on: say which it is. */
        snprintf(buf, len, "%s (function at %s:%lld)", sym, script_name(file), (long long)line);
    else if (sym && file && line && end_line > line) /* a CPU stall's samples, lines apart */
        snprintf(buf, len, "%s (%s:%lld-%lld)", sym, base_name(file), (long long)line,
                 (long long)end_line);
    else if (sym && file && line)
        snprintf(buf, len, "%s (%s:%lld)", sym, interp ? script_name(file) : base_name(file),
                 (long long)line);
    else if (interp && sym)
        snprintf(buf, len, "%s (%s)", sym, file ? script_name(file) : "?");
    else if (sym && file) /* a function sampled on several lines, counted as one */
        snprintf(buf, len, "%s (%s)", sym, base_name(file));
    else if (sym)
        snprintf(buf, len, "%s (%s)", sym, module_name(mod));
    else if (interp)
        snprintf(buf, len, "? (%s)", file ? script_name(file) : "?");
    else
        snprintf(buf, len, "%s+%s", module_name(mod), off ? off : "?");
    return buf;
}

#define CALLERS_SHOWN 2 /* the user's frames named after the culprit, outward */

const char *ls_fmt_where(json_t *stack, long i, char *buf, size_t len)
{
    json_t *f = i >= 0 ? json_array_get(stack, (size_t)i) : NULL;
    if (!f) return NULL;
    char one[512];
    snprintf(buf, len, "%s", ls_fmt_frame(f, one, sizeof one));
    if (!ls_frame_is_user(f)) return buf;
    long at = i;
    for (int n = 0; n < CALLERS_SHOWN && (at = ls_next_user_frame(stack, at)) >= 0; n++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, " <- %s",
                 ls_fmt_frame(json_array_get(stack, (size_t)at), one, sizeof one));
    }
    return buf;
}

/* A stall is charged to its longest call unless it was CPU work (as sites.c does). */
static json_t *culprit_call(json_t *stall)
{
    const char *cls = json_string_value(json_object_get(stall, "class"));
    if (cls && !strcmp(cls, "cpu")) return NULL;
    return json_array_get(json_object_get(stall, "calls"), 0);
}

const char *ls_fmt_culprit(json_t *stall, char *buf, size_t len)
{
    json_t *call = culprit_call(stall);
    const char *fn = json_string_value(json_object_get(call, "fn"));
    if (!fn) return NULL;
    const char *target = json_string_value(json_object_get(call, "target"));
    if (target)
        snprintf(buf, len, "%s on %s", fn, target);
    else
        snprintf(buf, len, "%s", fn);
    return buf;
}

json_t *ls_first_interesting_frame(json_t *stack)
{
    long i = ls_culprit_index(stack);
    return i < 0 ? NULL : json_array_get(stack, (size_t)i);
}

json_t *ls_stall_stack_shown(json_t *stall)
{
    json_t *call = culprit_call(stall);
    json_t *stack = call ? json_object_get(call, "stack") : json_object_get(stall, "stack");
    if (!json_array_size(stack)) stack = json_array_get(json_object_get(stall, "samples"), 0);
    return stack;
}

long ls_stall_where_index(json_t *stall)
{
    json_t *stack = ls_stall_stack_shown(stall);
    return culprit_call(stall) ? ls_culprit_index(stack) : ls_cpu_culprit_index(stack);
}

const char *ls_fmt_stall_cause(json_t *stall, char *buf, size_t len)
{
    char call[512], where[1024];
    json_t *c = culprit_call(stall);
    const char *fn = json_string_value(json_object_get(c, "fn"));
    const char *target = json_string_value(json_object_get(c, "target"));
    const char *at =
        ls_fmt_where(ls_stall_stack_shown(stall), ls_stall_where_index(stall), where, sizeof where);
    if (fn && target)
        snprintf(call, sizeof call, "%s on %s", fn, target);
    else
        snprintf(call, sizeof call, "%s", fn ? fn : "");
    if (!fn && !at) return NULL;
    snprintf(buf, len, "%s%s%s", call, at ? (fn ? " in " : "in ") : "", at ? at : "");
    return buf;
}

const char *ls_fmt_time_split(json_t *stall, char *buf, size_t len)
{
    long long wall = json_integer_value(json_object_get(stall, "wall_ns"));
    long long blocked = json_integer_value(json_object_get(stall, "blocked_ns"));
    long long cpu = json_integer_value(json_object_get(stall, "cpu_ns"));
    long long runq = json_integer_value(json_object_get(stall, "runq_ns"));
    long long rest = wall - blocked - cpu - runq;
    char b[32], c[32], q[32], r[32];
    snprintf(buf, len, "%s blocked + %s on-CPU + %s waiting for a CPU (run queue)",
             ls_fmt_ns(blocked, b, sizeof b), ls_fmt_ns(cpu, c, sizeof c),
             ls_fmt_ns(runq, q, sizeof q));
    size_t used = strlen(buf);
    if (rest > 0)
        snprintf(buf + used, len - used, " + %s unaccounted", ls_fmt_ns(rest, r, sizeof r));
    else if (rest < 0)
        snprintf(buf + used, len - used, " - %s counted twice", ls_fmt_ns(-rest, r, sizeof r));
    return buf;
}

static int worst_first(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "wall_ns"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "wall_ns"));
    return (y > x) - (y < x);
}

json_t *ls_stalls_worst_first(json_t *proc)
{
    json_t *stalls = json_object_get(proc, "stalls");
    size_t n = json_array_size(stalls);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(stalls, i);
    qsort(v, n, sizeof *v, worst_first);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}
