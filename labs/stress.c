/* stress.c -- stress lab: requests at a fixed rate against a downstream of limited capacity,
 * offloaded to a thread per request (unbounded), to a fixed pool with an unbounded queue
 * (queued) or to a fixed pool with a bounded queue that sheds the excess (bounded), swept from a
 * quarter to three times the capacity. The downstream sleeps holding one of K slots, or burns
 * real CPU, where a thread per request becomes hundreds of threads sharing the cores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_job.h"
#include "stress.h"

static void parse_loads(struct stress_cfg *c, const char *arg)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", arg);
    c->nloads = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok && c->nloads < 16;
         tok = strtok_r(NULL, ",", &save))
        c->loads[c->nloads++] = lab_parse_double("--loads", tok, 0.05, 20);
}

static enum lab_downstream_kind parse_downstream(const char *arg)
{
    if (!strcmp(arg, "sleep")) return LAB_DOWNSTREAM_SLEEP;
    if (!strcmp(arg, "cpu")) return LAB_DOWNSTREAM_CPU;
    fprintf(stderr, "--downstream: expected sleep or cpu, got '%s'\n", arg);
    exit(2);
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: lab-stress unbounded|queued|bounded|both|all [--downstream sleep|cpu]\n"
           "       [--slots K] [--service-ms MS] [--queue Q] [--timeout-ms T] [--seconds S]\n"
           "       [--loads L1,L2,...] [--max-threads N] [--request-kb KB] [--quick]\n"
           "       [--json FILE] [--csv FILE] [--svg FILE]\n"
           "  Requests arrive at load x capacity (K / service time) for S seconds each; latency\n"
           "  counts from the intended send time; each accepted request holds KB of state.\n"
           "  unbounded: a thread per request; queued: K threads, unbounded queue; bounded: K\n"
           "  threads, a queue of Q that sheds; both: unbounded and bounded; all: the three.\n"
           "  sleep: the downstream has K slots and sleeps MS per call (K=8 by default); cpu:\n"
           "  every call burns MS of CPU, no slots (K=cores by default). A request shed,\n"
           "  refused or served after T ms counts as a failure at T in p99fail.\n"
           "  Defaults: 10 ms, Q=K, T=1000, S=1.5, 64 KB, loads 0.25,0.5,0.75,1,1.25,1.5,2,2.5,3,\n"
           "  safety limit 4000 threads. --quick: S=0.4, loads 0.5,1,1.5,2.\n");
}

int main(int argc, char **argv)
{
    /* Each variant is a set of modes: bit 1 << enum stress_mode. */
    static const char *const names[] = {"unbounded", "queued", "bounded", "both", "all"};
    static const int sets[] = {1 << STRESS_UNBOUNDED, 1 << STRESS_QUEUED, 1 << STRESS_BOUNDED,
                               1 << STRESS_UNBOUNDED | 1 << STRESS_BOUNDED,
                               (1 << STRESS_NMODES) - 1};
    int status, vi = lab_variant(argc, argv, "lab-stress", names, 5, usage, &status);
    if (vi < 0) return status;
    const char *variant = argv[1];
    struct stress_cfg c = {.max_threads = 4000,
                           .request_kb = 64,
                           .service_ms = 10,
                           .timeout_ms = 1000,
                           .seconds = 1.5};
    const char *json = NULL, *csv = NULL, *svg = NULL, *loads = NULL, *downstream = "sleep";
    int quick = 0, secs_set = 0;
    const struct lab_opt opts[] = {{"downstream", LAB_STRING, &downstream, 0, 0, NULL},
                                   {"slots", LAB_UINT, &c.slots, 1, 256, NULL},
                                   {"service-ms", LAB_DOUBLE, &c.service_ms, 0.1, 1000, NULL},
                                   {"queue", LAB_UINT, &c.queue, 1, 100000, NULL},
                                   {"timeout-ms", LAB_DOUBLE, &c.timeout_ms, 1, 600000, NULL},
                                   {"seconds", LAB_DOUBLE, &c.seconds, 0.05, 60, &secs_set},
                                   {"loads", LAB_STRING, &loads, 0, 0, NULL},
                                   {"max-threads", LAB_UINT, &c.max_threads, 16, 4000, NULL},
                                   {"request-kb", LAB_UINT, &c.request_kb, 0, 256, NULL},
                                   {"quick", LAB_FLAG, &quick, 0, 0, NULL},
                                   {"json", LAB_STRING, &json, 0, 0, NULL},
                                   {"csv", LAB_STRING, &csv, 0, 0, NULL},
                                   {"svg", LAB_STRING, &svg, 0, 0, NULL},
                                   {NULL, 0, NULL, 0, 0, NULL}};
    if (lab_options(argc, argv, 2, opts, usage, &status) < 0) return status;
    c.downstream = parse_downstream(downstream);
    /* A CPU-bound downstream's slots are the cores: more pool threads would only share them. */
    if (!c.slots) c.slots = c.downstream == LAB_DOWNSTREAM_CPU ? lab_ncpus() : 8;
    if (!c.queue) c.queue = c.slots;
    if (quick && !secs_set) c.seconds = 0.4;
    parse_loads(&c, loads ? loads : quick ? "0.5,1,1.5,2" : "0.25,0.5,0.75,1,1.25,1.5,2,2.5,3");
    if (c.downstream == LAB_DOWNSTREAM_CPU) {
        double cost_ms;
        c.cpu_iters = lab_cpu_calibrate(c.service_ms, &cost_ms);
        fprintf(stderr, "lab-stress: lab_cpu_job(%llu) takes %.2f ms here\n",
                (unsigned long long)c.cpu_iters, cost_ms);
    }

    if (c.downstream == LAB_DOWNSTREAM_CPU)
        printf("stress %s: downstream burns %gms of CPU per request on K=%u of %u cores = %.0f "
               "req/s capacity, queue %u, timeout %gms, %.1fs per load\n",
               variant, c.service_ms, c.slots, lab_ncpus(), stress_capacity(&c), c.queue,
               c.timeout_ms, c.seconds);
    else
        printf("stress %s: downstream %u slots x %gms = %.0f req/s capacity, queue %u, timeout "
               "%gms, %.1fs per load\n",
               variant, c.slots, c.service_ms, stress_capacity(&c), c.queue, c.timeout_ms,
               c.seconds);
    stress_print_header(stdout);
    fflush(stdout);
    struct stress_row rows[STRESS_NMODES * 16];
    size_t n = 0;
    /* Bounded first, then queued: RSS is the process's, and what the unbounded runs leave behind
     * (thread stacks glibc keeps, heap it does not return) would otherwise be charged to them. */
    for (int m = STRESS_BOUNDED; m >= STRESS_UNBOUNDED; m--) {
        if (!(sets[vi] & (1 << m))) continue;
        for (size_t i = 0; i < c.nloads; i++) {
            int rc = stress_run(&c, (enum stress_mode)m, c.loads[i], &rows[n]);
            if (rc < 0) {
                fprintf(stderr, "lab-stress: %s\n", strerror(-rc));
                return 1;
            }
            stress_print_row(stdout, &rows[n++]);
            fflush(stdout);
        }
    }
    int rc = 0;
    if (json && (rc = stress_write_json(json, &c, rows, n)) < 0)
        fprintf(stderr, "lab-stress: %s: %s\n", json, strerror(-rc));
    if (csv && (rc = stress_write_csv(csv, rows, n)) < 0)
        fprintf(stderr, "lab-stress: %s: %s\n", csv, strerror(-rc));
    if (svg && (rc = stress_write_svg(svg, &c, rows, n)) < 0)
        fprintf(stderr, "lab-stress: %s: %s\n", svg, strerror(-rc));
    return rc < 0;
}
