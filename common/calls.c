/* calls.c -- the table of intercepted functions, shared by the agent and the command. */
#include "calls.h"
#include "errnames.h"

#include <string.h>

#define LS_COUNT_KIND_n       LS_COUNT_SCALAR
#define LS_COUNT_KIND_IOV     LS_COUNT_IOV
#define LS_COUNT_KIND_NOCOUNT LS_COUNT_NONE
#define LS_HOOK_GEN           0
#define LS_HOOK_HAND          0
#define LS_HOOK_HOOK          1
#define LS_CALL(how, name, ret, params, args, fam, tkind, texpr, count, fail, errnos)              \
    [LS_FN_##                                                                                      \
        name] = {#name, LS_HOOK_##how, LS_FAM_##fam, tkind, fail, LS_COUNT_KIND_##count, errnos},
const struct ls_call_info ls_calls[LS_FN_COUNT] = {
#include "calls.def"
};
#undef LS_CALL

int ls_call_lookup(const char *name, size_t len)
{
    for (int i = 0; i < LS_FN_COUNT; i++)
        if (strlen(ls_calls[i].name) == len && memcmp(ls_calls[i].name, name, len) == 0) return i;
    return -1;
}

int ls_call_can_fail_with(int fn, const char *name, size_t len, int *value)
{
    const char *p = ls_calls[fn].errnos;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) == len && memcmp(p, name, len) == 0)
            return ls_errno_by_name(name, len, value) == 0;
        p = end;
    }
    return 0;
}

const char *ls_family_name(enum ls_family family)
{
    static const char *const names[LS_FAM_COUNT] = {
        "io",    "net", "open", "sync",   "lock",  "poll",   "epoll",
        "sleep", "dns", "proc", "thread", "mutex", "signal",
    };
    return (unsigned)family < LS_FAM_COUNT ? names[family] : "?";
}
