/* json_out.c -- streaming JSON writer with string escaping, shared by the agent and the command. */
#include "json_out.h"

#include <errno.h>
#include <string.h>

void ls_json_init(struct ls_json *j, int fd, ls_write_fn write)
{
    j->fd = fd;
    j->write = write;
    j->err = 0;
    j->depth = 0;
    j->len = 0;
    j->first[0] = 1;
}

static void flush(struct ls_json *j)
{
    size_t off = 0;
    while (off < j->len && !j->err) {
        ssize_t n = j->write(j->fd, j->buf + off, j->len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            j->err = n < 0 ? -errno : -EIO;
        else
            off += (size_t)n;
    }
    j->len = 0;
}

static void put(struct ls_json *j, const char *s, size_t n)
{
    while (n > 0) {
        if (j->len == sizeof j->buf) flush(j);
        size_t room = sizeof j->buf - j->len;
        size_t k = n < room ? n : room;
        memcpy(j->buf + j->len, s, k);
        j->len += k;
        s += k;
        n -= k;
    }
}

static void putc_(struct ls_json *j, char c)
{
    put(j, &c, 1);
}

/* The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 when the
 * bytes there are not one (overlong, surrogate, past U+10FFFF, cut short). */
static int utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    int n;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = c & (0x3fu >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0; /* also stops at the terminator */
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* A string as JSON: escaped, and valid UTF-8 whatever the bytes were (a
 * thread name, a path or an argv element may be anything): each byte that is
 * not part of a well-formed sequence becomes U+FFFD. */
static void put_escaped(struct ls_json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    putc_(j, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            putc_(j, '\\');
            putc_(j, (char)c);
        } else if (c == '\n') {
            put(j, "\\n", 2);
        } else if (c == '\t') {
            put(j, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(j, u, 6);
        } else if (c >= 0x80) {
            int n = utf8_len(p);
            if (n) {
                put(j, (const char *)p, (size_t)n);
                p += n;
            } else {
                put(j, "\\ufffd", 6);
                p++;
            }
            continue;
        } else {
            putc_(j, (char)c);
        }
        p++;
    }
    putc_(j, '"');
}

/* Writes the comma and key that precede every value. */
static void member(struct ls_json *j, const char *key)
{
    if (!j->first[j->depth]) putc_(j, ',');
    j->first[j->depth] = 0;
    if (key) {
        put_escaped(j, key);
        putc_(j, ':');
    }
}

static void open_(struct ls_json *j, const char *key, char c)
{
    member(j, key);
    putc_(j, c);
    if (j->depth + 1 < LS_JSON_MAX_DEPTH) j->depth++;
    j->first[j->depth] = 1;
}

static void close_(struct ls_json *j, char c)
{
    putc_(j, c);
    if (j->depth > 0) j->depth--;
}

void ls_json_begin_object(struct ls_json *j, const char *key)
{
    open_(j, key, '{');
}

void ls_json_end_object(struct ls_json *j)
{
    close_(j, '}');
}

void ls_json_begin_array(struct ls_json *j, const char *key)
{
    open_(j, key, '[');
}

void ls_json_end_array(struct ls_json *j)
{
    close_(j, ']');
}

void ls_json_string(struct ls_json *j, const char *key, const char *s)
{
    member(j, key);
    if (s)
        put_escaped(j, s);
    else
        put(j, "null", 4);
}

static void put_u64(struct ls_json *j, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(j, tmp + i, sizeof tmp - (size_t)i);
}

void ls_json_uint(struct ls_json *j, const char *key, uint64_t v)
{
    member(j, key);
    put_u64(j, v);
}

void ls_json_int(struct ls_json *j, const char *key, int64_t v)
{
    member(j, key);
    if (v < 0) {
        putc_(j, '-');
        put_u64(j, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(j, (uint64_t)v);
    }
}

void ls_json_bool(struct ls_json *j, const char *key, int v)
{
    member(j, key);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void ls_json_null(struct ls_json *j, const char *key)
{
    member(j, key);
    put(j, "null", 4);
}

void ls_json_hex(struct ls_json *j, const char *key, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[20];
    int i = sizeof tmp;
    do {
        tmp[--i] = hex[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    member(j, key);
    putc_(j, '"');
    put(j, tmp + i, sizeof tmp - (size_t)i);
    putc_(j, '"');
}

int ls_json_finish(struct ls_json *j)
{
    flush(j);
    return j->err;
}
