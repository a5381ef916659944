/* inject.c -- the agent's fault-injection matcher and its accurate sleep.
 *
 * Called from wrappers on any thread, including the event loop being observed,
 * so it takes no locks, allocates nothing and prints nothing: the state is a
 * fixed array of rules with atomic counters. Whether a rule fires on the k-th
 * call that matches it depends only on k and the rule's seed (a counter-based
 * hash), so a fixed seed gives the same fire pattern whatever the threads'
 * timing.
 */
#include "inject.h"

#include "mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A rule with its counters and what ls_inject_init worked out from it once, so
 * that deciding does no parsing. */
struct ls_inject_slot {
    struct ls_rule rule;
    _Atomic uint64_t matched; /* calls that passed the filters */
    _Atomic uint64_t fired;   /* calls the rule acted on */
    _Atomic uint64_t *mirror; /* the record's counter, which the watcher reads, or NULL */
    uint64_t key;             /* hashed seed: start of the rule's sequence */
    uint64_t p53;             /* fire when the top 53 bits of the hash are below this */
    int peer_family;          /* AF_INET, AF_INET6, or 0 for any address */
    int peer_localhost;       /* peer=localhost: 127.0.0.1 or ::1 */
    struct in_addr peer4;
    struct in6_addr peer6;
};

int ls_inject_on;
uint64_t ls_inject_mask[(LS_FN_COUNT + 63) / 64];

static struct ls_inject_slot slots[LS_MAX_RULES];
static int nslots;

/* splitmix64's finalizer: a good 64-bit mix for counter-based sequences. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Writes to stderr with the raw system call: write() would enter the agent's
 * own wrapper, which may not be ready while the constructor runs. */
