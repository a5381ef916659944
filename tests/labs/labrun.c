/* labrun.c -- runs labs for the lab tests and reads their JSON results. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labrun.h"
#include "ls_test.h"

json_t *lab_run(const char *bin, const char *variant, const char *const extra[])
{
    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "result.json");
    char *path = ls_path_join(LS_BIN_DIR, bin);
    const char *argv[32] = {path, variant, "--quick", "--json", json};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    struct ls_proc_result pr = ls_run_argv((char *const *)argv, NULL, 120);
    cr_assert_eq(pr.status, 0, "%s %s exited %d:\n%s%s", bin, variant, pr.status, pr.out, pr.err);
    cr_log_info("%s", pr.out);
    json_t *r = ls_load_json(json);
    ls_proc_result_free(&pr);
    ls_tmpdir_cleanup(dir);
    free(json);
    free(path);
    return r;
}

double lab_num(json_t *r, const char *dotted)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", dotted);
    json_t *v = r;
    for (char *save, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    cr_assert(json_is_number(v), "no number at %s", dotted);
    return json_number_value(v);
}

double lab_rate(json_t *r)
{
    return lab_num(r, "rate_per_s");
}

double lab_latency(json_t *r, const char *key)
{
    char p[64];
    snprintf(p, sizeof(p), "latency_ms.%s", key);
    return lab_num(r, p);
}

json_t *lab_stress_row(json_t *r, const char *mode, double load)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(r, "rows"), i, row)
    {
        const char *m = json_string_value(json_object_get(row, "mode"));
        if (m && !strcmp(m, mode) && fabs(lab_num(row, "load") - load) < 0.01) return row;
    }
    cr_assert_fail("no %s row at load %.2f", mode, load);
    return NULL;
}
