/* cpu_job.h -- a fixed, deterministic CPU job (about 10 ms) and its calibration. */
#ifndef LAB_CPU_JOB_H
#define LAB_CPU_JOB_H

#include <stddef.h>
#include <stdint.h>

/* Runs iters rounds of integer mixing and returns the checksum. Never inlined, so that a stack
 * taken while it runs names it: loopstall's report must show lab_cpu_job as the culprit. */
uint64_t lab_cpu_job(uint64_t iters);

/* The CPU stage of the mixed lab: the job, with a fetched body folded into its checksum so that
 * the body must really reach whoever runs it (a worker process included). */
uint64_t lab_cpu_stage(uint64_t iters, const unsigned char *body, size_t len);

/* Picks the iteration count that takes about target_ms of CPU on this machine, timed on the
 * thread's CPU clock so that a neighbour taking the CPU meanwhile does not make the job shorter
 * than asked, the fastest of several tries; stores the measured CPU cost of one job in *cost_ms. */
uint64_t lab_cpu_calibrate(double target_ms, double *cost_ms);

#endif
