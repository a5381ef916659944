/* site_id.c -- FNV-1a over a site's names: stable across runs, rebuilds and ASLR. */
#include "site_id.h"

#include <stdint.h>

static uint64_t mix(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    h ^= 0xff; /* a separator no name contains, so "ab","c" differs from "a","bc" */
    return h * 0x100000001b3ULL;
}

void ls_site_id(const char *cls, const char *fn, const char *const *frames, size_t nframes,
                char out[LS_SITE_ID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h = 0xcbf29ce484222325ULL;
    h = mix(h, cls);
    h = mix(h, fn ? fn : "");
    size_t used = 0;
    for (size_t i = 0; i < nframes && used < LS_SITE_ID_FRAMES; i++) {
        if (!frames[i]) continue;
        h = mix(h, frames[i]);
        used++;
    }
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 15];
        h >>= 4;
    }
    out[16] = '\0';
}
