/* store.c -- keep finished stalls (the worst, when there are too many) and aggregate sites. */
#include "store.h"

#include <string.h>
#include <sys/mman.h>

LS_HIDDEN struct ls_store ls_store;

const struct ls_frames *ls_stall_stack(const struct ls_stall_rec *s)
{
    if (s->ncalls && s->calls[0].stack.n) return &s->calls[0].stack;
    if (s->nsamples) return &s->samples[0];
    return NULL;
}

enum ls_class ls_stall_class(const struct ls_stall_rec *s)
{
    return ls_classify(s->wall_ns, s->cpu_ns, s->runq_ns, s->blocked_ns);
}

static int same_key(const struct ls_site *site, int fn, enum ls_class cls,
                    const struct ls_frames *f)
{
    if (site->fn != fn || site->cls != cls) return 0;
    uint32_t n = f ? f->n : 0;
    if (n > LS_SITE_KEY_FRAMES) n = LS_SITE_KEY_FRAMES;
    uint32_t m = site->stack.n > LS_SITE_KEY_FRAMES ? LS_SITE_KEY_FRAMES : site->stack.n;
    return n == m && (n == 0 || memcmp(site->stack.ip, f->ip, n * sizeof f->ip[0]) == 0);
}

static void add_site(const struct ls_stall_rec *s)
{
    enum ls_class cls = ls_stall_class(s);
    /* A stall whose time was not in calls is attributed to the CPU, not to a short call. */
    int fn = cls != LS_CLASS_CPU && s->ncalls ? s->calls[0].fn : -1;
    const struct ls_frames *f =
        fn >= 0 ? &s->calls[0].stack : (s->nsamples ? &s->samples[0] : NULL);
    for (uint32_t i = 0; i < ls_store.nsites; i++) {
        struct ls_site *site = &ls_store.sites[i];
        if (same_key(site, fn, cls, f)) {
            site->count++;
            site->total_ns += s->wall_ns;
            if (s->wall_ns > site->max_ns) site->max_ns = s->wall_ns;
            return;
        }
    }
    if (ls_store.nsites == LS_SITES) return; /* the stall is still kept or counted as dropped */
    struct ls_site *site = &ls_store.sites[ls_store.nsites++];
    site->fn = fn;
    site->cls = cls;
    site->count = 1;
    site->total_ns = site->max_ns = s->wall_ns;
    if (f)
        site->stack = *f;
    else
        site->stack.n = 0;
}

void ls_store_add(const struct ls_stall_rec *s)
{
    add_site(s);
    if (!ls_store.kept) {
        void *p = mmap(NULL, LS_KEEP * sizeof(struct ls_stall_rec), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            ls_store.dropped++;
            return;
        }
        ls_store.kept = p;
    }
    if (ls_store.nkept < LS_KEEP) {
        ls_store.kept[ls_store.nkept++] = *s;
        return;
    }
    /* Full: keep the worst stalls, replacing the shortest kept one. */
    uint32_t min = 0;
    for (uint32_t i = 1; i < ls_store.nkept; i++)
        if (ls_store.kept[i].wall_ns < ls_store.kept[min].wall_ns) min = i;
    ls_store.dropped++;
    if (ls_store.kept[min].wall_ns < s->wall_ns) ls_store.kept[min] = *s;
}

void ls_store_reset(void)
{
    ls_store.nkept = 0;
    ls_store.nsites = 0;
    ls_store.dropped = 0;
}
