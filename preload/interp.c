/* interp.c -- interpreter frames on the agent's side (see interp.h). */
#include "interp.h"

#include <string.h>

#include "pynames.h"
#include "python.h"
#include "say.h"
#include "state.h"

static _Atomic int detected; /* 0: not tried, 1: frames readable, -1: not (said once) */

void ls_interp_adopt(struct ls_loop *l)
{
    struct ls_record *r = ls_proc.rec;
    int expect = 0;
    if (atomic_compare_exchange_strong(&detected, &expect, -1)) {
        char why[256] = "";
        if (ls_py_detect(&r->py_layout, why, sizeof why) == 0) {
            atomic_store_explicit(&r->py_ready, 1, memory_order_release);
            atomic_store(&detected, 1);
        } else if (why[0] && strncmp(why, "not a Python process", 20) != 0) {
            ls_say(why, NULL, NULL);
        }
    }
    if (atomic_load(&detected) == 1)
        atomic_store_explicit(&l->py_tstate, ls_py_thread_state(&r->py_layout),
                              memory_order_relaxed);
}

void ls_interp_capture(const struct ls_loop *l, struct ls_stack *s)
{
    s->npy = 0;
    uint64_t ts = l ? atomic_load_explicit(&l->py_tstate, memory_order_relaxed) : 0;
    if (!ts) return;
    struct ls_py_raw raw[LS_PY_FRAMES];
    struct ls_mem m = {ls_mem_read_pid, &ls_proc.pid};
    int n = ls_py_capture(&ls_proc.rec->py_layout, &m, ts, raw, LS_PY_FRAMES);
    for (int i = 0; i < n; i++) {
        s->py[i].code = raw[i].code;
        s->py[i].lasti = raw[i].lasti;
        s->py[i].entry = raw[i].entry;
        s->py[i].line = 0;
        s->py[i].name = 0;
    }
    s->npy = (uint8_t)(n > 0 ? n : 0);
    s->lang = n > 0 ? LS_LANG_PYTHON : 0;
}

void ls_interp_resolve(struct ls_stack *s)
{
    if (s->npy) ls_pynames_resolve(ls_proc.rec, 0, s);
}
