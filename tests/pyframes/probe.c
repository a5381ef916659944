/* probe.c -- libpyprobe.so: the agent's Python frame reading, driven from Python for the tests.
 *
 * A test script loads this library with ctypes.CDLL, so every call arrives with the GIL
 * released, exactly as the agent's wrappers see a blocking call. Each call answers in text, one
 * tab-separated record per line, which the Criterion tests parse:
 *   detect  ok|refused  VERSION|REASON  [PROVEN]  PROVEN: frames the self-check named
 *   eval    START  END  COLD_START  COLD_END    _PyEval_EvalFrameDefault as the layout has it
 *   tstate  0xADDR                          what ls_py_thread_state gave, GIL released
 *   py      I  QUALNAME  FILE  LINE  ENTRY  one frame, innermost first
 *   native  I  SYMBOL  IN_EVAL              one native frame (backtrace), innermost first
 *   merge   I  n|p  INDEX                   one slot of ls_py_merge's answer
 *   sample  K  DEPTH                        one signal-context capture, then its frames as
 *   s       K  I  QUALNAME  FILE  LINE
 *   check   RC  REASON                      ls_py_layout_check on a deliberately broken layout
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "pyframes.h"
#include "python.h"

static const struct ls_mem self_mem = {.read = ls_mem_read_pid, .ctx = NULL};

static struct ls_py_layout layout;
static int detect_rc = 1; /* 1: not tried yet; else ls_py_detect's answer, kept like the agent */
static char detect_why[256];
static uint64_t detect_ns; /* how long that one ls_py_detect took */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Appends formatted text to a caller's buffer, always NUL-terminated, silently truncated. */
struct text {
    char *buf;
    size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    if (t->used + 1 >= t->len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
    va_end(ap);
    if (n > 0) t->used += (size_t)n < t->len - t->used ? (size_t)n : t->len - t->used - 1;
}

/* Detects once per process, and says what it found. 0 when frames can be read. */
static int ensure_layout(struct text *t)
{
    if (detect_rc == 1) {
        uint64_t t0 = now_ns();
        detect_rc = ls_py_detect(&layout, detect_why, sizeof detect_why);
        detect_ns = now_ns() - t0;
    }
    if (detect_rc != 0)
        put(t, "detect\trefused\t%s\n", detect_why);
    else
        put(t, "detect\tok\t0x%08x\t%d\neval\t0x%llx\t0x%llx\t0x%llx\t0x%llx\n", layout.version,
            layout.proven_frames, (unsigned long long)layout.eval_start,
            (unsigned long long)layout.eval_end, (unsigned long long)layout.cold_start,
            (unsigned long long)layout.cold_end);
    return detect_rc;
}

static void put_frames(struct text *t, const struct ls_py_layout *L, const struct ls_py_raw *f,
                       int n)
{
    for (int i = 0; i < n; i++) {
        char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
        int line, rc = ls_py_describe(L, &self_mem, &f[i], q, sizeof q, file, sizeof file, &line);
        if (rc != 0)
            put(t, "py\t%d\t?describe=%d\t?\t-1\t%d\n", i, rc, f[i].entry);
        else
            put(t, "py\t%d\t%s\t%s\t%d\t%d\n", i, q, file, line, f[i].entry);
    }
}

/* The calling thread's Python stack, as the agent takes it when a blocking call returns. */
PROBE_EXPORT int pyprobe_stack(char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    buf[0] = '\0';
    if (ensure_layout(&t) != 0) return -1;
    uint64_t tstate = ls_py_thread_state(&layout);
    struct ls_py_raw f[LS_PY_MAX_FRAMES];
    int n = ls_py_capture(&layout, &self_mem, tstate, f, LS_PY_MAX_FRAMES);
    put(&t, "tstate\t0x%llx\n", (unsigned long long)tstate);
    put_frames(&t, &layout, f, n);
    return n;
}

/* The native stack (glibc's backtrace, fine in a test library) and the Python one, taken at
 * the same instant, and how ls_py_merge puts them together. */
PROBE_EXPORT int pyprobe_merged(char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    buf[0] = '\0';
    if (ensure_layout(&t) != 0) return -1;
    void *raw[128];
    int nips = backtrace(raw, 128);
    uint64_t ips[128];
    struct ls_py_raw f[LS_PY_MAX_FRAMES];
    int n = ls_py_capture(&layout, &self_mem, ls_py_thread_state(&layout), f, LS_PY_MAX_FRAMES);
    for (int i = 0; i < nips; i++) {
        /* Return addresses, stored as the agent stores them: the call is the byte before. */
        ips[i] = (uint64_t)(uintptr_t)raw[i] - 1;
        Dl_info info;
        const char *name = dladdr(raw[i], &info) && info.dli_sname ? info.dli_sname : "?";
        put(&t, "native\t%d\t%s\t%d\n", i, name, ls_py_is_eval(&layout, ips[i]));
    }
    put_frames(&t, &layout, f, n);
    struct ls_py_slot slots[128 + LS_PY_MAX_FRAMES];
    int ns = ls_py_merge(&layout, ips, nips, f, n, slots, (int)(sizeof slots / sizeof slots[0]));
    for (int i = 0; i < ns; i++)
        put(&t, "merge\t%d\t%c\t%d\n", i, slots[i].python ? 'p' : 'n', slots[i].index);
    return ns;
}

/* The CPU variant: a thread-CPU-time timer signals this thread, and the handler captures the
 * Python frames in signal context, as the agent's sampler will. */
#define SAMPLES_MAX 2048

struct sample {
    int n;
    struct ls_py_raw f[LS_PY_MAX_FRAMES];
};

static struct sample samples[SAMPLES_MAX];
static volatile sig_atomic_t nsamples;
static uint64_t sample_tstate;
static timer_t sample_timer;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    int saved = errno;
    int k = nsamples;
    if (k < SAMPLES_MAX) {
        samples[k].n =
            ls_py_capture(&layout, &self_mem, sample_tstate, samples[k].f, LS_PY_MAX_FRAMES);
        nsamples = k + 1;
    }
    errno = saved;
}

