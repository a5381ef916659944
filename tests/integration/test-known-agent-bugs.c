/* test-known-agent-bugs.c -- agent bugs found from the report side, each a test that fails until
 * the agent is fixed (label known_bug). They are described in the frames branch's report. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ls_test.h"

/* A stack sample taken while the loop thread ran OpenSSL's sha512 assembly in node
 * (sha512_block_data_order_avx2; its CFA is a DW_CFA_def_cfa_expression on a saved rsp) holds
 * that one frame: the walk goes no further, so the sample cannot name the JavaScript function
 * that called pbkdf2Sync. Every sample of a stall should reach its callers. */
Test(known_agent_bugs, a_sample_in_openssl_sha512_assembly_walks_out_to_its_callers)
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
