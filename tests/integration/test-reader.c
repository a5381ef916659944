/* test-reader.c -- the command never crashes or hangs on what it reads: wrong types, FIFOs, a
 * 100 MB report, a directory of 2,000 reports, each within a time bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ls_test.h"

/* Sanitizers make the command several times slower; the bounds say what the
 * plain build must do, with the same margin for the sanitized one. */
#if defined(__SANITIZE_ADDRESS__)
#define SLOWER 3
#else
#define SLOWER 1
#endif

#define HEAD                                                                                       \
    "{\"schema\":\"loopstall/1\",\"tool_version\":\"t\",\"command\":[\"app\"],\"exit_status\":0,"  \
    "\"threshold_ns\":20000000,\"processes\":[{\"pid\":7,\"ppid\":1,\"argv\":[\"app\"],"
#define TAIL       "}]}"
#define FRAME(sym) "{\"symbol\":\"" sym "\",\"module\":\"/usr/bin/app\",\"offset\":\"0x10\"}"

static struct ls_proc_result cli(char *const args[], int timeout_s)
{
    return ls_cli(args, timeout_s);
}

/* The report at path is refused: exit status, and exactly one line on stderr. */
static void assert_refused_with(char *const args[], int status, const char *line)
{
    struct ls_proc_result r = cli(args, 30);
    cr_assert_eq(r.status, status, "status %d, stderr: %s", r.status, r.err);
    cr_assert_str_eq(r.err, line);
    ls_proc_result_free(&r);
}

Test(reader, a_field_of_the_wrong_type_is_refused_naming_the_file_and_the_field)
{
    char *dir = ls_tmpdir(), *path = ls_path_join(dir, "r.json");
    ls_write_file(path, HEAD "\"stalls\":[{\"wall_ns\":5,\"class\":\"cpu\",\"samples\":[[" FRAME(
                            "a") "],[{\"symbol\":\"b\",\"offset\":5}]]}]" TAIL);
    char line[4096];
    snprintf(line, sizeof line,
             "loopstall: %s: processes[0].stalls[0].samples[1][0].offset: expected a string\n",
             path);
    assert_refused_with((char *[]){"report", path, NULL}, 1, line);
    assert_refused_with((char *[]){"diff", path, path, NULL}, 2, line);
    ls_write_file(path, HEAD "\"stalls\":[{\"wall_ns\":\"long\"}]" TAIL);
    snprintf(line, sizeof line,
             "loopstall: %s: processes[0].stalls[0].wall_ns: expected a non-negative integer\n",
             path);
    assert_refused_with((char *[]){"report", path, NULL}, 1, line);
    ls_write_file(path, HEAD "\"stalls\":[{\"phase\":\"warmup\"}]" TAIL);
    snprintf(line, sizeof line,
             "loopstall: %s: processes[0].stalls[0].phase: expected one of \"startup\", "
             "\"serving\"\n",
             path);
    assert_refused_with((char *[]){"report", path, NULL}, 1, line);
    free(path);
    ls_tmpdir_cleanup(dir);
}

Test(reader, a_finding_without_a_string_kind_is_named_instead_of_crashing_the_text_report)
{
    char *dir = ls_tmpdir(), *path = ls_path_join(dir, "r.json");
    ls_write_file(path, HEAD "\"findings\":[{\"kind\":7,\"peak_live_threads\":300}]" TAIL);
    char line[4096];
    snprintf(line, sizeof line, "loopstall: %s: processes[0].findings[0].kind: expected a string\n",
             path);
    assert_refused_with((char *[]){"report", path, NULL}, 1, line);
    free(path);
    ls_tmpdir_cleanup(dir);
}

/* The crash of the first reader: a sample frame with no offset (strcmp(NULL) in merging). */
Test(reader, sample_frames_without_offset_or_symbol_are_rendered_in_every_format)
{
    char *dir = ls_tmpdir(), *path = ls_path_join(dir, "r.json");
    ls_write_file(path, HEAD
                  "\"stalls\":[{\"tid\":7,\"wall_ns\":40000000,\"class\":\"cpu\","
                  "\"calls\":[],\"samples\":[[{\"module\":\"/usr/bin/app\"},{}],"
                  "[{\"module\":\"/usr/bin/app\"}]]}],"
                  "\"findings\":[{\"kind\":\"unbounded_fanout\"},{\"kind\":\"new_kind\"}]" TAIL);
    const char *formats[] = {"text", "markdown", "html", "json", "chrome", "folded"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct ls_proc_result r =
            cli((char *[]){"report", path, "--format", (char *)formats[i], NULL}, 30);
        cr_assert_eq(r.status, 0, "%s: status %d, stderr: %s", formats[i], r.status, r.err);
        cr_assert_gt(strlen(r.out), 0, "%s wrote nothing", formats[i]);
        ls_proc_result_free(&r);
    }
    free(path);
    ls_tmpdir_cleanup(dir);
}