PROBE_EXPORT int pyprobe_sample_start(int period_us)
{
    char scratch[512];
    struct text t = {scratch, sizeof scratch, 0};
    if (ensure_layout(&t) != 0) return -1;
    /* Cached before sampling, as the agent caches it when a loop thread registers. */
    sample_tstate = ls_py_thread_state(&layout);
    nsamples = 0;
    int sig = SIGRTMIN + 5;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_tick;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) return -errno;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = sig;
    sev._sigev_un._tid = gettid();
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &sample_timer) != 0) return -errno;
    struct itimerspec its = {
        .it_interval = {.tv_sec = 0, .tv_nsec = (long)period_us * 1000},
        .it_value = {.tv_sec = 0, .tv_nsec = (long)period_us * 1000},
    };
    if (timer_settime(sample_timer, 0, &its, NULL) != 0) return -errno;
    return 0;
}

PROBE_EXPORT int pyprobe_sample_stop(char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    buf[0] = '\0';
    timer_delete(sample_timer);
    int taken = nsamples;
    put(&t, "samples\t%d\n", taken);
    for (int k = 0; k < taken; k++) {
        put(&t, "sample\t%d\t%d\n", k, samples[k].n);
        for (int i = 0; i < samples[k].n; i++) {
            char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
            int line, rc = ls_py_describe(&layout, &self_mem, &samples[k].f[i], q, sizeof q, file,
                                          sizeof file, &line);
            if (rc != 0) snprintf(q, sizeof q, "?describe=%d", rc);
            put(&t, "s\t%d\t%d\t%s\t%s\t%d\n", k, i, q, file, line);
        }
    }
    return taken;
}

/* A reader over one caller buffer, for the line-table check: the decoder is the same one
 * describe uses, without a system call per refill. */
struct buffer_mem {
    const unsigned char *p;
    size_t len;
};

static ssize_t read_buffer(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const struct buffer_mem *b = ctx;
    uint64_t base = (uint64_t)(uintptr_t)b->p;
    if (addr < base || addr - base > b->len) return -1;
    size_t have = b->len - (size_t)(addr - base);
    if (len > have) len = have;
    memcpy(buf, b->p + (addr - base), len);
    return (ssize_t)len;
}

/* The line of every instruction 0..units-1 of one co_linetable, into lines[]. */
PROBE_EXPORT void pyprobe_lines(const unsigned char *table, size_t len, int firstlineno, int units,
                                int *lines)
{
    struct buffer_mem b = {table, len};
    struct ls_mem m = {.read = read_buffer, .ctx = &b};
    for (int i = 0; i < units; i++)
        lines[i] = ls_py_line(&m, (uint64_t)(uintptr_t)table, len, firstlineno, i);
}

/* The fields a test may break on purpose, by name. */
static const struct {
    const char *name;
    size_t off;
} fields[] = {
    {"ts_frame", offsetof(struct ls_py_layout, ts_frame)},
    {"fr_code", offsetof(struct ls_py_layout, fr_code)},
    {"fr_previous", offsetof(struct ls_py_layout, fr_previous)},
    {"fr_instr", offsetof(struct ls_py_layout, fr_instr)},
    {"co_qualname", offsetof(struct ls_py_layout, co_qualname)},
    {"co_linetable", offsetof(struct ls_py_layout, co_linetable)},
    {"str_ascii_data", offsetof(struct ls_py_layout, str_ascii_data)},
};

