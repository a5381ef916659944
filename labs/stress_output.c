/* stress_output.c -- the stress lab's table, CSV, JSON and SVG plot. */
#include <errno.h>
#include <stdio.h>

#include "stress.h"
#include "svgplot.h"

const char *const stress_mode_name[STRESS_NMODES] = {"unbounded", "queued", "bounded"};

static double fail_share(const struct stress_row *w)
{
    return w->sent ? 100.0 * (double)(w->shed + w->refused) / (double)w->sent : 0;
}

/* The first columns keep their places (reports/make-examples.sh reads shed, p99 and threads by
 * position); the shed share and the p99 that counts failures stand right after p99. */
void stress_print_header(FILE *f)
{
    fprintf(f, "%-9s %6s %6s %6s %6s %6s %7s %7s %6s %7s %7s %7s %7s %7s %7s %8s\n", "mode", "load",
            "rate", "sent", "done", "shed", "p50ms", "p99ms", "shed%", "p99fail", "threads",
            "rssMB", "tput/s", "vcsw", "ivcsw", "runqms");
}

void stress_print_row(FILE *f, const struct stress_row *w)
{
    fprintf(f,
            "%-9s %5.2fx %6.0f %6zu %6zu %6zu %7.1f %7.1f %5.1f%% %7.1f %7u %7.1f %7.0f %7llu "
            "%7llu %9.1f %8.1f\n",
            stress_mode_name[w->mode], w->load, w->rate, w->sent, w->done, w->shed + w->refused,
            w->lat.p50, w->lat.p99, fail_share(w), w->p99_failed_ms, w->peak_threads,
            w->peak_rss_mb, w->throughput, (unsigned long long)w->vcsw,
            (unsigned long long)w->ivcsw, w->runq_ms, w->loop_runq_ms);
}

int stress_write_csv(const char *path, const struct stress_row *rows, size_t n)
{
    FILE *f = fopen(path, "we");
    if (!f) return -errno;
    fprintf(f, "mode,load,rate_per_s,sent,done,shed,refused,late,p50_ms,p99_ms,p999_ms,max_ms,"
               "p99_failed_ms,throughput_per_s,vcsw,ivcsw,runqueue_wait_ms,loop_runqueue_wait_ms,"
               "peak_threads,peak_rss_mb\n");
    for (size_t i = 0; i < n; i++) {
        const struct stress_row *w = &rows[i];
        fprintf(f,
                "%s,%.2f,%.1f,%zu,%zu,%zu,%zu,%zu,%.3f,%.3f,%.3f,%.3f,%.3f,%.1f,%llu,%llu,%.1f,"
                "%.1f,%u,%.1f\n",
                stress_mode_name[w->mode], w->load, w->rate, w->sent, w->done, w->shed, w->refused,
                w->late, w->lat.p50, w->lat.p99, w->lat.p999, w->lat.max, w->p99_failed_ms,
                w->throughput, (unsigned long long)w->vcsw, (unsigned long long)w->ivcsw,
                w->runq_ms, w->loop_runq_ms, w->peak_threads, w->peak_rss_mb);
    }
    return fclose(f) ? -errno : 0;
}

static const char *downstream_name(enum lab_downstream_kind k)
{
    return k == LAB_DOWNSTREAM_CPU ? "cpu" : "sleep";
}

/* One top-level member of the sweep's JSON: the configuration, one number a line. */
static void put_number(FILE *f, const char *key, double value)
{
    fprintf(f, "  \"%s\": %g,\n", key, value);
}

