/* dwarf_libs.c -- libdw and the C++ demangler, loaded at first use (see dwarf_libs.h). */
#include "dwarf_libs.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* By soname, as the loader would have found them had the command linked them: libdw1's and
 * libstdc++6's, the runtime packages of what the build compiles against. */
#define LIBDW_SONAME     "libdw.so.1"
#define LIBSTDCXX_SONAME "libstdc++.so.6"

static struct ls_dw dw;
static Dwfl_Callbacks callbacks;
static char *debuginfo_path;
static int dw_state; /* 0: not tried yet, 1: loaded, -1: could not be */

/* Every function or none: a libdw missing one of them is not one symbolize.c can use. */
static int resolve_all(void *h)
{
    void *find = dlsym(h, "dwfl_standard_find_debuginfo");
    void *section = dlsym(h, "dwfl_offline_section_address");
    /* dlsym returns the functions as data pointers; POSIX guarantees the round trip. */
#define RESOLVE(field, name) (*(void **)&dw.field = dlsym(h, name)) != NULL
    int ok = RESOLVE(begin, "dwfl_begin") && RESOLVE(end, "dwfl_end") &&
             RESOLVE(report_offline, "dwfl_report_offline") &&
             RESOLVE(report_end, "dwfl_report_end") &&
             RESOLVE(module_build_id, "dwfl_module_build_id") &&
             RESOLVE(module_getelf, "dwfl_module_getelf") &&
             RESOLVE(module_addrinfo, "dwfl_module_addrinfo") &&
             RESOLVE(module_getsrc, "dwfl_module_getsrc") && RESOLVE(lineinfo, "dwfl_lineinfo") &&
             find && section;
#undef RESOLVE
    if (!ok) return -1;
    *(void **)&callbacks.find_debuginfo = find;
    *(void **)&callbacks.section_address = section;
    callbacks.debuginfo_path = &debuginfo_path;
    dw.offline_callbacks = &callbacks;
    return 0;
}

const struct ls_dw *ls_dw_get(void)
{
    if (dw_state) return dw_state > 0 ? &dw : NULL;
    dw_state = -1;
    /* RTLD_LOCAL: its names stay out of the way of anything loaded later. */
    void *h = dlopen(LIBDW_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr,
                "loopstall: cannot load %s (%s): native frames keep their module and offset, "
                "without names or lines (install libdw1)\n",
                LIBDW_SONAME, dlerror());
        return NULL;
    }
    if (resolve_all(h) != 0) {
        fprintf(stderr,
                "loopstall: %s lacks a function the symbolizer needs (elfutils 0.158 or later "
                "has them all): native frames keep their module and offset\n",
                LIBDW_SONAME);
        dlclose(h);
        return NULL;
    }
    dw_state = 1;
    return &dw;
}

typedef char *cxa_demangle_fn(const char *mangled, char *out, size_t *len, int *status);

char *ls_demangle(const char *name)
{
    static cxa_demangle_fn *demangle;
    static int tried;
    if (name[0] != '_' || name[1] != 'Z') return NULL;
    if (!tried) {
        tried = 1;
        void *h = dlopen(LIBSTDCXX_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (h) *(void **)&demangle = dlsym(h, "__cxa_demangle");
        if (!demangle)
            fprintf(stderr, "loopstall: cannot load %s's demangler (%s): C++ names stay mangled\n",
                    LIBSTDCXX_SONAME, h ? "no __cxa_demangle in it" : dlerror());
    }
    if (!demangle) return NULL;
    int status = -1;
    char *out = demangle(name, NULL, NULL, &status);
    if (status == 0) return out;
    free(out);
    return NULL;
}
