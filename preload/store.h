/* store.h -- the watchdog's record of finished stalls and the sites they aggregate into. */
#ifndef LS_STORE_H
#define LS_STORE_H

#include "agent.h"

#define LS_KEEP            512 /* stalls kept with all their detail; beyond, the worst are kept */
#define LS_SITES           256 /* distinct causes aggregated per process */
#define LS_SITE_KEY_FRAMES 8   /* frames that tell two causes apart */

struct ls_site {
    int fn; /* culprit call, or -1 for CPU */
    enum ls_class cls;
    uint64_t count;
    uint64_t total_ns;
    uint64_t max_ns;
    struct ls_frames stack;
};

struct ls_store {
    struct ls_stall_rec *kept; /* LS_KEEP records, mapped on first use */
    uint32_t nkept;
    struct ls_site sites[LS_SITES];
    uint32_t nsites;
    uint64_t dropped; /* stalls whose detail was lost (the sites still count them) */
};

extern struct ls_store ls_store;

/* Both run under the report lock (watchdog.c). */
void ls_store_add(const struct ls_stall_rec *s);
void ls_store_reset(void);
/* The stack that stands for a stall: its longest call's, or its first sample. */
const struct ls_frames *ls_stall_stack(const struct ls_stall_rec *s);
enum ls_class ls_stall_class(const struct ls_stall_rec *s);

#endif