int stress_write_json(const char *path, const struct stress_cfg *c, const struct stress_row *rows,
                      size_t n)
{
    FILE *f = fopen(path, "we");
    if (!f) return -errno;
    fprintf(f, "{\n  \"lab\": \"stress\",\n  \"downstream\": \"%s\",\n",
            downstream_name(c->downstream));
    const struct lab_param cfg[] = {{"slots", c->slots},
                                    {"service_ms", c->service_ms},
                                    {"capacity_per_s", stress_capacity(c)},
                                    {"queue", c->queue},
                                    {"timeout_ms", c->timeout_ms},
                                    {"seconds_per_rate", c->seconds},
                                    {"max_threads", c->max_threads},
                                    {"request_kb", c->request_kb},
                                    {"cores", lab_ncpus()}};
    for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++)
        put_number(f, cfg[i].name, cfg[i].value);
    fprintf(f, "  \"rows\": [\n");
    for (size_t i = 0; i < n; i++) {
        const struct stress_row *w = &rows[i];
        fprintf(
            f,
            "    {\"mode\": \"%s\", \"load\": %.2f, \"rate_per_s\": %.1f, \"sent\": %zu, "
            "\"done\": %zu, \"shed\": %zu, \"refused\": %zu, \"late\": %zu, "
            "\"shed_share\": %.4f, \"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, "
            "\"p999\": %.3f, \"max\": %.3f, \"mean\": %.3f}, \"p99_failed_ms\": %.3f, "
            "\"throughput_per_s\": %.1f, \"vcsw\": %llu, \"ivcsw\": %llu, "
            "\"runqueue_wait_ms\": %.1f, \"loop_runqueue_wait_ms\": %.1f, \"peak_threads\": %u, "
            "\"peak_rss_mb\": %.1f}%s\n",
            stress_mode_name[w->mode], w->load, w->rate, w->sent, w->done, w->shed, w->refused,
            w->late, fail_share(w) / 100, w->lat.p50, w->lat.p99, w->lat.p999, w->lat.max,
            w->lat.mean, w->p99_failed_ms, w->throughput, (unsigned long long)w->vcsw,
            (unsigned long long)w->ivcsw, w->runq_ms, w->loop_runq_ms, w->peak_threads,
            w->peak_rss_mb, i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f) ? -errno : 0;
}

int stress_write_svg(const char *path, const struct stress_cfg *c, const struct stress_row *rows,
                     size_t n)
{
    /* One line per mode, and the bounded mode's p99 with its shed requests counted as failures
     * at the timeout, dashed: shedding keeps the served fast, not the shed. */
    static const char *const colors[STRESS_NMODES] = {"#d62728", "#ff7f0e", "#1f77b4"};
    double x[STRESS_NMODES + 1][16], y[STRESS_NMODES + 1][16];
    struct lab_series s[STRESS_NMODES + 1];
    size_t ns = 0, kfail = 0;
    for (int m = 0; m < STRESS_NMODES; m++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].mode != (enum stress_mode)m || k == 16) continue;
            x[m][k] = rows[i].load;
            y[m][k++] = rows[i].lat.p99;
            if (m == STRESS_BOUNDED) {
                x[STRESS_NMODES][kfail] = rows[i].load;
                y[STRESS_NMODES][kfail++] = rows[i].p99_failed_ms;
            }
        }
        if (k) s[ns++] = (struct lab_series){stress_mode_name[m], colors[m], x[m], y[m], k, 0};
    }
    if (kfail)
        s[ns++] = (struct lab_series){"bounded, shed counted as the timeout",
                                      colors[STRESS_BOUNDED],
                                      x[STRESS_NMODES],
                                      y[STRESS_NMODES],
                                      kfail,
                                      1};
    char title[128], label[64];
    if (c->downstream == LAB_DOWNSTREAM_CPU)
        snprintf(title, sizeof(title), "p99 vs offered load: %g ms of CPU per request, %u cores",
                 c->service_ms, c->slots);
    else
        snprintf(title, sizeof(title), "p99 vs offered load: downstream of %u slots x %g ms",
                 c->slots, c->service_ms);
    snprintf(label, sizeof(label), "service time %g ms", c->service_ms);
    return lab_svg_plot(path, title, "offered load (x capacity)", "p99 latency, ms (log)", s, ns,
                        c->service_ms, label);
}
