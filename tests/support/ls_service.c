/* ls_service.c -- ports, background processes, daemons and small clients for the service tests. */
#include "ls_service.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ls_test.h"

/* Every group ls_spawn started and every daemon tracked, for ls_service_kill_all. Criterion runs
 * each test in a process of its own, so these start empty in every test. */
#define MAX_OWNED 32
static pid_t groups[MAX_OWNED], daemons[MAX_OWNED];
static int ngroups, ndaemons, npidfiles;
static char *pidfiles[MAX_OWNED];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int ls_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

pid_t ls_spawn(char *const argv[], char *const env_extra[], const char *dir, const char *name)
{
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/%s.out", dir, name);
    snprintf(err, sizeof err, "%s/%s.err", dir, name);
    char **env = ls_env_with(env_extra);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || n < 0) _exit(126);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        execvpe(argv[0], argv, env);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free(env);
    setpgid(pid, pid); /* also here: the group exists before anyone signals it */
    if (ngroups < MAX_OWNED) groups[ngroups++] = pid;
    return pid;
}

int ls_wait_exit(pid_t pid, int timeout_s)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        cr_assert(w == 0 || errno == EINTR, "waitpid %d: %s", (int)pid, strerror(errno));
        if (now_ms() >= deadline)
            cr_assert_fail("process %d did not exit within %d s", (int)pid, timeout_s);
        sleep_ms(20);
    }
    for (int i = 0; i < ngroups; i++)
        if (groups[i] == pid) groups[i] = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ls_service_track(pid_t pid)
{
    if (pid > 0 && ndaemons < MAX_OWNED) daemons[ndaemons++] = pid;
}

void ls_service_track_pidfile(const char *path)
{
    if (npidfiles < MAX_OWNED) pidfiles[npidfiles++] = strdup(path);
}

void ls_service_kill_all(void)
{
    for (int i = 0; i < npidfiles; i++) {
        char *text = ls_file_text(pidfiles[i]);
        long pid = strtol(text, NULL, 10);
        if (pid > 0) kill((pid_t)pid, SIGKILL);
        free(text);
        free(pidfiles[i]);
    }
    npidfiles = 0;
    for (int i = 0; i < ndaemons; i++)
        if (daemons[i] > 0) kill(daemons[i], SIGKILL);
    for (int i = 0; i < ngroups; i++) {
        if (groups[i] <= 0) continue;
        kill(-groups[i], SIGKILL);
        waitpid(groups[i], NULL, 0);
    }
    ngroups = ndaemons = 0;
}

int ls_wait_gone(pid_t pid, int timeout_s)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    while (kill(pid, 0) == 0 || errno != ESRCH) {
        /* A zombie of ours still answers kill(0): reap it if it is our child. */
        if (waitpid(pid, NULL, WNOHANG) == pid) return 1;
        if (now_ms() >= deadline) return 0;
        sleep_ms(20);
    }
    return 1;
}

pid_t ls_read_pidfile(const char *path, int timeout_s)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    for (;;) {
        char *text = ls_file_text(path);
        long pid = strtol(text, NULL, 10);
        free(text);
        if (pid > 0) {
            ls_service_track((pid_t)pid);
            return (pid_t)pid;
        }
        if (now_ms() >= deadline) cr_assert_fail("no pid in %s after %d s", path, timeout_s);
        sleep_ms(20);
    }
}

static int try_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void ls_wait_listening(int port, pid_t watch, int timeout_s, const char *what, const char *log)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    for (;;) {
        int fd = try_connect(port);
        if (fd >= 0) {
            close(fd);
            return;
        }
        int st;
        int exited = watch > 0 && waitpid(watch, &st, WNOHANG) == watch;
        if (exited || now_ms() >= deadline) {
            char *text = log ? ls_file_text(log) : strdup("");
            cr_assert_fail("%s never listened on 127.0.0.1:%d (%s); its log:\n%s", what, port,
                           exited ? "it exited" : "timed out", text);
        }
        sleep_ms(25);
    }
}

