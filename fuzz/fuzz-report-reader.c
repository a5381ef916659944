/* fuzz-report-reader.c -- libFuzzer harness for the report reader: load, check, merge, sites,
 * every renderer, and gate, baseline and diff on what was read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "baseline_file.h"
#include "merge.h"
#include "render.h"
#include "review.h"
#include "schema.h"
#include "sites.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

/* The input as a file: the reader opens paths, and a memfd is a regular file without a disk. */
static int as_file(const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd = memfd_create("report", MFD_CLOEXEC);
    if (fd < 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) abort();
        done += (size_t)n;
    }
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

static char *dump(json_t *v)
{
    return json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
}

/* What a merged report promises: it is itself a report that passes the check,
 * and finishing it again changes nothing (diff and gate finish what run wrote). */
static void check_merged(json_t *report)
{
    char *once = dump(report);
    if (!once) abort();
    json_t *again = json_loads(once, 0, NULL);
    if (!again || ls_report_check(again, "merged") != 0) abort();
    ls_finish_report(again);
    char *twice = dump(again);
    if (!twice || strcmp(once, twice) != 0) abort();
    free(once);
    free(twice);
    json_decref(again);
}

static void render_review(json_t *review)
{
    static const char *const formats[] = {"text", "markdown", "sarif", "junit"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (ls_renderer_find(formats[i])->review(review, sink) != 0) abort();
}

static const char *verdict(json_t *review)
{
    return json_string_value(json_object_get(review, "verdict"));
}

/* What the review side promises: a report passes the gate against the baseline
 * made from it, a diff of a report with itself finds nothing new or gone, and
 * every review format renders each verdict. */
static void check_reviews(json_t *report)
{
    json_t *sites = ls_sites_by_id(report, LS_SERVING_ONLY);
    json_t *baseline = ls_baseline_from_sites(sites, "fuzz.json");
    json_decref(sites);
    char *text = json_dumps(baseline, 0);
    json_decref(baseline);
    if (!text) abort();
    char path[64];
    int fd = as_file((const uint8_t *)text, strlen(text), path, sizeof path);
    free(text);
    json_t *accepted = ls_baseline_load(path, "fuzz");
    close(fd);
    if (!accepted) abort(); /* the gate must read what `baseline` writes */
    json_t *g = ls_gate_review(report, "fuzz.json", accepted, "b.json", 0, LS_SERVING_ONLY, "/");
    if (strcmp(verdict(g), "pass") != 0) abort();
    json_decref(g);
    g = ls_gate_review(report, "fuzz.json", NULL, NULL, 1000000, LS_ALL_PHASES, "/tmp");
    render_review(g);
    json_decref(g);
    json_decref(accepted);
    json_t *d = ls_diff_review(report, report, "a.json", "b.json", LS_ALL_PHASES, "/");
    json_t *counts = json_object_get(d, "counts");
    if (json_integer_value(json_object_get(counts, "new")) ||
        json_integer_value(json_object_get(counts, "gone")))
        abort();
    render_review(d);
    json_decref(d);
    json_t *plain = ls_review_of_report(report, "/");
    render_review(plain);
    json_decref(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink && !(sink = fopen("/dev/null", "w"))) abort();
    char path[64];
    int fd = as_file(data, size, path, sizeof path);
    char *paths[] = {path};
    /* The same bytes as a baseline file: refused or accepted, never a crash. */
    json_decref(ls_baseline_load(path, "fuzz"));
    json_t *report = ls_merge_files(paths, 1);
    close(fd);
    if (!report) return 0;
    ls_finish_report(report);
    check_merged(report);
    static const char *const formats[] = {"text", "markdown", "json", "html", "chrome", "folded"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        const struct ls_renderer *r = ls_renderer_find(formats[i]);
        if (!r) abort();
        r->render(report, sink);
    }
    ls_render_summary(report, NULL, sink);
    check_reviews(report);
    json_decref(report);
    return 0;
}
