/* child_env.c -- keep the agent's variables in a child's environment (see child_env.h). */
#include "child_env.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "procfs.h"
#include "state.h"

extern char **environ;

static size_t name_len(const char *var)
{
    const char *eq = strchr(var, '=');
    return eq ? (size_t)(eq - var) : strlen(var);
}

/* The index of NAME in envp, or -1. */
static long find(char *const *envp, size_t n, const char *var)
{
    size_t k = name_len(var);
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], var, k) == 0 && envp[i][k] == '=') return (long)i;
    return -1;
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

char *const *ls_child_env(struct ls_child_env *ce, char *const *envp, int same_pid)
{
    if (!envp) envp = environ;
    if (!envp) return envp;
    size_t n = 0;
    while (envp[n])
        n++;
    if (n > LS_CHILD_ENV_MAX) return envp;
    memcpy(ce->vars, envp, n * sizeof *envp);
    int changed = 0;
    const char *ours = ls_cfg.env[LS_ENV_PRELOAD];
    if (ours) {
        const char *agent = ours + sizeof "LD_PRELOAD=" - 1;
        long at = find(ce->vars, n, ours);
        if (at < 0) {
            ce->vars[n++] = (char *)ours;
            changed = 1;
        } else if (!has_word(ce->vars[at] + sizeof "LD_PRELOAD=" - 1, agent)) {
            /* Ours first, theirs kept: an exec'd program keeps what its parent preloaded. */
            const char *theirs = ce->vars[at] + sizeof "LD_PRELOAD=" - 1;
            size_t a = strlen(ours), t = strlen(theirs);
            if (a + 1 + t + 1 <= sizeof ce->preload) {
                memcpy(ce->preload, ours, a);
                ce->preload[a] = ' ';
                memcpy(ce->preload + a + 1, theirs, t + 1);
                ce->vars[at] = ce->preload;
                changed = 1;
            }
        }
    }
    for (int i = LS_ENV_OUT; i < LS_ENV_COUNT; i++) {
        const char *v = ls_cfg.env[i];
        if (v && find(ce->vars, n, v) < 0) {
            ce->vars[n++] = (char *)v;
            changed = 1;
        }
    }
    if (same_pid) {
        /* The next image of this pid writes a report of its own. */
        put_var(ce->image, sizeof ce->image, "LOOPSTALL_IMAGE=", ls_proc.rec->image + 1);
        put_var(ce->image_pid, sizeof ce->image_pid, "LOOPSTALL_IMAGE_PID=", (uint64_t)ls_proc.pid);
        long a = find(ce->vars, n, ce->image), b = find(ce->vars, n, ce->image_pid);
        if (a >= 0)
            ce->vars[a] = ce->image;
        else
            ce->vars[n++] = ce->image;
        if (b >= 0)
            ce->vars[b] = ce->image_pid;
        else
            ce->vars[n++] = ce->image_pid;
        changed = 1;
    }
    ce->vars[n] = NULL;
    return changed ? ce->vars : envp;
}
