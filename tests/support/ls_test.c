/* ls_test.c -- run programs and read loopstall reports for the integration tests. */
#include "ls_test.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_append(struct buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        cr_assert_not_null(b->data);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

char **ls_env_with(char *const extra[])
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (extra && extra[k])
        k++;
    char **env = calloc(n + k + 1, sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        /* An extra entry replaces the inherited one of the same name. */
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int replaced = 0;
        for (size_t j = 0; j < k; j++)
            if (strncmp(extra[j], environ[i], nl) == 0 && extra[j][nl] == '=') replaced = 1;
        if (!replaced) env[m++] = environ[i];
    }
    for (size_t j = 0; j < k; j++)
        env[m++] = extra[j];
    env[m] = NULL;
    return env;
}

struct ls_proc_result ls_run_argv(char *const argv[], char *const env_extra[], int timeout_s)
{
    int out[2], err[2];
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
    char **env = ls_env_with(env_extra);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork failed");
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        setpgid(0, 0);
        execvpe(argv[0], argv, env);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free(env);
    close(out[1]);
    close(err[1]);
    struct buf bo = {0}, be = {0};
    buf_append(&bo, "", 0);
    buf_append(&be, "", 0);
    struct pollfd pf[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    int open_fds = 2, timed_out = 0;
    while (open_fds > 0) {
        uint64_t now = now_ms();
        if (now >= deadline) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            break;
        }
        int r = poll(pf, 2, (int)(deadline - now));
        if (r < 0 && errno == EINTR) continue;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char tmp[4096];
            ssize_t n = read(pf[i].fd, tmp, sizeof tmp);
            if (n <= 0) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
            } else {
                buf_append(i == 0 ? &bo : &be, tmp, (size_t)n);
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    for (int i = 0; i < 2; i++)
        if (pf[i].fd >= 0) close(pf[i].fd);
    cr_assert(!timed_out, "%s ran past %d s; stderr so far:\n%s", argv[0], timeout_s, be.data);
    struct ls_proc_result r = {.out = bo.data, .err = be.data};
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

void ls_proc_result_free(struct ls_proc_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char *ls_tmpdir(void)
{
    char *dir = strdup("/tmp/loopstall-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    return dir;
}

void ls_tmpdir_cleanup(char *dir)
{
    if (!dir) return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

const char *ls_loopstall_bin(void)
{
    return LS_BIN_DIR "/loopstall";
}

const char *ls_agent_path(void)
{
    return LS_LIB_DIR "/libloopstall.so";
}

char *ls_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *ls_target(const char *name)
{
    return ls_path_join(LS_TARGETS_DIR, name);
}

json_t *ls_load_json(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    cr_assert_not_null(j, "cannot load %s: %s (line %d)", path, e.text, e.line);
    return j;
}

json_t *ls_report_process(json_t *report, int index)
{
    return json_array_get(json_object_get(report, "processes"), (size_t)index);
}

static json_t *nth_in_processes(json_t *report, const char *field, size_t index, size_t *count)
{
    json_t *procs = json_object_get(report, "processes");
    size_t i, seen = 0;
    json_t *p;
    json_array_foreach(procs, i, p)
    {
        json_t *arr = json_object_get(p, field);
        size_t n = json_array_size(arr);
        if (index < seen + n) return json_array_get(arr, index - seen);
        seen += n;
    }
    if (count) *count = seen;
    return NULL;
}

size_t ls_report_stall_count(json_t *report)
{
    size_t n = 0;
    nth_in_processes(report, "stalls", SIZE_MAX, &n);
    return n;
}

json_t *ls_report_stall(json_t *report, size_t index)
{
    return nth_in_processes(report, "stalls", index, NULL);
}

size_t ls_report_loop_count(json_t *report)
{
    size_t n = 0;
    nth_in_processes(report, "loops", SIZE_MAX, &n);
    return n;
}

uint64_t ls_json_u64(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

const char *ls_json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *ls_stall_culprit(json_t *stall)
{
    return ls_json_str(json_array_get(json_object_get(stall, "calls"), 0), "fn");
}

static int stack_has(json_t *stack, const char *sym)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *s = ls_json_str(f, "symbol");
        if (s && strstr(s, sym)) return 1;
    }
    return 0;
}

int ls_stall_has_symbol(json_t *stall, const char *sym)
{
    if (stack_has(json_object_get(stall, "stack"), sym)) return 1;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(stall, "calls"), i, c)
    {
        if (stack_has(json_object_get(c, "stack"), sym)) return 1;
    }
    json_array_foreach(json_object_get(stall, "samples"), i, c)
    {
        if (stack_has(c, sym)) return 1;
    }
    return 0;
}

static json_t *interp_frame_in(json_t *stack, const char *lang, const char *symbol)
{
    size_t i;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *l = json_string_value(json_object_get(f, "lang"));
        const char *s = json_string_value(json_object_get(f, "symbol"));
        if (l && s && !strcmp(l, lang) && !strcmp(s, symbol)) return f;
    }
    return NULL;
}

json_t *ls_stall_interp_frame(json_t *stall, const char *lang, const char *symbol)
{
    json_t *call = json_array_get(json_object_get(stall, "calls"), 0), *f;
    if (call && (f = interp_frame_in(json_object_get(call, "stack"), lang, symbol))) return f;
    if ((f = interp_frame_in(json_object_get(stall, "stack"), lang, symbol))) return f;
    size_t i;
    json_t *sample;
    json_array_foreach(json_object_get(stall, "samples"), i, sample)
    {
        if ((f = interp_frame_in(sample, lang, symbol))) return f;
    }
    return NULL;
}

const char *ls_require_program(const char *name)
{
    static char found[4096];
    const char *path = getenv("PATH");
    cr_assert_not_null(path);
    char *copy = strdup(path), *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/%s", d, name);
        if (access(found, X_OK) == 0) {
            free(copy);
            return found;
        }
    }
    free(copy);
    cr_assert_fail("%s is required by this test and is not installed: run scripts/setup.sh", name);
    return NULL;
}

json_t *ls_loopstall_run(const char *threshold_ms, char *const opts[], char *const cmd[],
                         struct ls_proc_result *res)
{
    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "report.json");
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)ls_loopstall_bin();
    argv[n++] = "run";
    argv[n++] = "-q";
    argv[n++] = "-t";
    argv[n++] = (char *)threshold_ms;
    argv[n++] = "--json";
    argv[n++] = json;
    for (int i = 0; opts && opts[i] && n < 40; i++)
        argv[n++] = opts[i];
    argv[n++] = "--";
    for (int i = 0; cmd[i] && n < 63; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    struct ls_proc_result r = ls_run_argv(argv, NULL, 120);
    json_t *report = ls_load_json(json);
    if (res)
        *res = r;
    else
        ls_proc_result_free(&r);
    free(json);
    ls_tmpdir_cleanup(dir);
    return report;
}

