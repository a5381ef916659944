/* fuzz-report-reader.c -- libFuzzer harness for the report reader: load, check, merge, sites and
 * every renderer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "merge.h"
#include "render.h"
#include "schema.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink && !(sink = fopen("/dev/null", "w"))) abort();
    char path[64];
    int fd = as_file(data, size, path, sizeof path);
    char *paths[] = {path};
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
    json_decref(report);
    return 0;
}