Test(reader, a_fifo_given_as_a_report_is_refused_at_once)
{
    char *dir = ls_tmpdir(), *fifo = ls_path_join(dir, "r.json");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    char line[4096];
    snprintf(line, sizeof line,
             "loopstall: %s: cannot read it as a report: it is a FIFO, not a regular file\n", fifo);
    assert_refused_with((char *[]){"report", fifo, NULL}, 1, line);
    assert_refused_with((char *[]){"diff", fifo, fifo, NULL}, 2, line);
    free(fifo);
    ls_tmpdir_cleanup(dir);
}

Test(reader, a_fifo_among_the_agent_files_of_a_directory_is_named_and_skipped)
{
    char *dir = ls_tmpdir(), *good = ls_path_join(dir, "loopstall.1.json"),
         *fifo = ls_path_join(dir, "loopstall.2.json"), *out = ls_path_join(dir, "merged.json");
    ls_write_file(good, HEAD "\"stalls\":[]" TAIL);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    struct ls_proc_result r = cli((char *[]){"report", dir, "--json", out, NULL}, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "loopstall.2.json: cannot read it as a report: it is a FIFO"), "%s",
              r.err);
    json_t *merged = ls_load_json(out);
    cr_assert_eq(json_array_size(json_object_get(merged, "processes")), 1);
    json_decref(merged);
    ls_proc_result_free(&r);
    free(good);
    free(fifo);
    free(out);
    ls_tmpdir_cleanup(dir);
}

Test(reader, a_frame_whose_module_is_a_fifo_is_left_unsymbolized_and_the_report_finishes)
{
    char *dir = ls_tmpdir(), *fifo = ls_path_join(dir, "libfake.so"),
         *path = ls_path_join(dir, "r.json"), *out = ls_path_join(dir, "merged.json");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    char text[8192];
    snprintf(text, sizeof text,
             HEAD "\"stalls\":[{\"tid\":7,\"wall_ns\":40000000,\"class\":\"blocking\","
                  "\"calls\":[{\"fn\":\"read\",\"stack\":[{\"symbol\":null,\"module\":\"%s\","
                  "\"offset\":\"0x1234\"}]}]}]" TAIL,
             fifo);
    ls_write_file(path, text);
    struct ls_proc_result r = cli((char *[]){"report", path, "--json", out, NULL}, 30);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *merged = ls_load_json(out);
    json_t *frame = json_array_get(
        json_object_get(json_array_get(json_object_get(ls_report_stall(merged, 0), "calls"), 0),
                        "stack"),
        0);
    cr_assert(json_is_null(json_object_get(frame, "symbol")), "nothing could be read there");
    cr_assert_str_eq(ls_json_str(frame, "module"), fifo);
    json_decref(merged);
    ls_proc_result_free(&r);
    free(fifo);
    free(path);
    free(out);
    ls_tmpdir_cleanup(dir);
}

/* A report of nstalls stalls, each its own site (distinct function names): the
 * worst case for joining sites. Returns the file's size. */