void ls_preload_env(struct ls_preload_env *e, const char *dir, char *extra)
{
    snprintf(e->preload, sizeof e->preload, "LD_PRELOAD=%s", ls_agent_path());
    snprintf(e->out, sizeof e->out, "LOOPSTALL_OUT=%s", dir);
    e->env[0] = e->preload;
    e->env[1] = e->out;
    e->env[2] = extra;
    e->env[3] = NULL;
}

const char *ls_describe_stalls(json_t *report)
{
    static char text[4096];
    size_t used = 0, n = ls_report_stall_count(report);
    text[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof text - 1; i++) {
        json_t *s = ls_report_stall(report, i);
        json_t *c = json_array_get(json_object_get(s, "calls"), 0);
        int w =
            snprintf(text + used, sizeof text - used,
                     "\n  tid %llu: %.1f ms %s (%.1f cpu, %.1f run queue, %.1f in calls), %s %s",
                     (unsigned long long)ls_json_u64(s, "tid"), ls_json_u64(s, "wall_ns") / 1e6,
                     ls_json_str(s, "class"), ls_json_u64(s, "cpu_ns") / 1e6,
                     ls_json_u64(s, "runq_ns") / 1e6, ls_json_u64(s, "blocked_ns") / 1e6,
                     c ? ls_json_str(c, "fn") : "no call",
                     c && ls_json_str(c, "target") ? ls_json_str(c, "target") : "");
        used += w > 0 ? (size_t)w : 0;
    }
    return text;
}

json_t *ls_report_loop_of_tid(json_t *report, uint64_t tid)
{
    json_t *loops = json_object_get(ls_report_process(report, 0), "loops");
    for (size_t i = 0; i < json_array_size(loops); i++)
        if (ls_json_u64(json_array_get(loops, i), "tid") == tid) return json_array_get(loops, i);
    return NULL;
}

struct ls_proc_result ls_cli(char *const args[], int timeout_s)
{
    char *argv[64] = {(char *)ls_loopstall_bin()};
    int n = 1;
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return ls_run_argv(argv, NULL, timeout_s);
}

char *ls_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    char *buf = NULL;
    size_t len = 0;
    if (getdelim(&buf, &len, '\0', f) < 0) {
        free(buf);
        buf = strdup("");
    }
    fclose(f);
    return buf;
}

void ls_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0, "writing %s", path);
}

void ls_assert_valid_sarif(const char *path)
{
    char *argv[] = {"/usr/bin/python3", LS_SOURCE_DIR "/tests/schemas/validate.py",
                    LS_SOURCE_DIR "/tests/schemas/sarif-schema-2.1.0.json", (char *)path, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 60);
    cr_assert_eq(r.status, 0, "%s does not validate:\n%s%s", path, r.out, r.err);
    cr_assert(strstr(r.out, ": 0 schema errors"), "%s", r.out);
    ls_proc_result_free(&r);
}
