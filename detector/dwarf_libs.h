/* dwarf_libs.h -- the symbolizer's libraries (libdw, libstdc++'s demangler), loaded at first use.
 *
 * `loopstall run` of a command that never stalls has no frame to name, and
 * loading libdw (with libelf, libz, liblzma, libbz2) and libstdc++ at start
 * cost it more than all its own work: the dynamic loader relocated them
 * before main. So the command does not link them; symbolize.c asks for them
 * here the first time a native frame needs a name, and a process that never
 * asks never maps them.
 */
#ifndef LS_DWARF_LIBS_H
#define LS_DWARF_LIBS_H

#include <elfutils/libdwfl.h>

/* The libdw functions symbolize.c calls, by the names libdw gives them. */
struct ls_dw {
    __typeof__(dwfl_begin) *begin;
    __typeof__(dwfl_end) *end;
    __typeof__(dwfl_report_offline) *report_offline;
    __typeof__(dwfl_report_end) *report_end;
    __typeof__(dwfl_module_build_id) *module_build_id;
    __typeof__(dwfl_module_getelf) *module_getelf;
    __typeof__(dwfl_module_addrinfo) *module_addrinfo;
    __typeof__(dwfl_module_getsrc) *module_getsrc;
    __typeof__(dwfl_lineinfo) *lineinfo;
    /* Offline reporting: find separate debug files, place sections as in the file. */
    const Dwfl_Callbacks *offline_callbacks;
};

/* libdw, loaded on the first call. NULL when it cannot be loaded: one line on
 * stderr says so (once), and native frames keep their module and offset. */
const struct ls_dw *ls_dw_get(void);

/* The demangled form of a C++ symbol ("_Z..."), malloc'd, or NULL when name is
 * not one, or libstdc++ cannot be loaded (the mangled name is still right,
 * only harder to read). */
char *ls_demangle(const char *name);

#endif