static void say(const char *s, size_t n)
{
    while (n) {
        long w = syscall(SYS_write, 2, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* Works out the binary form of peer= once. The parser has already checked it. */
static void slot_peer(struct ls_inject_slot *s)
{
    const char *host = s->rule.peer;
    if (host[0] == '\0') {
        s->peer_family = 0;
    } else if (strcmp(host, "localhost") == 0) {
        s->peer_localhost = 1;
    } else if (inet_pton(AF_INET, host, &s->peer4) == 1) {
        s->peer_family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &s->peer6) == 1) {
        s->peer_family = AF_INET6;
        if (IN6_IS_ADDR_V4MAPPED(&s->peer6)) { /* ::ffff:a.b.c.d is an IPv4 peer */
            memcpy(&s->peer4, &s->peer6.s6_addr[12], 4);
            s->peer_family = AF_INET;
        }
    }
}

void ls_inject_init(const char *env_value)
{
    static struct ls_rule parsed[LS_MAX_RULES]; /* static: too big for a constructor's stack */
    char err[512];
    int saved = errno;

    ls_inject_on = 0;
    memset(ls_inject_mask, 0, sizeof ls_inject_mask);
    nslots = 0;

    int n = ls_rules_parse(env_value, ';', parsed, LS_MAX_RULES, err, sizeof err);
    if (n < 0) {
        static const char prefix[] = "loopstall: LOOPSTALL_INJECT ignored: ";
        say(prefix, sizeof prefix - 1);
        say(err, strlen(err));
        say("\n", 1);
        errno = saved;
        return;
    }

    for (int i = 0; i < n; i++) {
        struct ls_inject_slot *s = &slots[i];
        memset(s, 0, sizeof *s);
        s->rule = parsed[i];
        atomic_init(&s->matched, 0);
        atomic_init(&s->fired, 0);
        s->key = mix64(s->rule.seed);
        /* p * 2^53 is exact for p in [0, 1]; p = 1 gives 2^53, above every draw. */
        s->p53 = (uint64_t)(s->rule.p * 9007199254740992.0);
        slot_peer(s);
        for (int f = 0; f < s->rule.nfns; f++)
            ls_inject_mask[s->rule.fns[f] >> 6] |= 1ULL << (s->rule.fns[f] & 63);
    }
    nslots = n;
    ls_inject_on = n > 0;
    errno = saved;
}

static int names_fn(const struct ls_rule *r, int fn)
{
    for (int i = 0; i < r->nfns; i++)
        if (r->fns[i] == fn) return 1;
    return 0;
}

/* Resolves a descriptor to its path through /proc, into buf. */
static int fd_path(int fd, char *buf, size_t size)
{
    char link[32] = "/proc/self/fd/";
    char digits[12];
    size_t n = 0, at = strlen(link);
    if (fd < 0) return -1;
    do {
        digits[n++] = (char)('0' + fd % 10);
        fd /= 10;
    } while (fd);
    while (n)
        link[at++] = digits[--n];
    link[at] = '\0';
    ssize_t len = readlink(link, buf, size - 1);
    if (len < 0) return -1;
    buf[len] = '\0';
    return 0;
}

/* What the call's target resolves to, looked up at most once per call however
 * many rules ask: readlink and getpeername are system calls. */
struct call_target {
    int tkind;
    intptr_t target;
    int path_state; /* 0: not looked up, 1: path holds it, -1: none */
    int peer_state; /* likewise for peer */
    int host_state; /* likewise for host */
    struct sockaddr_storage peer;
    char path[4096];
    char host[256];
};

static int path_matches(const struct ls_rule *r, struct call_target *ct)
{
    /* The caller's path is read fault-safely: a bad pointer must reach the
     * kernel (EFAULT, as without us), not crash the host here. */
    if (ct->tkind == LS_T_PATH && ct->path_state == 0)
        ct->path_state =
            ls_mem_read_str(0, (uint64_t)ct->target, ct->path, sizeof ct->path) >= 0 ? 1 : -1;
    else if (ct->tkind != LS_T_FD && ct->tkind != LS_T_PATH)
        return 0;
    if (ct->path_state == 0)
        ct->path_state = fd_path((int)ct->target, ct->path, sizeof ct->path) == 0 ? 1 : -1;
    return ct->path_state > 0 && ls_glob_match(r->path, ct->path, 0);
}
static int addr_matches(const struct ls_inject_slot *s, const struct sockaddr *sa)
{
    const struct ls_rule *r = &s->rule;
    struct in_addr a4;
    int port, v4;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        a4 = in->sin_addr;
        port = ntohs(in->sin_port);
        v4 = 1;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        port = ntohs(in6->sin6_port);
        v4 = IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
        if (v4)
            memcpy(&a4, &in6->sin6_addr.s6_addr[12], 4);
        else if (s->peer_localhost && !IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return 0;
        else if (s->peer_family == AF_INET)
            return 0;
        else if (s->peer_family == AF_INET6 &&
                 memcmp(&in6->sin6_addr, &s->peer6, sizeof s->peer6) != 0)
            return 0;
    } else {
        return 0; /* Unix sockets and others have no address or port to compare */
    }
    if (v4) {
        if (s->peer_localhost && a4.s_addr != htonl(INADDR_LOOPBACK)) return 0;
        if (s->peer_family == AF_INET6) return 0;
        if (s->peer_family == AF_INET && a4.s_addr != s->peer4.s_addr) return 0;
    }
    return r->peer_port < 0 || port == r->peer_port;
}

static int peer_matches(const struct ls_inject_slot *s, struct call_target *ct)
{
    if (ct->tkind == LS_T_SOCKADDR) {
        if (ct->peer_state == 0) {
            memset(&ct->peer, 0, sizeof ct->peer);
            ssize_t n = ls_mem_read(0, (uint64_t)ct->target, &ct->peer, sizeof ct->peer);
            ct->peer_state = n >= (ssize_t)sizeof(struct sockaddr_in) ? 1 : -1;
        }
        return ct->peer_state > 0 && addr_matches(s, (const struct sockaddr *)&ct->peer);
    }
    if (ct->tkind != LS_T_FD) return 0;
    if (ct->peer_state == 0) {
        socklen_t len = sizeof ct->peer;
        ct->peer_state =
            getpeername((int)ct->target, (struct sockaddr *)&ct->peer, &len) == 0 ? 1 : -1;
    }
    return ct->peer_state > 0 && addr_matches(s, (const struct sockaddr *)&ct->peer);
}

/* Applies the rule's filters to this call. */
static int filters_match(const struct ls_inject_slot *s, int on_loop, struct call_target *ct)
{
    const struct ls_rule *r = &s->rule;
    if (r->thread == LS_ROLE_LOOP && !on_loop) return 0;
    if (r->thread == LS_ROLE_OTHER && on_loop) return 0;
    if (r->path[0] && !path_matches(r, ct)) return 0;
    if ((r->peer[0] || r->peer_port >= 0) && !peer_matches(s, ct)) return 0;
    if (r->host[0]) {
        if (ct->tkind != LS_T_HOST) return 0;
        if (ct->host_state == 0)
            ct->host_state = ct->target && ls_mem_read_str(0, (uint64_t)ct->target, ct->host,
                                                           sizeof ct->host) >= 0
                                 ? 1
                                 : -1;
        if (!ls_glob_match(r->host, ct->host_state > 0 ? ct->host : "",
                           1)) /* host names ignore case */
            return 0;
    }
    return 1;
}

/* Counts the matching call and says whether the rule fires on it; *draw gets
 * the call's hash for the jitter. */
static int window_fires(struct ls_inject_slot *s, uint64_t *draw)
{
    const struct ls_rule *r = &s->rule;
    uint64_t k = atomic_fetch_add_explicit(&s->matched, 1, memory_order_relaxed);
    if (k < r->after) return 0;
    uint64_t h = mix64(s->key + k);
    if ((h >> 11) >= s->p53) return 0;
    /* The cap is claimed with compare-exchange so that concurrent callers can
     * never push fired past count. */
    uint64_t f = atomic_load_explicit(&s->fired, memory_order_relaxed);
    do {
        if (r->count && f >= r->count) return 0;
    } while (!atomic_compare_exchange_weak_explicit(&s->fired, &f, f + 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    if (s->mirror) atomic_fetch_add_explicit(s->mirror, 1, memory_order_relaxed);
    *draw = mix64(h);
    return 1;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int ls_inject_decide(int fn, int on_loop, int tkind, intptr_t target, struct ls_inject_action *act)
{
    int saved = errno; /* readlink and getpeername may set it */
    int fired = 0;
    struct call_target ct;
    ct.tkind = tkind;
    ct.target = target;
    ct.path_state = ct.peer_state = ct.host_state = 0;

    memset(act, 0, sizeof *act);
    act->rule = -1;
    for (int i = 0; i < nslots; i++) {
        struct ls_inject_slot *s = &slots[i];
        const struct ls_rule *r = &s->rule;
        uint64_t draw = 0;
        if (!names_fn(r, fn) || !filters_match(s, on_loop, &ct) || !window_fires(s, &draw))
            continue;
        if (!fired) act->rule = i;
        fired = 1;
        switch (r->effect) {
        case LS_EFFECT_DELAY: {
            uint64_t jitter = 0;
            if (r->jitter_ns)
                jitter = r->jitter_ns == UINT64_MAX ? draw : draw % (r->jitter_ns + 1);
            act->delay_ns = add_sat(act->delay_ns, add_sat(r->delay_ns, jitter));
            break;
        }
        case LS_EFFECT_ERRNO:
            if (!act->fail) { /* the first failing rule names the error */
                act->fail = 1;
                act->err = r->err;
            }
            break;
        case LS_EFFECT_SHORT:
            if (!act->short_bytes || r->short_bytes < act->short_bytes)
                act->short_bytes = r->short_bytes;
            break;
        }
    }
    errno = saved;
    return fired;
}

void ls_inject_sleep(uint64_t ns)
{
    int saved = errno;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t sec = ns / 1000000000ULL, nsec = (uint64_t)ts.tv_nsec + ns % 1000000000ULL;
    if (nsec >= 1000000000ULL) {
        nsec -= 1000000000ULL;
        sec++;
    }
    /* A deadline past what time_t holds sleeps until then, in effect forever. */
    const uint64_t tmax = ((uint64_t)1 << (sizeof(time_t) * 8 - 1)) - 1;
    ts.tv_sec = sec > tmax - (uint64_t)ts.tv_sec ? (time_t)tmax : ts.tv_sec + (time_t)sec;
    ts.tv_nsec = (long)nsec;
    while (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0 &&
           errno == EINTR)
        ;
    errno = saved;
}

int ls_inject_rule_count(void)
{
    return nslots;
}

const struct ls_rule *ls_inject_rule(int i)
{
    return i >= 0 && i < nslots ? &slots[i].rule : NULL;
}

uint64_t ls_inject_fired(int i)
{
    return i >= 0 && i < nslots ? atomic_load_explicit(&slots[i].fired, memory_order_relaxed) : 0;
}

uint64_t ls_inject_matched(int i)
{
    return i >= 0 && i < nslots ? atomic_load_explicit(&slots[i].matched, memory_order_relaxed) : 0;
}

void ls_inject_reset_counts(void)
{
    for (int i = 0; i < nslots; i++) {
        atomic_store_explicit(&slots[i].matched, 0, memory_order_relaxed);
        atomic_store_explicit(&slots[i].fired, 0, memory_order_relaxed);
    }
}

void ls_inject_bind(_Atomic uint64_t *fired, char (*text)[LS_RULE_TEXT_MAX], uint32_t *nrules)
{
    for (int i = 0; i < nslots; i++) {
        slots[i].mirror = fired ? &fired[i] : NULL;
        if (text) memcpy(text[i], slots[i].rule.text, LS_RULE_TEXT_MAX);
        if (fired)
            atomic_store_explicit(&fired[i], atomic_load(&slots[i].fired), memory_order_relaxed);
    }
    if (nrules) *nrules = (uint32_t)nslots;
}
