/* fuzz-inject-rule.c -- libFuzzer harness for the injection-rule parser and its glob matcher. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "inject_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what callers rely on, so that a wrong answer is a crash the fuzzer keeps. */
static void check_rule(const struct ls_rule *r)
{
    if (r->nfns < 1 || r->nfns > LS_RULE_MAX_FNS) abort();
    for (int i = 0; i < r->nfns; i++)
        if (r->fns[i] < 0 || r->fns[i] >= LS_FN_COUNT) abort();
    if (!(r->p >= 0.0 && r->p <= 1.0)) abort();
    if (r->peer_port < -1 || r->peer_port > 65535 || r->peer_port == 0) abort();
    if (r->effect == LS_EFFECT_SHORT && r->short_bytes == 0) abort();
    if (r->jitter_ns && r->effect != LS_EFFECT_DELAY) abort();
    if (memchr(r->text, '\0', sizeof r->text) == NULL || r->text[0] == '\0' ||
        memchr(r->path, '\0', sizeof r->path) == NULL ||
        memchr(r->host, '\0', sizeof r->host) == NULL ||
        memchr(r->peer, '\0', sizeof r->peer) == NULL)
        abort();
}

static void check_err(const char *err, size_t cap)
{
    size_t n = strnlen(err, cap);
    if (n == cap || n == 0 || memchr(err, '\n', n))
        abort(); /* unterminated, empty or more than one line */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ls_rule rules[LS_MAX_RULES];
    char err[300];

    /* The list parser reads a C string, as getenv gives it. */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int n = ls_rules_parse(text, ';', rules, LS_MAX_RULES, err, sizeof err);
    if (n < 0) check_err(err, sizeof err);
    for (int i = 0; i < n; i++) {
        check_rule(&rules[i]);
        /* A rule that parsed must parse again from its own text to the same rule. */
        struct ls_rule again;
        if (ls_rule_parse(rules[i].text, strlen(rules[i].text), &again, err, sizeof err) != 0 ||
            memcmp(&again, &rules[i], sizeof again) != 0)
            abort();
    }

    /* The rule parser reads exactly size bytes, not NUL-terminated: an exact-size
     * copy lets AddressSanitizer catch a read past the end. */
    char *exact = malloc(size ? size : 1);
    if (!exact) {
        free(text);
        return 0;
    }
    memcpy(exact, data, size);
    struct ls_rule one;
    char small[24]; /* a short buffer exercises the cut of long messages */
    if (ls_rule_parse(exact, size, &one, small, sizeof small) == 0)
        check_rule(&one);
    else
        check_err(small, sizeof small);

    /* The glob matcher, with the first line as the glob and the rest as the string. */
    char *nl = strchr(text, '\n');
    if (nl) {
        *nl = '\0';
        ls_glob_match(text, nl + 1, 0);
        ls_glob_match(text, nl + 1, 1);
    }

    free(exact);
    free(text);
    return 0;
}
