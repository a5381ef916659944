/* ls_service.h -- what the real-service tests share: ports, processes in the background and
 * daemons, small TCP and HTTP clients, files, and the lines `loopstall run` prints. */
#ifndef LS_SERVICE_H
#define LS_SERVICE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

/* A TCP port on 127.0.0.1 that nobody listens on right now. */
int ls_free_port(void);

/* Starts argv (NULL-terminated) in a process group of its own, stdin from /dev/null, stdout and
 * stderr into DIR/NAME.out and DIR/NAME.err, with extra "K=V" entries (or NULL) as ls_run_argv
 * takes them. The group is killed by ls_service_kill_all whatever the test's outcome. */
pid_t ls_spawn(char *const argv[], char *const env_extra[], const char *dir, const char *name);
/* Waits at most timeout_s for a child started by ls_spawn; fails the test past that. Returns
 * its exit status, or 128+N when signal N ended it. */
int ls_wait_exit(pid_t pid, int timeout_s);
/* Remembers a process that is nobody's child here (a daemon), to be killed at the end. */
void ls_service_track(pid_t pid);
/* Remembers a pid file whose daemon is to be killed at the end, for a test that may fail before
 * the daemon has written it. */
void ls_service_track_pidfile(const char *path);
/* A test's .fini: SIGKILL to every group spawned and every process tracked that is still
 * there, so that no service outlives its test. */
void ls_service_kill_all(void);
/* Waits at most timeout_s for pid (any process) to be gone; 1 when it is. */
int ls_wait_gone(pid_t pid, int timeout_s);
/* Reads a pid file once it holds a pid (a daemon writes it after forking); fails the test after
 * timeout_s. The pid is tracked (ls_service_track). */
pid_t ls_read_pidfile(const char *path, int timeout_s);

/* Waits until 127.0.0.1:port accepts connections; fails the test after timeout_s, or at once
 * when watch (a child of ours, if > 0) has exited: what names the service in the message, and
 * log (a file, or NULL) is shown with it. */
void ls_wait_listening(int port, pid_t watch, int timeout_s, const char *what, const char *log);

/* A TCP connection to 127.0.0.1:port with 10 s send and receive timeouts; fails the test when
 * nothing accepts it. */
int ls_tcp_connect(int port);
/* The local port of a connected socket (what the server sees as its peer's port). */
int ls_local_port(int fd);
/* Sends request and reads until the reply ends with end (or the peer closes when end is NULL);
 * returns the reply (malloc'd). Fails the test on a timeout or an error. */
char *ls_tcp_exchange(int fd, const char *request, const char *end);
/* GET path over HTTP/1.0; returns the status code and the body (malloc'd, in *body if body is
 * not NULL). ms (if not NULL) receives how long the whole exchange took. */
int ls_http_get(int port, const char *path, char **body, double *ms);

/* The whole file (malloc'd), or an empty string when it cannot be read. */
char *ls_file_text(const char *path);
/* Writes text into DIR/NAME; returns the path (malloc'd). */
char *ls_write_in(const char *dir, const char *name, const char *text);

/* The first line of text that starts with prefix (malloc'd, without its newline), or NULL. */
char *ls_line_starting(const char *text, const char *prefix);
/* text without the lines that start with prefix (malloc'd): `loopstall run` shares its stderr
 * with the command, and its own lines ("loopstall: ...") are not the command's output. */
char *ls_without_lines_starting(const char *text, const char *prefix);
/* text with every run of digits replaced by one '#': pids, ports and times differ between two
 * runs of the same service, its words do not (malloc'd). */
char *ls_without_numbers(const char *text);

/* `loopstall run -t threshold_ms --json DIR/r.json [opts...] -- cmd...` started with ls_spawn
 * as DIR/run.out and DIR/run.err (opts and cmd NULL-terminated, env_extra as ls_spawn). */
pid_t ls_spawn_run(const char *dir, const char *threshold_ms, char *const opts[], char *const cmd[],
                   char *const env_extra[]);
/* Waits at most timeout_s for that run, fails the test unless it exits with want_status, and
 * loads DIR/r.json. summary (if not NULL) receives run's summary line (ls_summary_line). */
json_t *ls_finish_run(const char *dir, pid_t run, int timeout_s, int want_status, char **summary);
/* The summary line `loopstall run` printed on stderr ("loopstall: N stalls ..."), malloc'd, or
 * NULL when there is none. */
char *ls_summary_line(const char *err);
/* That line and the indented lines under it (the worst stalls), for a test's log (malloc'd). */
char *ls_summary_block(const char *err);

/* One line per stall, for failure messages: ls_describe_stalls's, with the phase, the start
 * and the first named frames of its stack (or first sample). Static buffer. */
const char *ls_describe_stalls_where(json_t *report);

/* The process of the report with this pid, or NULL. */
json_t *ls_report_process_by_pid(json_t *report, int64_t pid);
/* Stalls over all processes whose "phase" is phase ("serving" also counts stalls without
 * one, as the contract says). */
size_t ls_report_phase_count(json_t *report, const char *phase);

#endif
