/* calls.h -- identifiers and facts about every intercepted function (from calls.def). */
#ifndef LS_CALLS_H
#define LS_CALLS_H

#include <stddef.h>

enum ls_family {
    LS_FAM_IO,
    LS_FAM_NET,
    LS_FAM_OPEN,
    LS_FAM_SYNC,
    LS_FAM_LOCK,
    LS_FAM_POLL,
    LS_FAM_EPOLL,
    LS_FAM_SLEEP,
    LS_FAM_DNS,
    LS_FAM_PROC,
    LS_FAM_THREAD,
    LS_FAM_MUTEX,  /* mutexes, condition variables, semaphores: a loop waiting for a lock */
    LS_FAM_SIGNAL, /* dispositions and masks: hooks, never timed */
    LS_FAM_COUNT
};

/* What a call waits on, and so how its target is named in a report. */
enum ls_tkind {
    LS_T_NONE,
    LS_T_FD,       /* a descriptor: /proc/self/fd/N or the socket's peer */
    LS_T_PATH,     /* a path argument */
    LS_T_SOCKADDR, /* a struct sockaddr argument */
    LS_T_HOST,     /* a host name argument (getaddrinfo) */
    LS_T_PID,      /* a child pid */
    LS_T_CMD,      /* a shell command (system, popen) */
    LS_T_EPOLL,    /* an epoll descriptor other than the loop's own */
    LS_T_POLLFD    /* a pollfd array: the first descriptor it waits on */
};

/* How a function's byte count is given: what short= injection can cap. */
enum ls_count_kind { LS_COUNT_NONE, LS_COUNT_SCALAR, LS_COUNT_IOV };

/* How a function reports failure; injection must speak the same convention. */
enum ls_fail { F_NONE, F_MINUS1, F_NULL, F_RETERR, F_EAI };

enum ls_fn {
#define LS_CALL(how, name, ...) LS_FN_##name,
#include "calls.def"
#undef LS_CALL
    LS_FN_COUNT
};

struct ls_call_info {
    const char *name;
    int hook; /* a lifecycle hook: never timed, never injected */
    enum ls_family family;
    enum ls_tkind tkind;
    enum ls_fail fail;
    enum ls_count_kind count; /* how short= caps it; LS_COUNT_NONE: it cannot */
    const char *errnos;       /* space-separated names the function can really fail with */
};

extern const struct ls_call_info ls_calls[LS_FN_COUNT];

/* Returns the function id of the len-byte name, or -1 when it is not intercepted. */
int ls_call_lookup(const char *name, size_t len);

/* Returns 1 when fn can fail with the error called name (and stores its value), 0 otherwise. */
int ls_call_can_fail_with(int fn, const char *name, size_t len, int *value);

const char *ls_family_name(enum ls_family family);

#endif
