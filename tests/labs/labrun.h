/* labrun.h -- runs a lab binary in quick mode and returns the JSON result it wrote. */
#ifndef LABRUN_H
#define LABRUN_H

#include <jansson.h>

/* Runs LS_BIN_DIR/bin variant --quick [extra...] --json DIR/x.json; asserts it exits 0 and
 * returns the loaded result (caller json_decref's it). extra is NULL-terminated or NULL. */
json_t *lab_run(const char *bin, const char *variant, const char *const extra[]);

/* The lab's throughput (rate_per_s) and a number under latency_ms. */
double lab_rate(json_t *r);
double lab_latency(json_t *r, const char *key);
/* A number reached by a dotted path of object keys, e.g. "params.peak_queue"; asserts it is there.
 */
double lab_num(json_t *r, const char *path);

/* The stress row for mode at load (within 0.01); asserts it exists. */
json_t *lab_stress_row(json_t *r, const char *mode, double load);

#endif
