/* inject_rule.c -- parser for the fault-injection rule language (grammar in inject_rule.h).
 *
 * The agent runs this from its load-time constructor, inside a host process
 * that has not finished starting, so nothing here allocates, locks or uses
 * stdio: errors are assembled with a small bounded string builder instead of
 * snprintf. The command runs the same code to refuse a bad rule before it
 * starts anything, so a rule accepted here is a rule the agent accepts.
 */
#include "inject_rule.h"
#include "calls.h"
#include "duration.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* A bounded message buffer. Text echoed from the user has its control
 * characters replaced so that an error always stays on one line. */
struct msg {
    char *buf;
    size_t cap; /* bytes available, NUL included; 0 when the caller gave no buffer */
    size_t len;
};

static void msg_put(struct msg *m, const char *s, size_t n)
{
    for (size_t i = 0; i < n && m->len + 1 < m->cap; i++) {
        unsigned char c = (unsigned char)s[i];
        m->buf[m->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (m->cap) m->buf[m->len] = '\0';
}

static void msg_str(struct msg *m, const char *s)
{
    msg_put(m, s, strlen(s));
}

static void msg_u64(struct msg *m, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    msg_put(m, tmp + n, sizeof tmp - n);
}

/* A slice of the rule text; the input is not NUL-terminated in general. */
struct span {
    const char *p;
    size_t n;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

static int span_eq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Returns the offset of the first c in s, or s.n when there is none. */
static size_t span_find(struct span s, char c)
{
    const char *hit = s.n ? memchr(s.p, c, s.n) : NULL;
    return hit ? (size_t)(hit - s.p) : s.n;
}

/* The parse of one rule: the rule text for messages, and the message being built. */
struct ctx {
    struct span rule;
    struct msg m;
};

/* Starts `bad rule "RULE": `; the caller appends the reason. */
static int bad_rule(struct ctx *c)
{
    c->m.len = 0;
    msg_str(&c->m, "bad rule \"");
    msg_put(&c->m, c->rule.p, c->rule.n);
    msg_str(&c->m, "\": ");
    return -EINVAL;
}

/* Starts `bad WHAT "TOKEN" in rule "RULE": `; the caller appends the reason. */
static int bad_token(struct ctx *c, const char *what, struct span tok)
{
    c->m.len = 0;
    msg_str(&c->m, "bad ");
    msg_str(&c->m, what);
    msg_str(&c->m, " \"");
    msg_put(&c->m, tok.p, tok.n);
    msg_str(&c->m, "\" in rule \"");
    msg_put(&c->m, c->rule.p, c->rule.n);
    msg_str(&c->m, "\": ");
    return -EINVAL;
}

static const char options_accepted[] =
    "accepted options are p, after, count, jitter, thread, path, peer, host, seed";
static const char effects_accepted[] = "delay=DUR, errno=NAME or short=BYTES";

/* A short= effect caps the byte count of one transfer, so it only makes sense
 * for calls that move a count of bytes; recvmmsg and sendmmsg count messages. */
int ls_rule_can_short(int fn)
{
    if (fn < 0 || fn >= LS_FN_COUNT) return 0;
    return ls_calls[fn].count != LS_COUNT_NONE; /* the table says how the count is given */
}

/* path= needs a path to compare: the argument itself or the file behind a descriptor. */
static int can_path(int fn)
{
    return ls_calls[fn].tkind == LS_T_PATH || ls_calls[fn].tkind == LS_T_FD;
}

/* peer= needs a socket address: the argument (connect, getnameinfo) or the peer of
 * a descriptor. Plain I/O counts because libuv and Node.js use read, write and
 * writev on sockets. accept does not: its peer is unknown until the call returns. */
static int can_peer(int fn)
{
    const struct ls_call_info *ci = &ls_calls[fn];
    if (ci->tkind == LS_T_SOCKADDR) return 1;
    if (ci->tkind != LS_T_FD || fn == LS_FN_accept || fn == LS_FN_accept4) return 0;
    return ci->family == LS_FAM_NET || ci->family == LS_FAM_IO;
}

static int can_host(int fn)
{
    return ls_calls[fn].tkind == LS_T_HOST;
}

/* Parses a whole decimal number into v: 0, -EINVAL (not one) or -ERANGE. */
static int parse_u64(struct span s, uint64_t *v)
{
    uint64_t x = 0;
    if (s.n == 0) return -EINVAL;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return -EINVAL;
        unsigned d = (unsigned)(s.p[i] - '0');
        if (x > (UINT64_MAX - d) / 10) return -ERANGE;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* Parses a probability written as a decimal from 0 to 1 ("0.2", ".5", "1").
 * strtod is avoided because it follows the host's locale. */
static int parse_prob(struct span s, double *p)
{
    size_t i = 0;
    uint64_t whole = 0, frac = 0, scale = 1;
    int digits = 0;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
        whole = whole * 10 + (uint64_t)(s.p[i++] - '0');
        if (whole > 1) return -EINVAL;
        digits++;
    }
    if (i < s.n && s.p[i] == '.') {
        i++;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') {
            if (scale < 1000000000000000000ULL) { /* finer than 1e-18 cannot matter */
                frac = frac * 10 + (uint64_t)(s.p[i] - '0');
                scale *= 10;
            }
            i++;
            digits++;
        }
    }
    if (digits == 0 || i != s.n || (whole == 1 && frac != 0)) return -EINVAL;
    *p = (double)whole + (double)frac / (double)scale;
    return 0;
}

/* Copies a glob or address into a fixed field; -ERANGE when it does not fit. */
static int copy_field(char *dst, struct span v)
{
    if (v.n >= LS_RULE_PAT_MAX) return -ERANGE;
    memcpy(dst, v.p, v.n);
    dst[v.n] = '\0';
    return 0;
}

/* Parses peer=HOST[:PORT]: HOST is a numeric IPv4 or IPv6 address, localhost, or
 * `*` for any address (then a port is required); IPv6 takes a port only inside
 * brackets, as [::1]:8080, since "::1:8080" is itself an address. */
static int parse_peer(struct ctx *c, struct span tok, struct span v, struct ls_rule *r)
{
    struct span host = v, port = {NULL, 0};
    int has_port = 0;

    if (v.n && v.p[0] == '[') {
        size_t close = span_find(v, ']');
        if (close == v.n) goto bad_host;
        host = (struct span){v.p + 1, close - 1};
        struct span rest = {v.p + close + 1, v.n - close - 1};
        if (rest.n) {
            if (rest.p[0] != ':') goto bad_host;
            port = (struct span){rest.p + 1, rest.n - 1};
            has_port = 1;
        }
    } else {
        size_t colon = span_find(v, ':');
        if (colon < v.n &&
            span_find((struct span){v.p + colon + 1, v.n - colon - 1}, ':') == v.n - colon - 1) {
            host = (struct span){v.p, colon};
            port = (struct span){v.p + colon + 1, v.n - colon - 1};
            has_port = 1;
        }
    }

    if (has_port) {
        uint64_t n;
        if (parse_u64(port, &n) < 0 || n < 1 || n > 65535) {
            bad_token(c, "port", port);
            msg_str(&c->m, "expected a port number from 1 to 65535");
            return -EINVAL;
        }
        r->peer_port = (int)n;
    }

    if (span_eq(host, "*")) {
        if (!has_port) {
            bad_token(c, "option", tok);
            msg_str(&c->m, "`*` stands for any address, so it needs a port, e.g. peer=*:5432");
            return -EINVAL;
        }
        r->peer[0] = '\0';
        return 0;
    }
    if (host.n == 0 || copy_field(r->peer, host) < 0) goto bad_host;
    unsigned char addr[sizeof(struct in6_addr)];
    int bracketed = v.n && v.p[0] == '[';
    if (!bracketed && (span_eq(host, "localhost") || inet_pton(AF_INET, r->peer, addr) == 1))
        return 0;
    if (inet_pton(AF_INET6, r->peer, addr) == 1 && (bracketed || !has_port)) return 0;

bad_host:
    bad_token(c, "peer", v);
    msg_str(&c->m, "expected a numeric IPv4 or IPv6 address or localhost, with an optional :PORT "
                   "(IPv6 with a port as [::1]:8080)");
    return -EINVAL;
}

/* Writes "fn1, fn2" style lists of errno names from a space-separated list. */
static void msg_errnos(struct msg *m, const char *list)
{
    int first = 1;
    while (*list) {
        while (*list == ' ')
            list++;
        const char *end = list;
        while (*end && *end != ' ')
            end++;
        if (end > list) {
            if (!first) msg_str(m, ", ");
            msg_put(m, list, (size_t)(end - list));
            first = 0;
        }
        list = end;
    }
}

enum {
    OPT_P,
    OPT_AFTER,
    OPT_COUNT,
    OPT_JITTER,
    OPT_THREAD,
    OPT_PATH,
    OPT_PEER,
    OPT_HOST,
    OPT_SEED,
    OPT_COUNT_ALL
};

static const char *const opt_names[OPT_COUNT_ALL] = {
    "p", "after", "count", "jitter", "thread", "path", "peer", "host", "seed",
};

static int option_index(struct span key)
{
    for (int i = 0; i < OPT_COUNT_ALL; i++)
        if (span_eq(key, opt_names[i])) return i;
    return -1;
}

/* Splits NAME=VALUE around the first '=', trimming both; returns 0 without one. */
static int split_kv(struct span item, struct span *key, struct span *val)
{
    size_t eq = span_find(item, '=');
    *key = trim((struct span){item.p, eq});
    *val = eq < item.n ? trim((struct span){item.p + eq + 1, item.n - eq - 1})
                       : (struct span){item.p + item.n, 0};
    return eq < item.n;
}

static int parse_dur(struct ctx *c, struct span val, uint64_t *ns)
{
    int rc = ls_parse_duration(val.p, val.n, ns);
    if (rc < 0) {
        bad_token(c, "duration", val);
        msg_str(&c->m, rc == -ERANGE ? "too long to count in nanoseconds"
                                     : "expected a number with ns, us, ms or s");
        return -EINVAL;
    }
    return 0;
}

static int parse_effect(struct ctx *c, struct span item, struct ls_rule *r)
{
    struct span key, val;
    int has_eq = split_kv(item, &key, &val);

    if (item.n == 0) {
        bad_rule(c);
        msg_str(&c->m, "missing effect after ':'; expected ");
        msg_str(&c->m, effects_accepted);
        return -EINVAL;
    }
    if (!has_eq) {
        bad_token(c, "effect", item);
        msg_str(&c->m, "expected ");
        msg_str(&c->m, effects_accepted);
        return -EINVAL;
    }

    if (span_eq(key, "delay")) {
        if (parse_dur(c, val, &r->delay_ns) < 0) return -EINVAL;
        r->effect = LS_EFFECT_DELAY;
        return 0;
    }

    if (span_eq(key, "errno")) {
        for (int i = 0; i < r->nfns; i++) {
            const struct ls_call_info *ci = &ls_calls[r->fns[i]];
            if (ci->fail == F_NONE || ci->errnos[0] == '\0') {
                bad_rule(c);
                msg_str(&c->m, ci->name);
                msg_str(&c->m, " cannot fail, so errno= does not apply to it (delay= does)");
                return -EINVAL;
            }
            int value;
            if (!ls_call_can_fail_with(r->fns[i], val.p, val.n, &value)) {
                bad_rule(c);
                msg_str(&c->m, ci->name);
                msg_str(&c->m, " cannot fail with ");
                if (val.n)
                    msg_put(&c->m, val.p, val.n);
                else
                    msg_str(&c->m, "an empty error name");
                msg_str(&c->m, " (it can fail with ");
                msg_errnos(&c->m, ci->errnos);
                msg_str(&c->m, ")");
                return -EINVAL;
            }
            r->err = value;
        }
        r->effect = LS_EFFECT_ERRNO;
        return 0;
    }

    if (span_eq(key, "short")) {
        for (int i = 0; i < r->nfns; i++) {
            if (!ls_rule_can_short(r->fns[i])) {
                bad_rule(c);
                msg_str(&c->m, "short= only applies to calls that transfer bytes (read, write, "
                               "pread, pwrite, readv, writev, recv, recvfrom, send, "
                               "sendto, sendfile and their 64/_chk variants); ");
                msg_str(&c->m, ls_calls[r->fns[i]].name);
                msg_str(&c->m, " is not one");
                return -EINVAL;
            }
        }
        if (parse_u64(val, &r->short_bytes) < 0 || r->short_bytes == 0) {
            bad_token(c, "byte count", val);
            msg_str(&c->m, "expected a whole number of bytes from 1 to 18446744073709551615");
            return -EINVAL;
        }
        r->effect = LS_EFFECT_SHORT;
        return 0;
    }

    bad_token(c, "effect", item);
    if (option_index(key) >= 0) {
        msg_str(&c->m, "the effect comes first after ':' (");
        msg_str(&c->m, effects_accepted);
        msg_str(&c->m, "), then the options");
        return -EINVAL;
    }
    msg_str(&c->m, "accepted effects are ");
    msg_str(&c->m, effects_accepted);
    return -EINVAL;
}

/* Names the first function of the rule that an option cannot apply to. */
static int refuse_for_fn(struct ctx *c, struct span item, const char *why, int fn)
{
    bad_token(c, "option", item);
    msg_str(&c->m, why);
    msg_str(&c->m, "; ");
    msg_str(&c->m, ls_calls[fn].name);
    msg_str(&c->m, " is not one");
    return -EINVAL;
}

static int parse_glob(struct ctx *c, struct span item, struct span val, char *dst,
                      const char *example)
{
    if (val.n == 0) {
        bad_token(c, "option", item);
        msg_str(&c->m, "expected a glob, e.g. ");
        msg_str(&c->m, example);
        return -EINVAL;
    }
    if (copy_field(dst, val) < 0) {
        bad_token(c, "option", item);
        msg_str(&c->m, "the glob is longer than ");
        msg_u64(&c->m, LS_RULE_PAT_MAX - 1);
        msg_str(&c->m, " characters");
        return -EINVAL;
    }
    return 0;
}

static int parse_option(struct ctx *c, struct span item, struct ls_rule *r, unsigned *seen)
{
    struct span key, val;
    int has_eq = split_kv(item, &key, &val);
    int opt = option_index(key);

    if (item.n == 0) {
        bad_rule(c);
        msg_str(&c->m, "empty option between commas; ");
        msg_str(&c->m, options_accepted);
        return -EINVAL;
    }
    if (opt < 0 || !has_eq) {
        bad_token(c, "option", item);
        if (span_eq(key, "delay") || span_eq(key, "errno") || span_eq(key, "short"))
            msg_str(&c->m, "a rule has one effect; write a second rule for another");
        else {
            if (!has_eq) msg_str(&c->m, "expected NAME=VALUE; ");
            msg_str(&c->m, options_accepted);
        }
        return -EINVAL;
    }
    if (*seen & (1u << opt)) {
        bad_token(c, "option", item);
        msg_str(&c->m, opt_names[opt]);
        msg_str(&c->m, "= is given twice");
        return -EINVAL;
    }
    *seen |= 1u << opt;

    uint64_t *num = NULL;
    switch (opt) {
    case OPT_P:
        if (parse_prob(val, &r->p) < 0) {
            bad_token(c, "probability", val);
            msg_str(&c->m, "expected a number from 0 to 1");
            return -EINVAL;
        }
        return 0;
    case OPT_AFTER:
        num = &r->after;
        break;
    case OPT_COUNT:
        num = &r->count;
        break;
    case OPT_SEED:
        num = &r->seed;
        break;
    case OPT_JITTER: {
        if (r->effect != LS_EFFECT_DELAY) {
            bad_token(c, "option", item);
            msg_str(&c->m, "jitter= only applies to delay=");
            return -EINVAL;
        }
        return parse_dur(c, val, &r->jitter_ns);
    }
    case OPT_THREAD:
        if (span_eq(val, "any"))
            r->thread = LS_ROLE_ANY;
        else if (span_eq(val, "loop"))
            r->thread = LS_ROLE_LOOP;
        else if (span_eq(val, "other"))
            r->thread = LS_ROLE_OTHER;
        else {
            bad_token(c, "thread", val);
            msg_str(&c->m, "expected loop, other or any");
            return -EINVAL;
        }
        return 0;
    case OPT_PATH:
        for (int i = 0; i < r->nfns; i++)
            if (!can_path(r->fns[i]))
                return refuse_for_fn(c, item,
                                     "path= only applies to calls on a path or a file descriptor",
                                     r->fns[i]);
        return parse_glob(c, item, val, r->path, "path=/var/lib/app/*");
    case OPT_HOST:
        for (int i = 0; i < r->nfns; i++)
            if (!can_host(r->fns[i]))
                return refuse_for_fn(c, item,
                                     "host= only applies to calls that resolve a host name "
                                     "(getaddrinfo)",
                                     r->fns[i]);
        return parse_glob(c, item, val, r->host, "host=*.example.com");
    case OPT_PEER:
        for (int i = 0; i < r->nfns; i++)
            if (!can_peer(r->fns[i]))
                return refuse_for_fn(c, item,
                                     "peer= only applies to calls on a connected socket or "
                                     "with a socket address (connect, recv, send, read, write, "
                                     "...; not accept)",
                                     r->fns[i]);
        return parse_peer(c, item, val, r);
    }

    int rc = parse_u64(val, num);
    if (rc < 0) {
        bad_token(c, "number", val);
        msg_str(&c->m, opt_names[opt]);
        msg_str(&c->m, "= expects a whole number from 0 to 18446744073709551615");
        return -EINVAL;
    }
    /* The rule's 0 is its default, no limit: count=0, "at most 0 times", would be taken for it. */
    if (opt == OPT_COUNT && *num == 0) {
        bad_token(c, "number", val);
        msg_str(&c->m, "count= expects 1 or more (leave it out for no limit; p=0 never fires)");
        return -EINVAL;
    }
    return 0;
}

static int parse_funcs(struct ctx *c, struct span funcs, struct ls_rule *r)
{
    size_t start = 0;
    while (start <= funcs.n) {
        struct span rest = {funcs.p + start, funcs.n - start};
        size_t plus = span_find(rest, '+');
        struct span name = trim((struct span){rest.p, plus});
        if (name.n == 0) {
            bad_rule(c);
            msg_str(&c->m, "expected a function name before ':' and on each side of '+', "
                           "e.g. read+pread64:delay=5ms");
            return -EINVAL;
        }
        int fn = ls_call_lookup(name.p, name.n);
        if (fn < 0) {
            bad_rule(c);
            msg_str(&c->m, "unknown function \"");
            msg_put(&c->m, name.p, name.n);
            msg_str(&c->m, "\" (see `loopstall --list-calls`)");
            return -EINVAL;
        }
        if (ls_calls[fn].hook) {
            bad_rule(c);
            msg_put(&c->m, name.p, name.n);
            msg_str(&c->m, " is a lifecycle hook, not a call a rule can slow or fail "
                           "(see `loopstall --list-calls` for those that can)");
            return -EINVAL;
        }
        for (int i = 0; i < r->nfns; i++)
            if (r->fns[i] == fn) {
                bad_rule(c);
                msg_str(&c->m, "names ");
                msg_put(&c->m, name.p, name.n);
                msg_str(&c->m, " twice");
                return -EINVAL;
            }
        if (r->nfns == LS_RULE_MAX_FNS) {
            bad_rule(c);
            msg_str(&c->m, "names more than ");
            msg_u64(&c->m, LS_RULE_MAX_FNS);
            msg_str(&c->m, " functions; split it into several rules");
            return -EINVAL;
        }
        r->fns[r->nfns++] = fn;
        start += plus + 1;
    }
    return 0;
}

static void rule_defaults(struct ls_rule *r)
{
    memset(r, 0, sizeof *r);
    r->effect = LS_EFFECT_DELAY;
    r->p = 1.0;
    r->thread = LS_ROLE_ANY;
    r->peer_port = -1;
}

int ls_rule_parse(const char *text, size_t len, struct ls_rule *out, char *err, size_t errlen)
{
    struct ctx c = {.m = {err, err ? errlen : 0, 0}};
    if (c.m.cap) err[0] = '\0';
    c.rule = trim((struct span){text, text ? len : 0});
    rule_defaults(out);

    if (c.rule.n == 0) {
        bad_rule(&c);
        msg_str(&c.m, "empty rule; expected FUNCS:EFFECT[,OPTION]..., e.g. read:delay=5ms");
        return -EINVAL;
    }
    if (c.rule.n > LS_RULE_TEXT_MAX - 1) {
        c.m.len = 0;
        msg_str(&c.m, "bad rule \"");
        msg_put(&c.m, c.rule.p, 40);
        msg_str(&c.m, "...\": longer than ");
        msg_u64(&c.m, LS_RULE_TEXT_MAX - 1);
        msg_str(&c.m, " characters");
        return -EINVAL;
    }
    for (size_t i = 0; i < c.rule.n; i++) {
        unsigned char ch = (unsigned char)c.rule.p[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            bad_rule(&c);
            msg_str(&c.m, "contains a control character");
            return -EINVAL;
        }
        if (ch == ';') {
            bad_rule(&c);
            msg_str(&c.m, "contains ';', which separates rules in LOOPSTALL_INJECT");
            return -EINVAL;
        }
    }
    memcpy(out->text, c.rule.p, c.rule.n);
    out->text[c.rule.n] = '\0';

    size_t colon = span_find(c.rule, ':');
    if (colon == c.rule.n) {
        bad_rule(&c);
        msg_str(&c.m, "expected FUNCS:EFFECT[,OPTION]..., e.g. read:delay=5ms");
        return -EINVAL;
    }
    int rc = parse_funcs(&c, (struct span){c.rule.p, colon}, out);
    if (rc < 0) return rc;

    struct span rest = {c.rule.p + colon + 1, c.rule.n - colon - 1};
    size_t comma = span_find(rest, ',');
    rc = parse_effect(&c, trim((struct span){rest.p, comma}), out);
    if (rc < 0) return rc;

    unsigned seen = 0;
    while (comma < rest.n) {
        rest = (struct span){rest.p + comma + 1, rest.n - comma - 1};
        comma = span_find(rest, ',');
        rc = parse_option(&c, trim((struct span){rest.p, comma}), out, &seen);
        if (rc < 0) return rc;
    }
    return 0;
}

int ls_rules_parse(const char *list, char sep, struct ls_rule *rules, int max, char *err,
                   size_t errlen)
{
    int count = 0;
    if (err && errlen) err[0] = '\0';
    if (!list) return 0;
    struct span rest = {list, strlen(list)};
    for (;;) {
        size_t cut = span_find(rest, sep);
        struct span item = trim((struct span){rest.p, cut});
        if (item.n) {
            if (count >= max) {
                struct msg m = {err, err ? errlen : 0, 0};
                msg_str(&m, "too many rules: at most ");
                msg_u64(&m, max > 0 ? (uint64_t)max : 0);
                msg_str(&m, " are kept");
                return -EINVAL;
            }
            int rc = ls_rule_parse(item.p, item.n, &rules[count], err, errlen);
            if (rc < 0) return rc;
            count++;
        }
        if (cut == rest.n) break;
        rest = (struct span){rest.p + cut + 1, rest.n - cut - 1};
    }
    return count;
}

/* Matches one [...] class at g (just past '['); returns the byte after ']' and
 * sets *hit, or NULL when the class is not closed (then '[' is literal). */
static const char *glob_class(const char *g, unsigned char ch, int nocase, int *hit)
{
    int negate = 0, match = 0;
    if (*g == '!' || *g == '^') {
        negate = 1;
        g++;
    }
    const char *start = g;
    while (*g && (*g != ']' || g == start)) {
        unsigned char lo = (unsigned char)*g, hi;
        if (lo == '\\' && g[1]) lo = (unsigned char)*++g;
        g++;
        hi = lo;
        if (g[0] == '-' && g[1] && g[1] != ']') {
            hi = (unsigned char)g[1];
            if (hi == '\\' && g[2]) hi = (unsigned char)*++g;
            g += 2;
        }
        if (ch >= lo && ch <= hi) match = 1;
        if (nocase) {
            unsigned char f = (ch >= 'A' && ch <= 'Z')   ? (unsigned char)(ch + 32)
                              : (ch >= 'a' && ch <= 'z') ? (unsigned char)(ch - 32)
                                                         : ch;
            if (f >= lo && f <= hi) match = 1;
        }
    }
    if (!*g) return NULL;
    *hit = match != negate;
    return g + 1;
}

static int fold(unsigned char ch, int nocase)
{
    return nocase && ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

int ls_glob_match(const char *glob, const char *str, int nocase)
{
    /* Backtracking only to the last '*' keeps this linear in practice and bounded
     * by len(glob) * len(str) at worst, with no recursion. */
    const char *star_g = NULL, *star_s = NULL;
    const char *g = glob, *s = str;
    while (*s) {
        if (*g == '*') {
            while (*g == '*')
                g++;
            if (!*g) return 1;
            star_g = g;
            star_s = s;
            continue;
        }
        const char *next = NULL;
        if (*g == '?') {
            next = g + 1;
        } else if (*g == '[') {
            int hit = 0;
            const char *after = glob_class(g + 1, (unsigned char)*s, nocase, &hit);
            if (after)
                next = hit ? after : NULL;
            else if (*s == '[')
                next = g + 1;
        } else if (*g) {
            const char *lit = g;
            if (*lit == '\\' && lit[1]) lit++;
            if (fold((unsigned char)*lit, nocase) == fold((unsigned char)*s, nocase))
                next = lit + 1;
        }
        if (next) {
            g = next;
            s++;
        } else if (star_g) {
            g = star_g;
            s = ++star_s;
        } else {
            return 0;
        }
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}
