/* json_out.h -- a streaming JSON writer into a fixed buffer: no allocation, so the agent can use
 * it. */
#ifndef LS_JSON_OUT_H
#define LS_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LS_JSON_MAX_DEPTH 16

typedef ssize_t (*ls_write_fn)(int fd, const void *buf, size_t len);

struct ls_json {
    int fd;
    ls_write_fn write; /* the agent passes the real write, not its wrapper */
    int err;           /* first write error (negative errno), sticky */
    int depth;
    unsigned char first[LS_JSON_MAX_DEPTH]; /* no member written yet at this depth */
    size_t len;
    char buf[8192];
};

void ls_json_init(struct ls_json *j, int fd, ls_write_fn write);
/* key is the member name inside an object, NULL inside an array or at the top. */
void ls_json_begin_object(struct ls_json *j, const char *key);
void ls_json_end_object(struct ls_json *j);
void ls_json_begin_array(struct ls_json *j, const char *key);
void ls_json_end_array(struct ls_json *j);
void ls_json_string(struct ls_json *j, const char *key, const char *s); /* NULL writes null */
void ls_json_uint(struct ls_json *j, const char *key, uint64_t v);
void ls_json_int(struct ls_json *j, const char *key, int64_t v);
void ls_json_bool(struct ls_json *j, const char *key, int v);
void ls_json_null(struct ls_json *j, const char *key);
void ls_json_hex(struct ls_json *j, const char *key, uint64_t v); /* "0x..." string */
/* Flushes what is buffered; returns 0 or the first write error. */
int ls_json_finish(struct ls_json *j);

#endif
