/* battery.c -- run hosts under the agent both ways and read what they left (see battery.h). */
#include "battery.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bt_way_name[BT_WAYS] = {"direct", "run"};

static void merge_direct(struct bt_run *r)
{
    char **names = bt_dir_names(r->dir);
    int reports = 0;
    for (char **n = names; *n; n++)
        reports += strncmp(*n, "loopstall.", 10) == 0;
    bt_names_free(names);
    if (!reports) return;
    char *merged = ls_path_join(r->dir, "merged.json");
    char *argv[] = {(char *)ls_loopstall_bin(), "report", r->dir, "--json", merged, NULL};
    struct ls_proc_result m = ls_run_argv(argv, NULL, 60);
    cr_assert_eq(m.status, 0, "loopstall report %s failed: %s", r->dir, m.err);
    ls_proc_result_free(&m);
    r->report = ls_load_json(merged);
    free(merged);
}

void bt_run(struct bt_run *r, enum bt_way way, const char *threshold_ms, char *const cmd[],
            char *const env[], int timeout_s)
{
    memset(r, 0, sizeof *r);
    r->dir = ls_tmpdir();
    char *extra[32];
    int n = 0;
    char preload[4200], out[4200], threshold[64];
    if (way == BT_DIRECT) {
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", ls_agent_path());
        snprintf(out, sizeof out, "LOOPSTALL_OUT=%s", r->dir);
        snprintf(threshold, sizeof threshold, "LOOPSTALL_THRESHOLD_MS=%s", threshold_ms);
        extra[n++] = preload;
        extra[n++] = out;
        extra[n++] = threshold;
    }
    for (int i = 0; env && env[i] && n < 31; i++)
        extra[n++] = env[i];
    extra[n] = NULL;
    if (way == BT_DIRECT) {
        r->proc = ls_run_argv(cmd, extra, timeout_s);
        merge_direct(r);
        return;
    }
    char *merged = ls_path_join(r->dir, "merged.json");
    char *argv[64];
    int k = 0;
    argv[k++] = (char *)ls_loopstall_bin();
    argv[k++] = "run";
    argv[k++] = "-q";
    argv[k++] = "-t";
    argv[k++] = (char *)threshold_ms;
    argv[k++] = "--dir";
    argv[k++] = r->dir;
    argv[k++] = "--json";
    argv[k++] = merged;
    argv[k++] = "--";
    for (int i = 0; cmd[i] && k < 63; i++)
        argv[k++] = cmd[i];
    argv[k] = NULL;
    r->proc = ls_run_argv(argv, extra, timeout_s);
    r->report = ls_load_json(merged);
    free(merged);
}

void bt_free(struct bt_run *r)
{
    ls_proc_result_free(&r->proc);
    if (r->report) json_decref(r->report);
    ls_tmpdir_cleanup(r->dir);
    memset(r, 0, sizeof *r);
}

int bt_status(const struct bt_run *r)
{
    return r->proc.status;
}

json_t *bt_process(json_t *report, int64_t pid, int image)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        if (json_integer_value(json_object_get(p, "pid")) == pid &&
            json_integer_value(json_object_get(p, "image")) == image)
            return p;
    }
    return NULL;
}

size_t bt_images(json_t *report, int64_t pid)
{
    size_t i, n = 0;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        n += json_integer_value(json_object_get(p, "pid")) == pid;
    }
    return n;
}

char **bt_dir_names(const char *dir)
{
    size_t n = 0, cap = 16;
    char **names = calloc(cap, sizeof *names);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n + 2 > cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    names[n] = NULL;
    return names;
}

void bt_names_free(char **names)
{
    for (char **n = names; *n; n++)
        free(*n);
    free(names);
}

long long bt_number_after(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    if (!p) return -1;
    char *end;
    long long v = strtoll(p + strlen(key), &end, 10);
    return end == p + strlen(key) ? -1 : v;
}

int bt_stall_has_call(json_t *stall, const char *fn)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(stall, "calls"), i, c)
    {
        const char *name = ls_json_str(c, "fn");
        if (name && strcmp(name, fn) == 0) return 1;
    }
    return 0;
}

int bt_stall_of_a_starved_machine(json_t *stall)
{
    const char *class = ls_json_str(stall, "class");
    if (class && strcmp(class, "cpu") == 0) return 1;
    return ls_json_u64(stall, "runq_ns") * 3 >= ls_json_u64(stall, "wall_ns");
}
