/* test-python.c -- Python asyncio programs with known stalls, run under loopstall as they are. */
#include <criterion/criterion.h>

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ls_test.h"

/* Environment for every Python run: no bytecode files written into the source tree. */
static char *const py_env[] = {"PYTHONDONTWRITEBYTECODE=1", NULL};

struct run {
    char *dir;                  /* the test's temporary directory */
    struct ls_proc_result proc; /* what `loopstall run` printed and its exit status */
    json_t *report;             /* the merged loopstall/1 report */
};

static char *program(const char *name)
{
    return ls_path_join(LS_SOURCE_DIR "/tests/programs/python", name);
}

/* Runs `loopstall run -q -t 50 --json DIR/r.json -- python3 tests/programs/python/SCRIPT`
 * and loads the report it wrote. */
static struct run run_script(const char *script)
{
    struct run r = {.dir = ls_tmpdir()};
    char *json = ls_path_join(r.dir, "r.json");
    char *prog = program(script);
    // clang-format off
    char *argv[] = {(char *)ls_loopstall_bin(), "run", "-q", "-t", "50", "--json", json,
                    "--", "python3", prog, NULL};
    // clang-format on
    r.proc = ls_run_argv(argv, py_env, 20);
    cr_assert_eq(r.proc.status, 0, "%s under loopstall exited %d; stderr:\n%s", script,
                 r.proc.status, r.proc.err);
    r.report = ls_load_json(json);
    free(prog);
    free(json);
    return r;
}

static void run_free(struct run *r)
{
    json_decref(r->report);
    ls_proc_result_free(&r->proc);
    ls_tmpdir_cleanup(r->dir);
}

/* The pid of the only process in the report: Python's main thread, the loop, has tid == pid. */
static uint64_t only_pid(json_t *report)
{
    cr_assert_eq(json_array_size(json_object_get(report, "processes")), 1,
                 "expected one process in the report");
    return ls_json_u64(ls_report_process(report, 0), "pid");
}

static int one_of(const char *s, const char *const names[])
{
    for (int i = 0; s && names[i]; i++)
        if (strcmp(s, names[i]) == 0) return 1;
    return 0;
}

/* 1 when the ELF file at path defines sym in .symtab or .dynsym. A stripped interpreter
 * (Debian's python3.11) has no time_sleep, and no symbolizer can name what is not there. */
static int elf_defines(const char *path, const char *sym)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    int found = 0;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(Elf64_Ehdr)) {
        const unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
            size_t size = (size_t)st.st_size;
            if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
                eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) <= size) {
                const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
                for (int i = 0; i < eh->e_shnum && !found; i++) {
                    if (sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) continue;
                    if (sh[i].sh_link >= eh->e_shnum) continue;
                    const Elf64_Shdr *strs = &sh[sh[i].sh_link];
                    if (sh[i].sh_offset + sh[i].sh_size > size ||
                        strs->sh_offset + strs->sh_size > size)
                        continue;
                    const Elf64_Sym *syms = (const Elf64_Sym *)(m + sh[i].sh_offset);
                    const char *names = (const char *)(m + strs->sh_offset);
                    size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
                    for (size_t k = 0; k < n && !found; k++)
                        found = syms[k].st_name < strs->sh_size && syms[k].st_value != 0 &&
                                strcmp(names + syms[k].st_name, sym) == 0;
                }
            }
            munmap((void *)m, size);
        }
    }
    close(fd);
    return found;
}

/* 1 when the python3 on PATH (its executable or its libpython) defines sym. */
static int interpreter_defines(const char *sym)
{
    char *argv[] = {"python3", "-c",
                    "import os, sys, sysconfig\n"
                    "print(os.path.realpath(sys.executable))\n"
                    "if sysconfig.get_config_var('Py_ENABLE_SHARED'):\n"
                    "    print(os.path.join(sysconfig.get_config_var('LIBDIR'),\n"
                    "                       sysconfig.get_config_var('INSTSONAME')))\n",
                    NULL};
    struct ls_proc_result r = ls_run_argv(argv, py_env, 10);
    cr_assert_eq(r.status, 0, "python3 could not say where it lives: %s", r.err);
    int found = 0;
    char *save = NULL;
    for (char *line = strtok_r(r.out, "\n", &save); line && !found;
         line = strtok_r(NULL, "\n", &save))
        found = elf_defines(line, sym);
    ls_proc_result_free(&r);
    return found;
}

