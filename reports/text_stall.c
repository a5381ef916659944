/* text_stall.c -- one stall in the text report: where its time went, its calls, its culprit and
 * the stack below it, its samples (see text_stall.h). */
#include "text_stall.h"

#include <string.h>

#include "format.h"
#include "frames.h"

#define NATIVE_LINES  6 /* frames shown of a native stack */
#define BELOW_HEAD    3 /* a long run of library frames below the culprit: its first few, */
#define BELOW_TAIL    4 /* and its last few */
#define CALLER_LINES  4 /* interpreter frames shown outward from the culprit */
#define HOT_NAMES     16
#define HOTTEST_SHOWN 3

static void frame_line(FILE *out, json_t *f, const char *indent)
{
    char buf[512];
    fprintf(out, "%sat %s\n", indent, ls_fmt_frame(f, buf, sizeof buf));
}

void ls_text_stack(FILE *out, json_t *stack, long culprit, const char *indent)
{
    size_t n = json_array_size(stack), shown = 0;
    if (!ls_stack_has_interp(stack) || culprit < 0) {
        for (size_t i = 0; i < n && i < NATIVE_LINES; i++)
            frame_line(out, json_array_get(stack, i), indent);
        if (n > NATIVE_LINES) fprintf(out, "%s... %zu more\n", indent, n - NATIVE_LINES);
        return;
    }
    size_t c = (size_t)culprit;
    for (size_t i = 0; i < c; i++) {
        if (c > BELOW_HEAD + BELOW_TAIL + 1 && i == BELOW_HEAD) {
            fprintf(out, "%s... %zu frames\n", indent, c - BELOW_HEAD - BELOW_TAIL);
            i = c - BELOW_TAIL - 1;
            continue;
        }
        frame_line(out, json_array_get(stack, i), indent);
        shown++;
    }
    frame_line(out, json_array_get(stack, c), indent);
    size_t callers = 0, left = 0;
    for (size_t i = c + 1; i < n; i++) {
        json_t *f = json_array_get(stack, i);
        if (!ls_frame_is_interp(f)) continue;
        if (callers < CALLER_LINES) {
            frame_line(out, f, indent);
            callers++;
        } else {
            left++;
        }
    }
    if (left) fprintf(out, "%s... %zu more callers\n", indent, left);
}

/* The frame one sample charges its time to: its culprit by the CPU rule. */
static json_t *hot_frame(json_t *sample)
{
    long i = ls_cpu_culprit_index(sample);
    return i < 0 ? NULL : json_array_get(sample, (size_t)i);
}

static int same_function(json_t *a, json_t *b)
{
    static const char *const keys[] = {"symbol", "file", "lang", "module"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])) &&
            (json_object_get(a, keys[i]) || json_object_get(b, keys[i])))
            return 0;
    return json_object_get(a, "symbol") ||
           json_equal(json_object_get(a, "offset"), json_object_get(b, "offset"));
}

/* Functions counted over samples, most first: functions, not lines, because a
 * Python function's samples fall on several of its lines; a line is shown
 * only when every sample agrees. */
struct tally {
    json_t *frames[HOT_NAMES];
    int counts[HOT_NAMES], same_line[HOT_NAMES], n, total;
};

static void tally_add(struct tally *t, json_t *f)
{
    t->total++;
    if (!f) return;
    int k = 0;
    while (k < t->n && !same_function(t->frames[k], f))
        k++;
    if (k == t->n) {
        if (t->n == HOT_NAMES) return;
        t->frames[t->n] = f;
        t->counts[t->n] = 0;
        t->same_line[t->n++] = 1;
    }
    t->counts[k]++;
    t->same_line[k] &=
        json_equal(json_object_get(t->frames[k], "line"), json_object_get(f, "line"));
}

/* "A (3/5), B (2/5)": the most frequent first; of is the denominator (0: none shown). */
static void tally_print(FILE *out, struct tally *t, int of)
{
    char buf[512];
    for (int shown = 0; shown < t->n && shown < HOTTEST_SHOWN; shown++) {
        int best = 0;
        for (int k = 1; k < t->n; k++)
            if (t->counts[k] > t->counts[best]) best = k;
        json_t *f = t->frames[best], *lineless = NULL;
        if (!t->same_line[best]) {
            lineless = json_deep_copy(f);
            json_object_del(lineless, "line");
            json_object_del(lineless, "line_is");
        }
        fprintf(out, "%s %s (%d", shown ? "," : "",
                ls_fmt_frame(lineless ? lineless : f, buf, sizeof buf), t->counts[best]);
        if (of) fprintf(out, "/%d", of);
        fputc(')', out);
        json_decref(lineless);
        t->counts[best] = -1;
    }
}

