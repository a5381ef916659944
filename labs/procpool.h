/* procpool.h -- a pool of forked worker processes running the CPU job, fed over socket pairs
 * that the loop watches (the chapter's ProcessPoolExecutor, with async IPC). */
#ifndef LAB_PROCPOOL_H
#define LAB_PROCPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct procpool;

typedef void (*lab_procpool_done_fn)(void *ctx, uint64_t result);

/* Forks n workers that each run lab_cpu_stage(iters, body) per job; done runs on the loop. */
int lab_procpool_start(struct procpool **out, uv_loop_t *loop, unsigned n, uint64_t iters,
                       lab_procpool_done_fn done);
/* Queues one job with len bytes of body (NULL and 0 for none, which must stay valid until done
 * runs for ctx); it goes to the first idle worker. Returns 0 or a negative errno. */
int lab_procpool_submit(struct procpool *p, void *ctx, const void *body, size_t len);
/* Closes the pipes; once the loop has run the closes, the workers see EOF and exit. */
void lab_procpool_stop(struct procpool *p);
/* After the loop ran: reaps the workers and frees the pool. */
void lab_procpool_free(struct procpool *p);

#endif