Test(python, time_sleep_in_a_coroutine_is_one_blocking_stall_naming_the_sleep)
{
    ls_require_program("python3");
    struct run r = run_script("sleep_in_coroutine.py");
    cr_assert_str_eq(r.proc.out, "done\n");
    uint64_t pid = only_pid(r.report);
    cr_assert_not_null(ls_report_loop_of_tid(r.report, pid),
                       "the main thread was not seen as a loop");

    cr_assert_eq(ls_report_stall_count(r.report), 1, "expected exactly one stall, got:%s",
                 ls_describe_stalls(r.report));
    json_t *s = ls_report_stall(r.report, 0);
    cr_assert_eq(ls_json_u64(s, "tid"), pid, "the stall is not on the loop thread");
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    cr_assert(!json_is_true(json_object_get(s, "ongoing")));
    /* The iteration is the 150 ms sleep plus a little Python around it: 150 ms +- 15 ms. */
    uint64_t wall = ls_json_u64(s, "wall_ns");
    cr_assert(wall >= 150 * LS_MS && wall <= 165 * LS_MS, "stall wall %.1f ms, want 150..165",
              wall / 1e6);
    cr_assert_geq(ls_json_u64(s, "blocked_ns"), 145 * LS_MS);

    const char *const sleeps[] = {"clock_nanosleep", "nanosleep", "select", NULL};
    const char *fn = ls_stall_culprit(s);
    cr_assert(one_of(fn, sleeps), "culprit %s is not a sleep call", fn ? fn : "(none)");
    uint64_t call_wall = ls_json_u64(json_array_get(json_object_get(s, "calls"), 0), "wall_ns");
    cr_assert(call_wall >= 149 * LS_MS && call_wall <= 165 * LS_MS,
              "the sleep call took %.1f ms, want 150", call_wall / 1e6);

    /* The coroutine that slept is named where the interpreter's eval loop was, with the line
     * of the sleep; time_sleep (a static function) only where the interpreter keeps its
     * symbol table. */
    json_t *handler = ls_stall_interp_frame(s, "python", "handler");
    cr_assert_not_null(handler, "no Python frame names handler in the stack");
    cr_assert(strstr(ls_json_str(handler, "file"), "sleep_in_coroutine.py"));
    cr_assert_eq(ls_json_u64(handler, "line"), 8, "time.sleep is on line 8 of the script");
    if (interpreter_defines("time_sleep"))
        cr_assert(ls_stall_has_symbol(s, "time_sleep"),
                  "python3 has a time_sleep symbol but the stall's stacks do not name it");
    run_free(&r);
}