static off_t write_many_sites(const char *path, int nstalls)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(HEAD "\"stalls\":[", f);
    for (int i = 0; i < nstalls; i++) {
        char stack[4096];
        size_t used = (size_t)snprintf(stack, sizeof stack, "[");
        for (int k = 0; k < 8; k++)
            used += (size_t)snprintf(
                stack + used, sizeof stack - used,
                "%s{\"symbol\":\"handler_%d_%d\",\"module\":\"/usr/lib/libapp.so\",\"offset\":"
                "\"0x%x\",\"build_id\":\"abababababababababababababababababababab\","
                "\"file\":\"/src/app/file%d.c\",\"line\":%d}",
                k ? "," : "", i, k, 0x1000 + i * 64 + k, i % 50, 10 + k);
        snprintf(stack + used, sizeof stack - used, "]");
        fprintf(f,
                "%s{\"tid\":7,\"start_ns\":%lld,\"wall_ns\":%d,\"cpu_ns\":1000,\"blocked_ns\":"
                "19000000,\"class\":\"blocking\",\"ongoing\":false,\"calls\":[{\"fn\":\"read\","
                "\"wall_ns\":19000000,\"target\":\"/var/lib/db/%d\",\"stack\":%s}],\"stack\":%s,"
                "\"samples\":[]}",
                i ? "," : "", (long long)i * 1000, 20000000 + i, i % 7, stack, stack);
    }
    fputs("]" TAIL, f);
    cr_assert_eq(fclose(f), 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return st.st_size;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time of `loopstall report path --json out`: every site made, the merged report written. */
static double time_report(const char *path, const char *out, int timeout_s)
{
    double t0 = seconds_now();
    struct ls_proc_result r =
        cli((char *[]){"report", (char *)path, "--json", (char *)out, NULL}, timeout_s);
    double t = seconds_now() - t0;
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    return t;
}

Test(reader, a_100_mb_report_of_35000_sites_is_merged_in_time_linear_in_its_size, .timeout = 600)
{
    char *dir = ls_tmpdir(), *quarter = ls_path_join(dir, "quarter.json"),
         *big = ls_path_join(dir, "big.json"), *out = ls_path_join(dir, "merged.json");
    off_t quarter_size = write_many_sites(quarter, 8750), big_size = write_many_sites(big, 35000);
    cr_assert_gt(quarter_size, 25 * 1000 * 1000, "%lld bytes", (long long)quarter_size);
    cr_assert_gt(big_size, 100 * 1000 * 1000, "%lld bytes", (long long)big_size);
    /* The quadratic joining this replaces took 12x as long for 4x the stalls. */
    double t_quarter = time_report(quarter, out, 60 * SLOWER);
    double again = time_report(quarter, out, 60 * SLOWER);
    if (again < t_quarter) t_quarter = again;
    double t_big = time_report(big, out, 60 * SLOWER);
    cr_assert_lt(t_big / t_quarter, 8.0, "%.1f s for 4x the stalls of %.1f s", t_big, t_quarter);
    cr_assert_lt(t_big, 60.0 * SLOWER, "%.1f s", t_big);
    json_t *merged = ls_load_json(out);
    cr_assert_eq(json_array_size(json_object_get(ls_report_process(merged, 0), "sites")), 35000);
    json_decref(merged);
    free(quarter);
    free(big);
    free(out);
    ls_tmpdir_cleanup(dir);
}

/* 2,000 copies of a real agent file, each its own pid, as a fork of 2,000 workers leaves them. */
static void make_agent_files(const char *dir, int n)
{
    struct ls_preload_env e;
    ls_preload_env(&e, dir, NULL);
    char *target = ls_target("uv-stalls");
    struct ls_proc_result r = ls_run_argv((char *[]){target, NULL}, e.env, 60);
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    free(target);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls %s/loopstall.*.json", dir);
    FILE *ls = popen(cmd, "r");
    char first[4096];
    cr_assert_not_null(fgets(first, sizeof first, ls), "the agent left a report");
    pclose(ls);
    first[strcspn(first, "\n")] = '\0';
    json_t *doc = ls_load_json(first);
    cr_assert_eq(unlink(first), 0);
    json_t *proc = ls_report_process(doc, 0);
    cr_assert_gt(json_array_size(json_object_get(proc, "stalls")), 0);
    for (int i = 0; i < n; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/loopstall.%d.json", dir, 100000 + i);
        json_object_set_new(proc, "pid", json_integer(100000 + i));
        cr_assert_eq(json_dump_file(doc, path, JSON_COMPACT), 0);
    }
    json_decref(doc);
}

Test(reader, a_directory_of_2000_reports_is_merged_in_seconds_with_bounded_memory, .timeout = 600)
{
    char *dir = ls_tmpdir(), *reports = ls_path_join(dir, "reports"),
         *out = ls_path_join(dir, "merged.json"), *text = ls_path_join(dir, "merged.txt");
    cr_assert_eq(mkdir(reports, 0700), 0);
    make_agent_files(reports, 2000);
    /* AddressSanitizer keeps freed memory in quarantine; without it, memory is the command's. */
    char *env[] = {"ASAN_OPTIONS=verify_asan_link_order=0:quarantine_size_mb=0:"
                   "malloc_context_size=0:detect_leaks=0",
                   NULL};
    char *argv[] = {(char *)ls_loopstall_bin(), "report", reports, "--json", out, "-o", text, NULL};
    double t0 = seconds_now();
    struct ls_proc_result r = ls_run_argv(argv, env, 60 * SLOWER);
    double t = seconds_now() - t0;
    cr_assert_eq(r.status, 0, "%s", r.err);
    ls_proc_result_free(&r);
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
    /* Before: 12 s and 339 MB, growing with every file (each kept its own copy of every frame). */
    cr_assert_lt(t, 20.0 * SLOWER, "%.1f s", t);
    cr_assert_lt(ru.ru_maxrss, 160 * 1024, "peak %ld KiB", ru.ru_maxrss);
    json_t *merged = ls_load_json(out);
    cr_assert_eq(json_array_size(json_object_get(merged, "processes")), 2000);
    cr_assert_eq(ls_report_stall_count(merged), 2000 * 3, "uv-stalls stalls three times");
    json_decref(merged);
    free(reports);
    free(out);
    free(text);
    ls_tmpdir_cleanup(dir);
}
