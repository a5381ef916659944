/* test-asm-stacks.c -- stack samples that land in hand-written assembly still walk out to the
 * code that called it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ls_test.h"

/* OpenSSL's sha512 assembly in node (sha512_block_data_order_avx2) keeps its saved stack
 * pointer in memory and its CFA is an expression reading it; node's unwind tables also lie past
 * the map end _dl_find_object gives for the executable. Once, every sample there held that one
 * frame and could not name the JavaScript function that called pbkdf2Sync. */
Test(asm_stacks, a_sample_in_openssl_sha512_assembly_walks_out_to_its_callers)
{
    ls_require_program("node");
    char *prog = ls_path_join(LS_SOURCE_DIR "/tests/programs/interp", "sha512.js");
    char *cmd[] = {"node", prog, NULL};
    struct ls_proc_result r;
    json_t *report = ls_loopstall_run("50", NULL, cmd, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t n = ls_report_stall_count(report), samples = 0, stopped = 0, i;
    for (size_t k = 0; k < n; k++) {
        json_t *s = ls_report_stall(report, k), *smp;
        json_array_foreach(json_object_get(s, "samples"), i, smp)
        {
            samples++;
            const char *leaf = ls_json_str(json_array_get(smp, 0), "symbol");
            if (json_array_size(smp) == 1 && leaf && strstr(leaf, "sha512_block_data_order"))
                stopped++;
        }
    }
    cr_assert_gt(samples, 0, "no stack samples:%s", ls_describe_stalls(report));
    cr_assert_eq(stopped, 0, "%zu of %zu samples stopped in sha512_block_data_order (one frame)",
                 stopped, samples);
    json_decref(report);
    ls_proc_result_free(&r);
    free(prog);
}