Test(python, urlopen_in_a_coroutine_is_a_blocking_stall_naming_the_local_peer)
{
    ls_require_program("python3");
    struct run r = run_script("urlopen_in_coroutine.py");
    int port = 0;
    cr_assert_eq(sscanf(r.proc.out, "port %d", &port), 1, "no port in: %s", r.proc.out);
    cr_assert(strstr(r.proc.out, "slow answer\n"), "the fetch did not complete: %s", r.proc.out);
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", port);
    uint64_t pid = only_pid(r.report);

    cr_assert_eq(ls_report_stall_count(r.report), 1, "expected exactly one stall, got:%s",
                 ls_describe_stalls(r.report));
    json_t *s = ls_report_stall(r.report, 0);
    cr_assert_eq(ls_json_u64(s, "tid"), pid);
    cr_assert_str_eq(ls_json_str(s, "class"), "blocking");
    /* The server answers after 100 ms; connecting and parsing add a little. */
    uint64_t wall = ls_json_u64(s, "wall_ns");
    cr_assert(wall >= 100 * LS_MS && wall <= 250 * LS_MS, "stall wall %.1f ms, want 100..250",
              wall / 1e6);

    /* The longest call waited on the server: with a socket timeout Python polls before
     * recv_into, without one it blocks in recv. Either way the target is the peer. */
    json_t *c = json_array_get(json_object_get(s, "calls"), 0);
    cr_assert_not_null(c, "the stall lists no calls");
    const char *const waits[] = {"poll",     "ppoll",   "select", "recv",
                                 "recvfrom", "recvmsg", "read",   NULL};
    cr_assert(one_of(ls_json_str(c, "fn"), waits), "culprit %s is not a socket wait",
              ls_json_str(c, "fn") ? ls_json_str(c, "fn") : "(none)");
    const char *target = ls_json_str(c, "target");
    cr_assert(target && strstr(target, "127.0.0.1:"), "culprit target %s names no local peer",
              target ? target : "(none)");
    cr_assert_str_eq(target, peer);
    cr_assert_geq(ls_json_u64(c, "wall_ns"), 95 * LS_MS);
    run_free(&r);
}

Test(python, sleeping_in_asyncio_to_thread_leaves_the_loop_without_stalls)
{
    ls_require_program("python3");
    struct run r = run_script("to_thread_sleep.py");
    cr_assert_str_eq(r.proc.out, "done\n");
    uint64_t pid = only_pid(r.report);
    json_t *loop = ls_report_loop_of_tid(r.report, pid);
    cr_assert_not_null(loop, "the main thread was not seen as a loop");
    cr_assert_gt(ls_json_u64(loop, "iterations"), 2);
    /* The worker that slept waits on a lock, never in epoll: it is not a loop. */
    cr_assert_eq(ls_report_loop_count(r.report), 1, "a thread other than the loop was a loop");
    size_t n = ls_report_stall_count(r.report);
    for (size_t i = 0; i < n; i++) {
        json_t *s = ls_report_stall(r.report, i);
        cr_assert_neq(ls_json_u64(s, "tid"), pid, "a %.1f ms stall on the loop thread (%s)",
                      ls_json_u64(s, "wall_ns") / 1e6,
                      ls_stall_culprit(s) ? ls_stall_culprit(s) : "no call");
    }
    cr_assert_eq(n, 0, "stalls reported off the loop thread:%s", ls_describe_stalls(r.report));
    run_free(&r);
}

Test(python, a_program_without_an_event_loop_runs_unchanged_and_reports_no_loop)
{
    ls_require_program("python3");
    char *prog = program("no_loop.py");
    char *bare_argv[] = {"python3", prog, NULL};
    struct ls_proc_result bare = ls_run_argv(bare_argv, py_env, 20);
    cr_assert_eq(bare.status, 3);

    char *dir = ls_tmpdir();
    char *json = ls_path_join(dir, "r.json");
    // clang-format off
    char *argv[] = {(char *)ls_loopstall_bin(), "run", "-q", "-t", "50", "--json", json,
                    "--", "python3", prog, NULL};
    // clang-format on
    struct ls_proc_result under = ls_run_argv(argv, py_env, 20);
    cr_assert_eq(under.status, 3, "exit status changed under loopstall; stderr:\n%s", under.err);
    cr_assert_str_eq(under.out, bare.out);
    cr_assert(strstr(under.err, "stderr line\n"), "the program's stderr was lost: %s", under.err);

    json_t *report = ls_load_json(json);
    cr_assert_eq(ls_json_u64(report, "exit_status"), 3);
    cr_assert_geq(json_array_size(json_object_get(report, "processes")), 1);
    cr_assert_eq(ls_report_loop_count(report), 0, "a loop was reported");
    cr_assert_eq(ls_report_stall_count(report), 0, "a stall was reported");

    json_decref(report);
    ls_proc_result_free(&under);
    ls_proc_result_free(&bare);
    free(json);
    free(prog);
    ls_tmpdir_cleanup(dir);
}