/* "5 stack samples while it ran, hottest: burn (app.py:10) (5/5)": where most
 * samples were by frames.h's CPU rule; samples whose walk stopped early are
 * counted apart by the function they stopped in. */
static void print_hottest(FILE *out, json_t *samples)
{
    struct tally walked = {.n = 0}, cut = {.n = 0};
    size_t i, total = json_array_size(samples);
    json_t *sample;
    json_array_foreach(samples, i, sample)
    {
        if (ls_sample_counts(samples, sample))
            tally_add(&walked, hot_frame(sample));
        else
            tally_add(&cut, json_array_get(sample, 0));
    }
    fprintf(out, "      %zu stack sample%s while it ran, hottest:", total, total == 1 ? "" : "s");
    tally_print(out, &walked, walked.total);
    if (cut.total) {
        fprintf(out, "%s%d stopped in", walked.total ? "; " : " ", cut.total);
        tally_print(out, &cut, 0);
        fprintf(out, ", where the stack could not be walked further");
    }
    fputc('\n', out);
}

static int startup(json_t *s)
{
    const char *phase = json_string_value(json_object_get(s, "phase"));
    return phase && !strcmp(phase, "startup");
}

void ls_text_stall(FILE *out, json_t *s, size_t n)
{
    char w[32], st[32], split[256], buf[2048];
    fprintf(out, "   #%zu %s %s%s at %s+%s in thread %lld: %s", n,
            ls_fmt_ns(json_integer_value(json_object_get(s, "wall_ns")), w, sizeof w),
            json_string_value(json_object_get(s, "class")),
            json_is_true(json_object_get(s, "ongoing")) ? " (ONGOING: still running)" : "",
            startup(s) ? "startup " : "",
            ls_fmt_ns(json_integer_value(json_object_get(s, "start_ns")), st, sizeof st),
            (long long)json_integer_value(json_object_get(s, "tid")),
            ls_fmt_time_split(s, split, sizeof split));
    long long inj = json_integer_value(json_object_get(s, "injected_ns"));
    if (inj) fprintf(out, ", injected %s", ls_fmt_ns(inj, buf, sizeof buf));
    fprintf(out, "\n");
    const char *cause = ls_fmt_stall_cause(s, buf, sizeof buf);
    if (cause) fprintf(out, "      culprit: %s\n", cause);
    size_t i;
    json_t *c;
    json_t *shown = ls_stall_stack_shown(s);
    json_array_foreach(json_object_get(s, "calls"), i, c)
    {
        const char *target = json_string_value(json_object_get(c, "target"));
        const char *rule = json_string_value(json_object_get(c, "rule"));
        fprintf(out, "      %s %s%s%s%s%s%s\n", json_string_value(json_object_get(c, "fn")),
                ls_fmt_ns(json_integer_value(json_object_get(c, "wall_ns")), w, sizeof w),
                target ? " on " : "", target ? target : "", rule ? " [injected by " : "",
                rule ? rule : "", rule ? "]" : "");
        json_t *stack = json_object_get(c, "stack");
        if (i == 0 && stack == shown)
            ls_text_stack(out, stack, ls_stall_where_index(s), "        ");
    }
    /* A blocking stall's samples caught it between its calls: where it waited says more. */
    json_t *samples = json_object_get(s, "samples");
    const char *cls = json_string_value(json_object_get(s, "class"));
    int blocking = cls && !strcmp(cls, "blocking") && json_array_size(json_object_get(s, "calls"));
    if (json_array_size(samples) && !blocking) {
        print_hottest(out, samples);
        json_t *common = json_object_get(s, "stack");
        size_t cut = 0;
        json_array_foreach(samples, i, c) cut += !ls_sample_counts(samples, c);
        if (json_array_size(common)) {
            fprintf(out, cut ? "      the samples that could be walked were all inside:\n"
                             : "      every sample was inside:\n");
            ls_text_stack(out, common, ls_cpu_culprit_index(common), "        ");
        } else {
            fprintf(out, "      the samples share no frame\n");
        }
    } else if (!json_array_size(json_object_get(s, "calls"))) {
        fprintf(out, "      no intercepted call and no stack sample explain it\n");
    }
}