/* The stack read with one layout offset moved by delta bytes: the self-check must refuse it,
 * and capture and describe must still come back without a crash. */
PROBE_EXPORT int pyprobe_stack_broken(const char *field, int delta, char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    buf[0] = '\0';
    if (ensure_layout(&t) != 0) return -1;
    struct ls_py_layout broken = layout;
    size_t i = 0;
    while (i < sizeof fields / sizeof fields[0] && strcmp(fields[i].name, field) != 0)
        i++;
    if (i == sizeof fields / sizeof fields[0]) {
        put(&t, "check\t%d\tunknown field %s\n", -EINVAL, field);
        return -EINVAL;
    }
    uint16_t v;
    memcpy(&v, (char *)&broken + fields[i].off, sizeof v);
    v = (uint16_t)(v + delta);
    memcpy((char *)&broken + fields[i].off, &v, sizeof v);
    /* As ls_py_layout_offsets would size the frame read for such a layout. */
    uint16_t ends[] = {broken.fr_code + 8, broken.fr_previous + 8, broken.fr_instr + 8,
                       broken.fr_owner + 1, broken.fr_is_entry + 1};
    broken.fr_size = 0;
    for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++)
        if (ends[k] > broken.fr_size) broken.fr_size = ends[k];
    uint64_t tstate = ls_py_thread_state(&broken);
    char why[256];
    /* This thread is inside a call from Python: it must have frames. */
    int rc = ls_py_layout_check(&broken, &self_mem, tstate, 1, NULL, why, sizeof why);
    put(&t, "check\t%d\t%s\n", rc, why);
    struct ls_py_raw f[LS_PY_MAX_FRAMES];
    int n = ls_py_capture(&broken, &self_mem, tstate, f, LS_PY_MAX_FRAMES);
    put_frames(&t, &broken, f, n);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Times capture alone and capture plus describing every frame, rounds times, on this thread,
 * with the reader asking for the pid each time (ctx NULL) and with a cached one:
 * "bench getpid|cached DEPTH CAPTURE_P50_NS CAPTURE_P90_NS FULL_P50_NS FULL_P90_NS", after
 * "detect_ns NS", the time the one ls_py_detect of this process took. */
static int bench_with(const struct ls_mem *m, const char *label, int rounds, struct text *t);

PROBE_EXPORT int pyprobe_bench(int rounds, char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    buf[0] = '\0';
    if (ensure_layout(&t) != 0) return -1;
    static pid_t pid;
    pid = getpid();
    struct ls_mem cached = {.read = ls_mem_read_pid, .ctx = &pid};
    put(&t, "detect_ns\t%llu\n", (unsigned long long)detect_ns);
    bench_with(&self_mem, "getpid", rounds, &t);
    return bench_with(&cached, "cached", rounds, &t);
}

static int bench_with(const struct ls_mem *m, const char *label, int rounds, struct text *t)
{
    static uint64_t cap[100000], full[100000];
    if (rounds > 100000) rounds = 100000;
    if (rounds < 1) rounds = 1;
    uint64_t tstate = ls_py_thread_state(&layout);
    int depth = 0;
    for (int r = 0; r < rounds; r++) {
        struct ls_py_raw f[LS_PY_MAX_FRAMES];
        char q[LS_PY_NAME_MAX], file[LS_PY_NAME_MAX];
        int line;
        uint64_t t0 = now_ns();
        depth = ls_py_capture(&layout, m, tstate, f, LS_PY_MAX_FRAMES);
        uint64_t t1 = now_ns();
        for (int i = 0; i < depth; i++)
            ls_py_describe(&layout, m, &f[i], q, sizeof q, file, sizeof file, &line);
        uint64_t t2 = now_ns();
        cap[r] = t1 - t0;
        full[r] = t2 - t0;
    }
    qsort(cap, (size_t)rounds, sizeof cap[0], cmp_u64);
    qsort(full, (size_t)rounds, sizeof full[0], cmp_u64);
    put(t, "bench\t%s\t%d\t%llu\t%llu\t%llu\t%llu\n", label, depth,
        (unsigned long long)cap[rounds / 2], (unsigned long long)cap[rounds * 9 / 10],
        (unsigned long long)full[rounds / 2], (unsigned long long)full[rounds * 9 / 10]);
    return depth;
}
