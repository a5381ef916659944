/* child_env.c -- keep the agent's variables in a child's environment (see child_env.h).
 *
 * The caller's envp is the caller's memory, and a bad one must fail the exec
 * with EFAULT as it would without us: the array and the bytes of each entry
 * that are compared are read fault-safely (mem.h), and when any of them is
 * unreadable the caller's envp goes to the kernel untouched.
 */
#include "child_env.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "mem.h"
#include "procfs.h"
#include "state.h"

extern char **environ;

#define NAME_MAX_BYTES 40 /* longer than any name the agent looks for */

/* Names of the entries the child must have, in the order of struct found. */
enum { V_PRELOAD, V_IMAGE = LS_ENV_COUNT, V_IMAGE_PID, V_COUNT };

static size_t name_len(const char *var)
{
    const char *eq = strchr(var, '=');
    return eq ? (size_t)(eq - var) : strlen(var);
}

/* Fault-safe reads work here (process_vm_readv on ourselves): where a sandbox
 * forbids them, the environment is read directly, as it always was. */
static int reads_are_safe(void)
{
    static _Atomic int known; /* 0: not tried, 1: safe, -1: not available */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (k) return k > 0;
    char probe = 'p', copy = 0;
    k = ls_mem_read(0, (uint64_t)(uintptr_t)&probe, &copy, 1) == 1 && copy == 'p' ? 1 : -1;
    atomic_store_explicit(&known, k, memory_order_relaxed);
    return k > 0;
}

/* Copies envp[] (up to its NULL) into vars; the count, or -1 when the array is
 * unreadable or longer than LS_CHILD_ENV_MAX. */
static long copy_array(char **vars, char *const *envp)
{
    if (!reads_are_safe()) {
        size_t n = 0;
        while (envp[n])
            if (++n > LS_CHILD_ENV_MAX) return -1;
        memcpy(vars, envp, n * sizeof *envp);
        return (long)n;
    }
    size_t n = 0;
    uint64_t at = (uint64_t)(uintptr_t)envp;
    while (n < LS_CHILD_ENV_MAX) {
        size_t bytes = 4096 - (size_t)(at & 4095); /* to the end of the page */
        if (bytes < sizeof(char *)) bytes = sizeof(char *);
        if (bytes > (LS_CHILD_ENV_MAX - n) * sizeof(char *))
            bytes = (LS_CHILD_ENV_MAX - n) * sizeof(char *);
        ssize_t got = ls_mem_read(0, at, &vars[n], bytes);
        size_t k = got > 0 ? (size_t)got / sizeof(char *) : 0;
        if (!k) return -1;
        for (size_t i = 0; i < k; i++)
            if (!vars[n + i]) return (long)(n + i);
        n += k;
        at += k * sizeof(char *);
    }
    return -1;
}

/* The first bytes of an entry, enough to compare its name; -1 when unreadable. */
static ssize_t read_head(const char *var, char *buf, size_t len)
{
    if (!reads_are_safe()) {
        size_t n = 0;
        while (n + 1 < len && var[n])
            buf[n] = var[n], n++;
        buf[n] = '\0';
        return (ssize_t)n;
    }
    return ls_mem_read_str(0, (uint64_t)(uintptr_t)var, buf, len);
}

/* Is word (space- or colon-separated) in list? */
static int has_word(const char *list, const char *word)
{
    size_t w = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += w) {
        int starts = p == list || p[-1] == ' ' || p[-1] == ':';
        int ends = p[w] == '\0' || p[w] == ' ' || p[w] == ':';
        if (starts && ends) return 1;
    }
    return 0;
}

static void put_var(char *out, size_t len, const char *name, uint64_t v)
{
    size_t n = strlen(name);
    if (n + 24 > len) {
        out[0] = '\0';
        return;
    }
    memcpy(out, name, n);
    out[n + ls_put_uint(out + n, v)] = '\0';
}

/* Our LD_PRELOAD ahead of theirs (vars[at]), unless theirs already has it;
 * 1 when vars[at] was replaced. */
static int merge_preload(struct ls_child_env *ce, long at, const char *ours)
{
    static const size_t eq = sizeof "LD_PRELOAD=" - 1;
    size_t a = strlen(ours);
    if (a + 2 >= sizeof ce->preload) return 0;
    /* Theirs is read straight into place, after ours and a space. */
    char *theirs = ce->preload + a + 1;
    size_t room = sizeof ce->preload - a - 1;
    ssize_t t = reads_are_safe()
                    ? ls_mem_read_str(0, (uint64_t)(uintptr_t)ce->vars[at], theirs, room)
                    : read_head(ce->vars[at], theirs, room);
    if (t < 0 || (size_t)t + 1 >= room) return 0; /* unreadable, or too long to be sure */
    if (has_word(theirs + eq, ours + eq)) return 0;
    memmove(theirs, theirs + eq, (size_t)t - eq + 1);
    memcpy(ce->preload, ours, a);
    ce->preload[a] = ' ';
    ce->vars[at] = ce->preload;
    return 1;
}

char *const *ls_child_env(struct ls_child_env *ce, char *const *envp, int same_pid)
{
    static char *const empty[] = {NULL};
    /* The kernel takes a NULL envp as an empty one; the process's own is environ. */
    char *const *given = envp ? envp : empty;
    long n = copy_array(ce->vars, given);
    if (n < 0) return envp; /* unreadable or too big: the kernel says what it says */

    const char *want[V_COUNT] = {0};
    for (int i = 0; i < LS_ENV_COUNT; i++)
        want[i] = ls_cfg.env[i];
    if (same_pid) {
        /* The next image of this pid writes a report of its own. */
        put_var(ce->image, sizeof ce->image, "LOOPSTALL_IMAGE=", ls_proc.rec->image + 1);
        put_var(ce->image_pid, sizeof ce->image_pid, "LOOPSTALL_IMAGE_PID=", (uint64_t)ls_proc.pid);
        want[V_IMAGE] = ce->image;
        want[V_IMAGE_PID] = ce->image_pid;
    }

    /* One pass: where is each name we care about? */
    long at[V_COUNT];
    for (int v = 0; v < V_COUNT; v++)
        at[v] = -1;
    for (long i = 0; i < n; i++) {
        char head[NAME_MAX_BYTES + 2];
        if (read_head(ce->vars[i], head, sizeof head) < 0) return envp;
        size_t k = name_len(head);
        for (int v = 0; v < V_COUNT; v++)
            if (want[v] && at[v] < 0 && name_len(want[v]) == k && !strncmp(head, want[v], k))
                at[v] = i;
    }

    int changed = 0;
    if (want[V_PRELOAD]) {
        if (at[V_PRELOAD] < 0) {
            ce->vars[n++] = (char *)want[V_PRELOAD];
            changed = 1;
        } else {
            /* Ours first, theirs kept: an exec'd program keeps what its parent preloaded. */
            changed |= merge_preload(ce, at[V_PRELOAD], want[V_PRELOAD]);
        }
    }
    for (int v = LS_ENV_OUT; v < LS_ENV_COUNT; v++)
        if (want[v] && at[v] < 0) { /* a variable the caller set itself is the caller's */
            ce->vars[n++] = (char *)want[v];
            changed = 1;
        }
    for (int v = V_IMAGE; v < V_COUNT; v++) {
        if (!want[v]) continue;
        if (at[v] >= 0)
            ce->vars[at[v]] = (char *)want[v];
        else
            ce->vars[n++] = (char *)want[v];
        changed = 1;
    }
    ce->vars[n] = NULL;
    return changed ? ce->vars : envp;
}
