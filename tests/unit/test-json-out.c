/* test-json-out.c -- the agent's streaming JSON writer produces valid, escaped JSON. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_out.h"

static char captured[65536];
static size_t captured_len;

static ssize_t capture(int fd, const void *buf, size_t len)
{
    (void)fd;
    size_t n = len < 7 ? len : 7; /* short writes must be retried by the writer */
    memcpy(captured + captured_len, buf, n);
    captured_len += n;
    return (ssize_t)n;
}

static ssize_t failing(int fd, const void *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSPC;
    return -1;
}

Test(json_out, nested_objects_and_arrays_parse_back_with_the_same_values)
{
    static struct ls_json j;
    captured_len = 0;
    ls_json_init(&j, 1, capture);
    ls_json_begin_object(&j, NULL);
    ls_json_string(&j, "s", "quote\" back\\ nl\n tab\t ctl\x01");
    ls_json_uint(&j, "big", UINT64_MAX / 2);
    ls_json_int(&j, "neg", -42);
    ls_json_bool(&j, "t", 1);
    ls_json_null(&j, "n");
    ls_json_hex(&j, "off", 0x1234abcd);
    ls_json_string(&j, "nul", NULL);
    ls_json_begin_array(&j, "a");
    for (int i = 0; i < 3; i++)
        ls_json_uint(&j, NULL, (uint64_t)i);
    ls_json_begin_object(&j, NULL);
    ls_json_end_object(&j);
    ls_json_end_array(&j);
    ls_json_end_object(&j);
    cr_assert_eq(ls_json_finish(&j), 0);
    captured[captured_len] = '\0';
    json_error_t e;
    json_t *v = json_loads(captured, 0, &e);
    cr_assert_not_null(v, "invalid JSON (%s): %s", e.text, captured);
    cr_assert_str_eq(json_string_value(json_object_get(v, "s")),
                     "quote\" back\\ nl\n tab\t ctl\x01");
    cr_assert_eq(json_integer_value(json_object_get(v, "neg")), -42);
    cr_assert_str_eq(json_string_value(json_object_get(v, "off")), "0x1234abcd");
    cr_assert(json_is_null(json_object_get(v, "nul")));
    cr_assert_eq(json_array_size(json_object_get(v, "a")), 4);
    json_decref(v);
}

Test(json_out, output_larger_than_the_buffer_is_flushed_in_pieces)
{
    static struct ls_json j;
    captured_len = 0;
    ls_json_init(&j, 1, capture);
    ls_json_begin_array(&j, NULL);
    for (int i = 0; i < 2000; i++)
        ls_json_string(&j, NULL, "0123456789");
    ls_json_end_array(&j);
    cr_assert_eq(ls_json_finish(&j), 0);
    captured[captured_len] = '\0';
    json_t *v = json_loads(captured, 0, NULL);
    cr_assert_eq(json_array_size(v), 2000);
    json_decref(v);
}

Test(json_out, a_write_error_is_returned_as_a_negative_errno)
{
    static struct ls_json j;
    ls_json_init(&j, 1, failing);
    ls_json_string(&j, NULL, "x");
    cr_assert_eq(ls_json_finish(&j), -ENOSPC);
}
