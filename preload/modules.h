/* modules.h -- turn raw instruction pointers into module, offset, build-id and dynamic symbol. */
#ifndef LS_MODULES_H
#define LS_MODULES_H

#include <stddef.h>
#include <stdint.h>

struct ls_frame_info {
    const char *module;   /* path, or NULL when no loaded object contains the address */
    const char *build_id; /* hex, or NULL */
    uintptr_t offset;     /* relative to the module's load base (absolute when unknown) */
    const char *symbol;   /* dynamic symbol containing the address, or NULL */
};

/* Snapshot the loaded objects (dl_iterate_phdr). Called before each report. */
void ls_modules_refresh(void);
/* Resolves ip; is_return says ip is a return address (all frames but the innermost sample). */
void ls_modules_lookup(uintptr_t ip, struct ls_frame_info *out);

#endif
