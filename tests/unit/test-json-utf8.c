/* test-json-utf8.c -- the JSON writer's UTF-8 handling (common/json_out.c): every byte that is
 * not part of a well-formed sequence becomes U+FFFD, every well-formed sequence is kept as it
 * was, and the output always parses (jansson refuses invalid UTF-8).
 *
 * The reference below is written from the Unicode standard's table of well-formed byte
 * sequences (Table 3-7), not from the writer's code: lead byte ranges and, for E0, ED, F0 and
 * F4, the narrower second-byte ranges that exclude overlongs, surrogates and code points past
 * U+10FFFF.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "json_out.h"

static char out[1 << 16];
static size_t out_len;

static ssize_t capture(int fd, const void *buf, size_t len)
{
    (void)fd;
    memcpy(out + out_len, buf, len);
    out_len += len;
    return (ssize_t)len;
}

/* The length of the well-formed sequence at p, per Table 3-7, or 0. */
static int well_formed(const unsigned char *p)
{
    static const struct {
        unsigned char lo, hi, n, lo2, hi2;
    } table[] = {
        {0x00, 0x7f, 1, 0, 0},       {0xc2, 0xdf, 2, 0x80, 0xbf}, {0xe0, 0xe0, 3, 0xa0, 0xbf},
        {0xe1, 0xec, 3, 0x80, 0xbf}, {0xed, 0xed, 3, 0x80, 0x9f}, {0xee, 0xef, 3, 0x80, 0xbf},
        {0xf0, 0xf0, 4, 0x90, 0xbf}, {0xf1, 0xf3, 4, 0x80, 0xbf}, {0xf4, 0xf4, 4, 0x80, 0x8f},
    };
    for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
        if (p[0] < table[t].lo || p[0] > table[t].hi) continue;
        if (table[t].n == 1) return 1;
        if (p[1] < table[t].lo2 || p[1] > table[t].hi2) return 0;
        for (int i = 2; i < table[t].n; i++)
            if (p[i] < 0x80 || p[i] > 0xbf) return 0;
        return table[t].n;
    }
    return 0;
}

/* What the string must read as once parsed: s with each ill-formed byte replaced. */
static size_t expected(const unsigned char *s, char *exp)
{
    size_t e = 0;
    while (*s) {
        int n = well_formed(s);
        if (n) {
            memcpy(exp + e, s, (size_t)n);
            e += (size_t)n;
            s += n;
        } else {
            memcpy(exp + e, "\xef\xbf\xbd", 3);
            e += 3;
            s++;
        }
    }
    exp[e] = '\0';
    return e;
}

/* Writes {"k": s} and checks it parses back as the reference says. */
static void check(const unsigned char *s)
{
    static struct ls_json j;
    static char exp[4096];
    out_len = 0;
    ls_json_init(&j, 1, capture);
    ls_json_begin_object(&j, NULL);
    ls_json_string(&j, "k", (const char *)s);
    ls_json_end_object(&j);
    cr_assert_eq(ls_json_finish(&j), 0);
    json_error_t err;
    json_t *doc = json_loadb(out, out_len, 0, &err);
    char hex[64] = "";
    for (size_t i = 0; s[i] && i < 12; i++)
        sprintf(hex + 3 * i, "%02x ", s[i]);
    cr_assert_not_null(doc, "bytes %s: the output does not parse: %s\n%.*s", hex, err.text,
                       (int)out_len, out);
    size_t n = expected(s, exp);
    const char *got = json_string_value(json_object_get(doc, "k"));
    size_t got_n = json_string_length(json_object_get(doc, "k"));
    cr_assert(got && got_n == n && memcmp(got, exp, n) == 0, "bytes %s: read back wrong", hex);
    json_decref(doc);
}

Test(json_utf8, every_string_of_one_or_two_bytes)
{
    unsigned char s[3] = {0};
    for (int a = 1; a < 256; a++)
        for (int b = 0; b < 256; b++) {
            s[0] = (unsigned char)a;
            s[1] = (unsigned char)b;
            check(s);
        }
}

/* Bytes on every edge of Table 3-7, and a few that are never valid. */
static const unsigned char edges[] = {0x01, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                      0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef,
                                      0xf0, 0xf4, 0xf5, 0xff, 0x22, 0x5c, 0x0a};
#define NEDGES (sizeof edges)

Test(json_utf8, every_three_byte_string_of_a_non_ascii_lead_and_edge_bytes)
{
    unsigned char s[4] = {0};
    for (int a = 0x80; a < 256; a++)
        for (size_t b = 0; b < NEDGES; b++)
            for (size_t c = 0; c < NEDGES; c++) {
                s[0] = (unsigned char)a;
                s[1] = edges[b];
                s[2] = edges[c];
                check(s);
            }
}

Test(json_utf8, every_four_byte_lead_with_edge_continuations)
{
    unsigned char s[5] = {0};
    for (int a = 0xf0; a <= 0xf7; a++)
        for (size_t b = 0; b < NEDGES; b++)
            for (size_t c = 0; c < NEDGES; c++)
                for (size_t d = 0; d < NEDGES; d++) {
                    s[0] = (unsigned char)a;
                    s[1] = edges[b];
                    s[2] = edges[c];
                    s[3] = edges[d];
                    check(s);
                }
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

Test(json_utf8, random_byte_strings_mostly_above_ascii)
{
    uint64_t seed = 0x75746638;
    unsigned char s[24];
    for (int round = 0; round < 100000; round++) {
        size_t n = 1 + next(&seed) % 20;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = next(&seed);
            s[i] = (unsigned char)(r % 4 ? 0x80 + (r >> 8) % 0x80 : 1 + (r >> 8) % 0x7f);
        }
        s[n] = '\0';
        check(s);
    }
}

/* The raw output text of {"k": s}. */
static const char *raw(const char *s)
{
    static struct ls_json j;
    out_len = 0;
    ls_json_init(&j, 1, capture);
    ls_json_string(&j, NULL, s);
    ls_json_finish(&j);
    out[out_len] = '\0';
    return out;
}

Test(json_utf8, well_formed_characters_are_written_as_they_are_not_escaped)
{
    cr_expect_str_eq(raw("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"),
                     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
}

Test(json_utf8, each_ill_formed_byte_is_one_replacement_character)
{
    cr_expect_str_eq(raw("\xc0\x80"), "\"\\ufffd\\ufffd\"", "an overlong NUL");
    cr_expect_str_eq(raw("\xe0\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\"", "an overlong 3-byte");
    cr_expect_str_eq(raw("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"", "a surrogate");
    cr_expect_str_eq(raw("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF");
    cr_expect_str_eq(raw("\xe2\x82"), "\"\\ufffd\\ufffd\"", "cut short by the end");
    cr_expect_str_eq(raw("\xe2\x82"
                         "A"),
                     "\"\\ufffd\\ufffdA\"", "cut short by ASCII");
    cr_expect_str_eq(raw("\xff"
                         "ok"),
                     "\"\\ufffdok\"");
}

Test(json_utf8, member_names_are_made_valid_too)
{
    static struct ls_json j;
    out_len = 0;
    ls_json_init(&j, 1, capture);
    ls_json_begin_object(&j, NULL);
    ls_json_uint(&j, "thread\xff\xfe", 1);
    ls_json_end_object(&j);
    ls_json_finish(&j);
    json_error_t err;
    json_t *doc = json_loadb(out, out_len, 0, &err);
    cr_assert_not_null(doc, "%s", err.text);
    cr_expect_not_null(json_object_get(doc, "thread\xef\xbf\xbd\xef\xbf\xbd"));
    json_decref(doc);
}
