/* test-collect.c -- `loopstall collect` watches services preloaded directly from outside: a
 * single-threaded host stays single-threaded and writes no file, a hung one is on disk while it
 * hangs and exact after SIGKILL, SIGTERM ends the collector with the running ones written, a
 * process of another user is refused, and bad input is one line with status 2. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hello.h"
#include "ls_service.h"
#include "ls_test.h"
#include "record.h"

TestSuite(collect, .fini = ls_service_kill_all);

/* One test's scene: a temporary directory holding the collector's reports (reports/), a
 * LOOPSTALL_OUT of the host's own (own/: empty unless the host fell back on its own watcher),
 * and the collector, started as root or as nobody (65534), its output in collect.out and
 * collect.err. */
struct scene {
    char *dir, *reports, *own;
    pid_t collector;
    char name[64]; /* its socket, without the '@' */
    char env[96];  /* LOOPSTALL_COLLECTOR=@NAME, as it printed it */
    char preload[4200], out[4200];
};

/* The text of dir/name (malloc'd), or NULL. */
static char *text_in(const char *dir, const char *name)
{
    char *path = ls_path_join(dir, name);
    char *text = ls_file_text(path);
    free(path);
    return text;
}

static void scene_start(struct scene *sc, int as_nobody)
{
    memset(sc, 0, sizeof *sc);
    sc->dir = ls_tmpdir();
    sc->reports = ls_path_join(sc->dir, "reports");
    sc->own = ls_path_join(sc->dir, "own");
    mkdir(sc->own, 0755);
    if (as_nobody) { /* nobody writes its reports under a directory root made */
        chmod(sc->dir, 0777);
        mkdir(sc->reports, 0777);
        chmod(sc->reports, 0777);
    }
    snprintf(sc->name, sizeof sc->name, "ls-test-%d-%ld", (int)getpid(), (long)time(NULL));
    /* setpriv is util-linux's, in every Debian image. */
    char *as_root[] = {
        (char *)ls_loopstall_bin(), "collect", "--dir", sc->reports, "--name", sc->name, NULL};
    char *as_other[] = {"/usr/bin/setpriv",
                        "--reuid=65534",
                        "--regid=65534",
                        "--clear-groups",
                        as_root[0],
                        as_root[1],
                        as_root[2],
                        as_root[3],
                        as_root[4],
                        as_root[5],
                        NULL};
    sc->collector = ls_spawn(as_nobody ? as_other : as_root, NULL, sc->dir, "collect");
    for (int i = 0; i < 200; i++) {
        char *text = text_in(sc->dir, "collect.out");
        char *nl = text ? strchr(text, '\n') : NULL;
        if (nl) {
            *nl = '\0';
            cr_assert(strncmp(text, "LOOPSTALL_COLLECTOR=@", 21) == 0, "collect printed: %s", text);
            snprintf(sc->env, sizeof sc->env, "%s", text);
            free(text);
            return;
        }
        free(text);
        usleep(25000);
    }
    cr_assert_fail("loopstall collect printed no LOOPSTALL_COLLECTOR line");
}

/* Starts target (a program of tests/targets) preloaded, watched by the scene's collector. */
static pid_t scene_host(struct scene *sc, const char *name)
{
    snprintf(sc->preload, sizeof sc->preload, "LD_PRELOAD=%s", ls_agent_path());
    snprintf(sc->out, sizeof sc->out, "LOOPSTALL_OUT=%s", sc->own);
    char *env[] = {sc->preload, sc->out, sc->env, NULL};
    char *target = ls_target(name);
    char *argv[] = {target, NULL};
    pid_t pid = ls_spawn(argv, env, sc->dir, "host");
    free(target);
    return pid;
}

/* SIGTERM to the collector, which must exit 0; the scene goes. */
static void scene_end(struct scene *sc)
{
    kill(sc->collector, SIGTERM);
    cr_assert_eq(ls_wait_exit(sc->collector, 10), 0, "the collector exits 0 at SIGTERM");
    free(sc->reports);
    free(sc->own);
    ls_tmpdir_cleanup(sc->dir);
}

static char *report_of(const char *reports, pid_t pid)
{
    char name[64];
    snprintf(name, sizeof name, "loopstall.%d.json", (int)pid);
    return ls_path_join(reports, name);
}

/* Waits up to timeout_s for path to hold a report whose first stall's ongoing flag is ongoing. */
static json_t *wait_for_report(const char *path, int ongoing, int timeout_s)
{
    for (int i = 0; i < timeout_s * 20; i++) {
        json_error_t e;
        json_t *j = json_load_file(path, 0, &e);
        json_t *s = j ? ls_report_stall(j, 0) : NULL;
        if (s && json_is_true(json_object_get(s, "ongoing")) == ongoing) return j;
        if (j) json_decref(j);
        usleep(50000);
    }
    cr_assert_fail("no report with %s stall appeared in %s", ongoing ? "an ongoing" : "a finished",
                   path);
    return NULL;
}

