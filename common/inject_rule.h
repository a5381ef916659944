/* inject_rule.h -- the fault-injection rule language, parsed the same way by
 * `loopstall run --inject` (which refuses bad rules before starting anything)
 * and by the agent (which reads LOOPSTALL_INJECT at load time).
 *
 * RULE    := FUNCS ':' EFFECT [',' OPTION]...
 * FUNCS   := name ['+' name]...
 * EFFECT  := delay=DUR | errno=NAME | short=BYTES
 * OPTION  := p=PROB | after=N | count=N | jitter=DUR | thread=loop|other|any
 *          | path=GLOB | peer=HOST[:PORT] | host=GLOB | seed=N
 *
 * The parser allocates nothing: the agent calls it from its constructor.
 *
 * Details the grammar leaves open: spaces around names, '+', ',', '=' and the
 * whole rule are ignored; a rule may not contain ';' (it separates rules in
 * LOOPSTALL_INJECT) or control characters. The effect comes first, then the
 * options, each at most once. peer= takes a numeric address, localhost
 * (127.0.0.1 or ::1) or `*` (any address, port required), IPv6 with a port as
 * [::1]:8080. path= and host= are globs as ls_glob_match reads them.
 */
#ifndef LS_INJECT_RULE_H
#define LS_INJECT_RULE_H

#include <stddef.h>
#include <stdint.h>

#define LS_RULE_MAX_FNS  16  /* functions one rule may name with '+' */
#define LS_RULE_TEXT_MAX 256 /* longest rule kept verbatim for the report */
#define LS_RULE_PAT_MAX  128 /* longest path/host glob or peer host */
#define LS_MAX_RULES     32  /* rules per process */

enum ls_effect { LS_EFFECT_DELAY, LS_EFFECT_ERRNO, LS_EFFECT_SHORT };
enum ls_role { LS_ROLE_ANY, LS_ROLE_LOOP, LS_ROLE_OTHER };

struct ls_rule {
    char text[LS_RULE_TEXT_MAX]; /* the rule as written, for the report */
    int fns[LS_RULE_MAX_FNS];    /* function ids (enum ls_fn) */
    int nfns;
    enum ls_effect effect;
    uint64_t delay_ns;    /* delay=: added before the real call */
    uint64_t jitter_ns;   /* jitter=: uniform extra delay in [0, jitter] */
    int err;              /* errno=: errno value, or EAI_* value for F_EAI functions */
    uint64_t short_bytes; /* short=: cap on the byte count of reads and writes */
    double p;             /* p=: probability of firing once a call matches (default 1) */
    uint64_t after;       /* after=: matching calls to let through first */
    uint64_t count;       /* count=: fire at most this often (0: no limit) */
    uint64_t seed;        /* seed=: start of the repeatable sequence behind p */
    enum ls_role thread;
    char path[LS_RULE_PAT_MAX]; /* path=: glob on the file's path ("" = any) */
    char host[LS_RULE_PAT_MAX]; /* host=: glob on the getaddrinfo host name ("" = any) */
    char peer[LS_RULE_PAT_MAX]; /* peer=: numeric address of the peer ("" = any) */
    int peer_port;              /* peer=...:PORT, or -1 for any port */
};

/* Parses one rule of len bytes. On error returns -EINVAL and writes one line
 * into err naming the bad token and what is accepted. */
int ls_rule_parse(const char *text, size_t len, struct ls_rule *out, char *err, size_t errlen);

/* Parses rules separated by sep (';' in LOOPSTALL_INJECT) into rules[max];
 * empty items are skipped. Returns the count, or -EINVAL with err filled. */
int ls_rules_parse(const char *list, char sep, struct ls_rule *rules, int max, char *err,
                   size_t errlen);

/* Returns 1 when short= may apply to function fn (enum ls_fn): a call that
 * transfers a count of bytes (read, write, recv, send, sendfile and variants). */
int ls_rule_can_short(int fn);

/* Matches the NUL-terminated str against glob, byte by byte: `*` (also across
 * '/'), `?`, `[a-z]`, `[!...]`, and `\` to escape; nocase folds ASCII letters.
 * Used instead of fnmatch(), which converts to wide characters under a UTF-8
 * locale and then may allocate. Returns 1 on a match. */
int ls_glob_match(const char *glob, const char *str, int nocase);

#endif
