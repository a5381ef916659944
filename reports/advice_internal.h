/* advice_internal.h -- what the advice files share: the facts about a site each rule looks at. */
#ifndef LS_ADVICE_INTERNAL_H
#define LS_ADVICE_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "calls.h"

enum ls_runtime {
    LS_RT_OTHER,
    LS_RT_PYTHON,
    LS_RT_NODE,
    LS_RT_NGINX,
    LS_RT_REDIS,
    LS_RT_MEMCACHED,
    LS_RT_HAPROXY,
    LS_RT_LIBUV,
};

/* One site as the rules see it. */
struct ls_advice_in {
    enum ls_runtime rt;
    const char *cls;     /* "blocking", "cpu", "mixed", "strict" */
    const char *fn;      /* the culprit call, NULL for CPU work */
    const char *target;  /* what it waited on ("pipe:[123]", a path, a peer), or NULL */
    int family;          /* the call's enum ls_family, -1 for none */
    json_t *stack;       /* the site's stack, innermost first */
    json_t *entry;       /* the library function the user's code called (execSync), or NULL */
    const char *entry_s; /* its symbol */
};

/* 1 when a frame of the stack has a symbol equal to one of names (NULL-terminated). */
int ls_advice_stack_has(json_t *stack, const char *const *names);
/* 1 when an interpreter frame's script path holds one of parts (NULL-terminated). */
int ls_advice_script_has(json_t *stack, const char *const *parts);

/* Each returns NULL when it has nothing better than the general rule. */
const char *ls_advice_python(const struct ls_advice_in *in, char *buf, size_t len);
const char *ls_advice_node(const struct ls_advice_in *in, char *buf, size_t len);
const char *ls_advice_nginx(const struct ls_advice_in *in);
const char *ls_advice_redis(const struct ls_advice_in *in, char *buf, size_t len);
const char *ls_advice_memcached(const struct ls_advice_in *in);
const char *ls_advice_haproxy(const struct ls_advice_in *in, char *buf, size_t len);
const char *ls_advice_libuv(const struct ls_advice_in *in);

#endif