/* Waits up to 5 s for the scene's file name to say what; returns its text (malloc'd). */
static char *wait_for_text(struct scene *sc, const char *name, const char *what)
{
    char *text = NULL;
    for (int i = 0; i < 100; i++) {
        free(text);
        text = text_in(sc->dir, name);
        if (text && strstr(text, what)) return text;
        usleep(50000);
    }
    cr_assert_fail("%s never said \"%s\": %s", name, what, text ? text : "(nothing)");
    return NULL;
}

static size_t names_in(const char *dir)
{
    size_t n = 0;
    char *argv[] = {"/bin/ls", "-A", (char *)dir, NULL};
    struct ls_proc_result r = ls_run_argv(argv, NULL, 10);
    for (const char *p = r.out; p && *p; p++)
        n += *p == '\n';
    ls_proc_result_free(&r);
    return n;
}

Test(collect, a_single_threaded_host_stays_single_threaded_and_its_stalls_are_in_the_collectors_dir)
{
    struct scene sc;
    scene_start(&sc, 0);
    pid_t host = scene_host(&sc, "thread-count");
    cr_assert_eq(ls_wait_exit(host, 30), 0);
    char *out = text_in(sc.dir, "host.out");
    /* The agent's own watcher would be a second thread (test-hostile-threads). */
    cr_assert_str_eq(out, "threads: 1\n", "the host: %s", out);
    char *path = report_of(sc.reports, host);
    json_t *r = wait_for_report(path, 0, 10);
    cr_assert_eq(ls_report_stall_count(r), 2, "its two stalls:%s", ls_describe_stalls(r));
    cr_assert_str_eq(ls_stall_culprit(ls_report_stall(r, 0)), "nanosleep");
    cr_assert_eq(names_in(sc.own), 0, "the host wrote no report of its own");
    json_decref(r);
    free(path);
    free(out);
    scene_end(&sc);
}

Test(collect, a_hung_host_is_on_disk_while_it_hangs_and_its_stall_runs_to_its_sigkill)
{
    struct scene sc;
    scene_start(&sc, 0);
    pid_t host = scene_host(&sc, "epoll-hang");
    char *path = report_of(sc.reports, host);
    json_t *live = wait_for_report(path, 1, 10);
    uint64_t live_ns = ls_json_u64(ls_report_stall(live, 0), "wall_ns");
    json_decref(live);
    usleep(400000);
    kill(host, SIGKILL);
    cr_assert_eq(ls_wait_exit(host, 10), 128 + SIGKILL);
    /* The collector finishes it from the record, which outlived the host: the stall lasted up to
     * the kill, not up to the last write (a refresh is 150 ms behind at most). */
    json_t *after = NULL;
    for (int i = 0; i < 100 && !after; i++) {
        usleep(50000);
        json_t *j = wait_for_report(path, 1, 5);
        if (ls_json_u64(ls_report_stall(j, 0), "wall_ns") >= live_ns + 350 * LS_MS)
            after = j;
        else
            json_decref(j);
    }
    cr_assert_not_null(after, "the final report runs to the kill");
    json_t *s = ls_report_stall(after, 0);
    cr_assert_str_eq(ls_stall_culprit(s), "read");
    cr_assert_lt(ls_json_u64(s, "wall_ns"), live_ns + 5000 * LS_MS);
    json_decref(after);
    free(wait_for_text(&sc, "collect.err", "has been stuck for"));
    free(path);
    scene_end(&sc);
}

Test(collect, a_report_it_cannot_write_is_said_once_as_a_loss)
{
    struct scene sc;
    scene_start(&sc, 0);
    /* Its directory replaced by a file: every write fails (ENOTDIR), root or not. */
    char *rm[] = {"/bin/rm", "-rf", sc.reports, NULL};
    struct ls_proc_result r = ls_run_argv(rm, NULL, 10);
    ls_proc_result_free(&r);
    ls_write_file(sc.reports, "not a directory\n");
    pid_t host = scene_host(&sc, "epoll-hang");
    char *err =
        wait_for_text(&sc, "collect.err", "its running report could not be written (ENOTDIR)");
    usleep(500000); /* the hang is refreshed every 150 ms: more failed writes, no more lines */
    free(err);
    err = text_in(sc.dir, "collect.err");
    const char *first = strstr(err, "could not be written");
    cr_assert_null(strstr(first + 1, "could not be written"), "said once: %s", err);
    kill(host, SIGKILL);
    ls_wait_exit(host, 10);
    free(err);
    scene_end(&sc);
}