int ls_tcp_connect(int port)
{
    int fd = try_connect(port);
    cr_assert_geq(fd, 0, "cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

int ls_local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

static int ends_with(const char *s, size_t n, const char *end)
{
    size_t e = strlen(end);
    return n >= e && memcmp(s + n - e, end, e) == 0;
}

char *ls_tcp_exchange(int fd, const char *request, const char *end)
{
    size_t len = strlen(request), sent = 0;
    while (sent < len) {
        ssize_t w = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        cr_assert_gt(w, 0, "send: %s", strerror(errno));
        sent += (size_t)w;
    }
    size_t cap = 4096, n = 0;
    char *reply = malloc(cap);
    for (;;) {
        if (n + 2048 > cap) reply = realloc(reply, cap *= 2);
        ssize_t r = recv(fd, reply + n, cap - n - 1, 0);
        if (r == 0 && !end) break;
        cr_assert_gt(r, 0, "no reply ending in %s: %s", end ? end : "a close",
                     r == 0 ? "the peer closed" : strerror(errno));
        n += (size_t)r;
        if (end && ends_with(reply, n, end)) break;
    }
    reply[n] = '\0';
    return reply;
}

int ls_http_get(int port, const char *path, char **body, double *ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int fd = ls_tcp_connect(port);
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    char *reply = ls_tcp_exchange(fd, req, NULL);
    close(fd);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (ms) *ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    int code = 0;
    cr_assert_eq(sscanf(reply, "HTTP/%*s %d", &code), 1, "not an HTTP reply: %s", reply);
    const char *start = strstr(reply, "\r\n\r\n");
    if (body) *body = strdup(start ? start + 4 : "");
    free(reply);
    return code;
}

char *ls_file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return strdup("");
    size_t cap = 65536, n = 0;
    char *s = malloc(cap);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) s = realloc(s, cap *= 2);
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

char *ls_write_in(const char *dir, const char *name, const char *text)
{
    char *path = ls_path_join(dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    return path;
}

char *ls_line_starting(const char *text, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (const char *l = text; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (n >= plen && !strncmp(l, prefix, plen)) return strndup(l, n);
        l = nl ? nl + 1 : NULL;
    }
    return NULL;
}

char *ls_without_lines_starting(const char *text, const char *prefix)
{
    size_t plen = strlen(prefix);
    char *out = malloc(strlen(text) + 1), *o = out;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
        if (strncmp(l, prefix, plen)) {
            memcpy(o, l, n);
            o += n;
        }
        l += n;
    }
    *o = '\0';
    return out;
}

char *ls_without_numbers(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    for (const char *p = text; *p;) {
        if (isdigit((unsigned char)*p)) {
            *o++ = '#';
            while (isdigit((unsigned char)*p))
                p++;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

pid_t ls_spawn_run(const char *dir, const char *threshold_ms, char *const opts[], char *const cmd[],
                   char *const env_extra[])
{
    char *json = ls_path_join(dir, "r.json");
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)ls_loopstall_bin();
    argv[n++] = "run";
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
    pid_t pid = ls_spawn(argv, env_extra, dir, "run");
    free(json);
    return pid;
}

char *ls_summary_block(const char *err)
{
    char *head = ls_summary_line(err);
    if (!head) return NULL;
    const char *at = strstr(err, head), *end = at + strlen(head);
    while (end[0] == '\n' && end[1] == ' ' && end[2] == ' ') {
        const char *nl = strchr(end + 1, '\n');
        end = nl ? nl : end + strlen(end);
    }
    free(head);
    return strndup(at, (size_t)(end - at));
}

json_t *ls_finish_run(const char *dir, pid_t run, int timeout_s, int want_status, char **summary)
{
    int status = ls_wait_exit(run, timeout_s);
    char *err_path = ls_path_join(dir, "run.err");
    char *err = ls_file_text(err_path);
    cr_assert_eq(status, want_status, "loopstall run exited %d, want %d; its stderr:\n%s", status,
                 want_status, err);
    char *json = ls_path_join(dir, "r.json");
    json_t *report = ls_load_json(json);
    if (summary) *summary = ls_summary_block(err);
    free(json);
    free(err);
    free(err_path);
    return report;
}

char *ls_summary_line(const char *err)
{
    for (const char *l = err; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char *line = strndup(l, n);
        if (!strncmp(line, "loopstall: ", 11) && strstr(line, " stall") &&
            strncmp(line, "loopstall: lost", 15))
            return line;
        free(line);
        l = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* Appends up to three named frames of stack to text. */
static size_t named_frames(char *text, size_t used, size_t cap, json_t *stack)
{
    size_t i, shown = 0;
    json_t *f;
    json_array_foreach(stack, i, f)
    {
        const char *sym = ls_json_str(f, "symbol");
        if (!sym || shown == 3 || used >= cap - 1) continue;
        int w = snprintf(text + used, cap - used, "%s%s", shown++ ? " < " : " at ", sym);
        used += w > 0 ? (size_t)w : 0;
    }
    return used < cap ? used : cap - 1;
}

const char *ls_describe_stalls_where(json_t *report)
{
    static char text[8192];
    size_t used = 0, n = ls_report_stall_count(report);
    text[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof text - 1; i++) {
        json_t *s = ls_report_stall(report, i);
        json_t *c = json_array_get(json_object_get(s, "calls"), 0);
        const char *phase = ls_json_str(s, "phase");
        int w = snprintf(text + used, sizeof text - used,
                         "\n  tid %llu: %s, +%.1f ms: %.1f ms %s, %s %s",
                         (unsigned long long)ls_json_u64(s, "tid"), phase ? phase : "no phase",
                         ls_json_u64(s, "start_ns") / 1e6, ls_json_u64(s, "wall_ns") / 1e6,
                         ls_json_str(s, "class"), c ? ls_json_str(c, "fn") : "no call",
                         c && ls_json_str(c, "target") ? ls_json_str(c, "target") : "");
        used += w > 0 ? (size_t)w : 0;
        if (used >= sizeof text - 1) break;
        json_t *stack = json_object_get(s, "stack");
        if (!json_array_size(stack)) stack = json_array_get(json_object_get(s, "samples"), 0);
        used = named_frames(text, used, sizeof text, stack);
    }
    return text;
}

json_t *ls_report_process_by_pid(json_t *report, int64_t pid)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "processes"), i, p)
    {
        if (json_integer_value(json_object_get(p, "pid")) == pid) return p;
    }
    return NULL;
}

size_t ls_report_phase_count(json_t *report, const char *phase)
{
    size_t n = 0, count = ls_report_stall_count(report);
    for (size_t i = 0; i < count; i++) {
        const char *ph = ls_json_str(ls_report_stall(report, i), "phase");
        if (ph ? !strcmp(ph, phase) : !strcmp(phase, "serving")) n++;
    }
    return n;
}