Test(collect, sigterm_writes_the_processes_still_running_as_running_and_exits_0)
{
    struct scene sc;
    scene_start(&sc, 0);
    pid_t host = scene_host(&sc, "epoll-hang");
    char *path = report_of(sc.reports, host);
    json_decref(wait_for_report(path, 1, 10));
    usleep(300000);
    kill(sc.collector, SIGTERM);
    cr_assert_eq(ls_wait_exit(sc.collector, 10), 0);
    json_t *r = ls_load_json(path);
    json_t *s = ls_report_stall(r, 0);
    cr_assert(json_is_true(json_object_get(s, "ongoing")), "still hung when the collector stopped");
    cr_assert_str_eq(ls_stall_culprit(s), "read");
    char *err = text_in(sc.dir, "collect.err");
    cr_assert(strstr(err, "stopped; 1 process still running, reported as running"), "%s", err);
    cr_assert_eq(kill(host, 0), 0, "the host goes on");
    kill(host, SIGKILL);
    ls_wait_exit(host, 10);
    json_decref(r);
    free(err);
    free(path);
    free(sc.reports);
    free(sc.own);
    ls_tmpdir_cleanup(sc.dir);
}

Test(collect, a_host_hands_its_record_to_no_collector_of_another_user_and_reports_on_its_own)
{
    if (geteuid() != 0) cr_skip_test("needs root, to run the collector as another user");
    struct scene sc;
    scene_start(&sc, 1);
    pid_t host = scene_host(&sc, "thread-count"); /* as root */
    cr_assert_eq(ls_wait_exit(host, 30), 0);
    char *err = text_in(sc.dir, "host.err");
    cr_assert(strstr(err, "runs as another user (neither this process's nor root)"), "%s", err);
    cr_assert_eq(names_in(sc.own), 1, "it reported into its own LOOPSTALL_OUT");
    cr_assert_eq(names_in(sc.reports), 0, "the collector has nothing of it");
    free(err);
    scene_end(&sc);
}

/* What an agent of user uid would send: a hello and a record-sized memfd. */
static void hand_over_as(uid_t uid, const char *name)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) _exit(3);
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t n = strlen(name);
        memcpy(sa.sun_path + 1, name, n);
        if (connect(s, (struct sockaddr *)&sa,
                    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0)
            _exit(4);
        int fd = memfd_create("record", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, sizeof(struct ls_record)) != 0) _exit(5);
        struct ls_hello h = {.magic = LS_HELLO_MAGIC,
                             .version = LS_RECORD_VERSION,
                             .pid = getpid(),
                             .size = sizeof(struct ls_record)};
        struct iovec iov = {&h, sizeof h};
        union {
            struct cmsghdr c;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof ctl.buf};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        _exit(sendmsg(s, &msg, 0) == (ssize_t)sizeof h ? 0 : 6);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the hand-over failed: %d", status);
}

Test(collect, a_collector_refuses_the_record_of_another_user)
{
    if (geteuid() != 0) cr_skip_test("needs root, to hand a record over as two other users");
    struct scene sc;
    scene_start(&sc, 1);
    hand_over_as(65533, sc.name);
    free(wait_for_text(&sc, "collect.err",
                       "of user 65533 was refused: this collector takes records of its own user "
                       "and root only"));
    scene_end(&sc);
}

Test(collect, bad_input_is_one_line_naming_what_is_wrong_with_status_2)
{
    struct {
        char *args[6];
        const char *says;
    } cases[] = {
        {{"collect", NULL}, "--dir is required"},
        {{"collect", "--dir", "/tmp", "--name", "no spaces", NULL}, "bad --name \"no spaces\""},
        {{"collect", "--dir", "/tmp", "--bogus", NULL}, "unknown option"},
        {{"collect", "--dir", "/tmp", "extra", NULL}, "unexpected argument"},
        {{"collect", "--dir", "/proc/1/no/such", NULL}, "cannot make --dir"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ls_proc_result r = ls_cli(cases[i].args, 10);
        cr_assert_eq(r.status, 2, "%s: status %d", cases[i].says, r.status);
        cr_assert(strstr(r.err, cases[i].says), "expected \"%s\" in: %s", cases[i].says, r.err);
        cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "one line: %s", r.err);
        ls_proc_result_free(&r);
    }
}

Test(collect, a_name_another_collector_listens_on_is_taken)
{
    struct scene sc;
    scene_start(&sc, 0);
    char *args[] = {"collect", "--dir", sc.reports, "--name", sc.name, NULL};
    struct ls_proc_result r = ls_cli(args, 10);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "is taken: another collector listens on it"), "%s", r.err);
    ls_proc_result_free(&r);
    scene_end(&sc);
}
