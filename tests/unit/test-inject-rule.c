/* test-inject-rule.c -- the fault-injection rule parser: what it accepts and how it refuses. */
#include <criterion/criterion.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "calls.h"
#include "inject_rule.h"

static struct ls_rule parse_ok(const char *text)
{
    struct ls_rule r;
    char err[512] = "";
    int rc = ls_rule_parse(text, strlen(text), &r, err, sizeof err);
    cr_assert_eq(rc, 0, "\"%s\" should parse, got: %s", text, err);
    cr_assert_str_empty(err);
    return r;
}

/* Returns the one-line error for a rule that must be refused. */
static const char *parse_err(const char *text)
{
    static char err[1024];
    struct ls_rule r;
    int rc = ls_rule_parse(text, strlen(text), &r, err, sizeof err);
    cr_assert_eq(rc, -EINVAL, "\"%s\" should be refused", text);
    cr_assert_null(strchr(err, '\n'), "the error must be one line: %s", err);
    return err;
}

static void assert_err(const char *text, const char *expected)
{
    cr_assert_str_eq(parse_err(text), expected);
}

static void assert_err_has(const char *text, const char *part)
{
    const char *err = parse_err(text);
    cr_assert_not_null(strstr(err, part),
                       "error for \"%s\" is \"%s\", expected it to contain \"%s\"", text, err,
                       part);
}

/* Good rules. */

Test(inject_rule, a_delay_rule_names_its_function_and_duration)
{
    struct ls_rule r = parse_ok("getaddrinfo:delay=100ms");
    cr_assert_eq(r.nfns, 1);
    cr_assert_eq(r.fns[0], LS_FN_getaddrinfo);
    cr_assert_eq(r.effect, LS_EFFECT_DELAY);
    cr_assert_eq(r.delay_ns, 100000000ULL);
    cr_assert_str_eq(r.text, "getaddrinfo:delay=100ms");
}

Test(inject_rule, options_left_out_take_their_defaults)
{
    struct ls_rule r = parse_ok("read:delay=1ms");
    cr_assert_eq(r.p, 1.0);
    cr_assert_eq(r.thread, LS_ROLE_ANY);
    cr_assert_eq(r.count, 0);
    cr_assert_eq(r.after, 0);
    cr_assert_eq(r.seed, 0);
    cr_assert_eq(r.jitter_ns, 0);
    cr_assert_eq(r.peer_port, -1);
    cr_assert_str_empty(r.path);
    cr_assert_str_empty(r.peer);
    cr_assert_str_empty(r.host);
}

Test(inject_rule, an_errno_rule_stores_the_errors_value)
{
    struct ls_rule r = parse_ok("connect:errno=ECONNREFUSED");
    cr_assert_eq(r.effect, LS_EFFECT_ERRNO);
    cr_assert_eq(r.err, ECONNREFUSED);
}

Test(inject_rule, getaddrinfo_fails_with_its_own_eai_codes)
{
    cr_assert_eq(parse_ok("getaddrinfo:errno=EAI_AGAIN").err, EAI_AGAIN);
    cr_assert_eq(parse_ok("getaddrinfo:errno=EAI_NONAME").err, EAI_NONAME);
    cr_assert_eq(parse_ok("getnameinfo:errno=EAI_OVERFLOW").err, EAI_OVERFLOW);
}

Test(inject_rule, a_function_returning_its_error_takes_errno_too)
{
    cr_assert_eq(parse_ok("clock_nanosleep:errno=ENOTSUP").err, ENOTSUP);
}

Test(inject_rule, the_design_example_with_every_kind_of_filter_parses)
{
    struct ls_rule r = parse_ok("read+pread64:delay=5ms,path=/var/lib/app/*,p=0.2,thread=loop");
    cr_assert_eq(r.nfns, 2);
    cr_assert_eq(r.fns[0], LS_FN_read);
    cr_assert_eq(r.fns[1], LS_FN_pread64);
    cr_assert_eq(r.delay_ns, 5000000);
    cr_assert_str_eq(r.path, "/var/lib/app/*");
    cr_assert_float_eq(r.p, 0.2, 1e-12);
    cr_assert_eq(r.thread, LS_ROLE_LOOP);
}

Test(inject_rule, every_intercepted_function_can_be_delayed)
{
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        if (ls_calls[fn].hook) continue;
        char text[128];
        snprintf(text, sizeof text, "%s:delay=1ms", ls_calls[fn].name);
        struct ls_rule r = parse_ok(text);
        cr_assert_eq(r.fns[0], fn);
    }
}

Test(inject_rule, a_lifecycle_hook_cannot_be_named_by_a_rule)
{
    int hooks = 0;
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        if (!ls_calls[fn].hook) continue;
        hooks++;
        char text[128];
        snprintf(text, sizeof text, "%s:delay=1ms", ls_calls[fn].name);
        cr_assert(strstr(parse_err(text), "is a lifecycle hook"), "%s", text);
    }
    cr_assert_geq(hooks, 5, "_exit, abort, syscall, sigaction and the masks are hooks");
    assert_err_has("sigaction:errno=EINVAL", "sigaction is a lifecycle hook");
}

Test(inject_rule, every_errno_listed_for_a_function_is_accepted_for_it)
{
    for (int fn = 0; fn < LS_FN_COUNT; fn++) {
        const char *p = ls_calls[fn].errnos;
        if (ls_calls[fn].fail == F_NONE) continue;
        while (*p) {
            size_t n = strcspn(p, " ");
            if (n) {
                char text[128];
                snprintf(text, sizeof text, "%s:errno=%.*s", ls_calls[fn].name, (int)n, p);
                parse_ok(text);
            }
            p += n;
            p += strspn(p, " ");
        }
    }
}

Test(inject_rule, several_functions_are_joined_with_plus)
{
    struct ls_rule r = parse_ok("read+write+recv+send:delay=2ms");
    cr_assert_eq(r.nfns, 4);
    cr_assert_eq(r.fns[3], LS_FN_send);
}

Test(inject_rule, an_errno_for_several_functions_must_suit_all_of_them)
{
    struct ls_rule r = parse_ok("read+write+recv:errno=ECONNRESET");
    cr_assert_eq(r.err, ECONNRESET);
}

Test(inject_rule, a_rule_may_name_sixteen_functions)
{
    struct ls_rule r = parse_ok("read+__read_chk+pread+pread64+__pread_chk+__pread64_chk+readv+"
                                "preadv+preadv64+write+pwrite+pwrite64+writev+pwritev+pwritev64+"
                                "recv:delay=1ms");
    cr_assert_eq(r.nfns, LS_RULE_MAX_FNS);
}

Test(inject_rule, short_caps_the_byte_count_of_transfers)
{
    struct ls_rule r = parse_ok("read+recv+writev+sendfile:short=100");
    cr_assert_eq(r.effect, LS_EFFECT_SHORT);
    cr_assert_eq(r.short_bytes, 100);
}

Test(inject_rule, after_count_and_seed_are_whole_numbers)
{
    struct ls_rule r = parse_ok("write:delay=1ms,after=10,count=3,seed=18446744073709551615");
    cr_assert_eq(r.after, 10);
    cr_assert_eq(r.count, 3);
    cr_assert_eq(r.seed, UINT64_MAX);
}

Test(inject_rule, jitter_adds_to_a_delay)
{
    struct ls_rule r = parse_ok("fsync:delay=10ms,jitter=500us");
    cr_assert_eq(r.jitter_ns, 500000);
}

Test(inject_rule, thread_accepts_loop_other_and_any)
{
    cr_assert_eq(parse_ok("read:delay=1ms,thread=loop").thread, LS_ROLE_LOOP);
    cr_assert_eq(parse_ok("read:delay=1ms,thread=other").thread, LS_ROLE_OTHER);
    cr_assert_eq(parse_ok("read:delay=1ms,thread=any").thread, LS_ROLE_ANY);
}

Test(inject_rule, probability_is_written_as_a_decimal_from_zero_to_one)
{
    cr_assert_eq(parse_ok("read:delay=1ms,p=0").p, 0.0);
    cr_assert_eq(parse_ok("read:delay=1ms,p=1").p, 1.0);
    cr_assert_eq(parse_ok("read:delay=1ms,p=1.000").p, 1.0);
    cr_assert_eq(parse_ok("read:delay=1ms,p=.5").p, 0.5);
    cr_assert_float_eq(parse_ok("read:delay=1ms,p=0.25").p, 0.25, 1e-12);
    cr_assert_float_eq(parse_ok("read:delay=1ms,p=0.001").p, 0.001, 1e-12);
}

Test(inject_rule, path_applies_to_path_and_descriptor_calls)
{
    cr_assert_str_eq(parse_ok("open+openat:errno=EACCES,path=/etc/*").path, "/etc/*");
    cr_assert_str_eq(parse_ok("fsync:delay=50ms,path=*.db").path, "*.db");
}

Test(inject_rule, host_applies_to_getaddrinfo)
{
    cr_assert_str_eq(parse_ok("getaddrinfo:delay=100ms,host=*.example.com").host, "*.example.com");
}

Test(inject_rule, peer_takes_an_ipv4_address_with_or_without_a_port)
{
    struct ls_rule r = parse_ok("connect:errno=ECONNREFUSED,peer=127.0.0.1");
    cr_assert_str_eq(r.peer, "127.0.0.1");
    cr_assert_eq(r.peer_port, -1);
    r = parse_ok("connect:errno=ECONNREFUSED,peer=10.1.2.3:8080");
    cr_assert_str_eq(r.peer, "10.1.2.3");
    cr_assert_eq(r.peer_port, 8080);
}

Test(inject_rule, peer_takes_ipv6_bare_or_in_brackets_with_a_port)
{
    struct ls_rule r = parse_ok("connect:delay=1ms,peer=::1");
    cr_assert_str_eq(r.peer, "::1");
    cr_assert_eq(r.peer_port, -1);
    r = parse_ok("connect:delay=1ms,peer=[::1]:8080");
    cr_assert_str_eq(r.peer, "::1");
    cr_assert_eq(r.peer_port, 8080);
    r = parse_ok("connect:delay=1ms,peer=[2001:db8::1]");
    cr_assert_str_eq(r.peer, "2001:db8::1");
    cr_assert_eq(r.peer_port, -1);
}

Test(inject_rule, peer_takes_localhost_and_a_star_for_any_address)
{
    struct ls_rule r = parse_ok("recv:delay=1ms,peer=localhost:6379");
    cr_assert_str_eq(r.peer, "localhost");
    cr_assert_eq(r.peer_port, 6379);
    r = parse_ok("send:delay=1ms,peer=*:5432");
    cr_assert_str_empty(r.peer);
    cr_assert_eq(r.peer_port, 5432);
    cr_assert_eq(parse_ok("connect:delay=1ms,peer=1.2.3.4:65535").peer_port, 65535);
}

Test(inject_rule, peer_applies_to_reads_and_writes_on_sockets)
{
    /* libuv and Node.js use read, write and writev on sockets. */
    parse_ok("read+write+writev:delay=1ms,peer=127.0.0.1:6379");
    parse_ok("getnameinfo:delay=1ms,peer=127.0.0.1");
}

Test(inject_rule, spaces_around_tokens_are_ignored_and_the_text_is_kept_trimmed)
{
    struct ls_rule r = parse_ok("  read + write : delay = 5ms , p = 0.5 , path = /tmp/a b  ");
    cr_assert_str_eq(r.text, "read + write : delay = 5ms , p = 0.5 , path = /tmp/a b");
    cr_assert_eq(r.nfns, 2);
    cr_assert_eq(r.delay_ns, 5000000);
    cr_assert_eq(r.p, 0.5);
    cr_assert_str_eq(r.path, "/tmp/a b");
}

Test(inject_rule, options_may_come_in_any_order_after_the_effect)
{
    struct ls_rule r = parse_ok("recv:delay=3ms,seed=7,thread=other,count=2,after=1,p=0.5,"
                                "jitter=1ms,peer=[::1]:80");
    cr_assert_eq(r.seed, 7);
    cr_assert_eq(r.thread, LS_ROLE_OTHER);
    cr_assert_eq(r.count, 2);
    cr_assert_eq(r.after, 1);
    cr_assert_eq(r.peer_port, 80);
}

Test(inject_rule, only_len_bytes_of_the_text_are_read)
{
    const char buf[] = "read:delay=5msTAIL";
    struct ls_rule r;
    char err[256];
    cr_assert_eq(ls_rule_parse(buf, 14, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.delay_ns, 5000000);
    cr_assert_str_eq(r.text, "read:delay=5ms");
}

Test(inject_rule, a_glob_of_the_longest_allowed_length_is_kept_whole)
{
    char text[LS_RULE_TEXT_MAX];
    snprintf(text, sizeof text, "read:delay=1ms,path=/%0*d", LS_RULE_PAT_MAX - 2, 0);
    struct ls_rule r = parse_ok(text);
    cr_assert_eq(strlen(r.path), LS_RULE_PAT_MAX - 1);
}

Test(inject_rule, a_rule_of_the_longest_allowed_length_is_kept_whole)
{
    char text[LS_RULE_TEXT_MAX];
    const char *head = "read:delay=1ms,p=0.";
    memset(text, '5', sizeof text - 1);
    memcpy(text, head, strlen(head));
    text[sizeof text - 1] = '\0';
    struct ls_rule r = parse_ok(text);
    cr_assert_eq(strlen(r.text), LS_RULE_TEXT_MAX - 1);
    cr_assert_float_eq(r.p, 0.5555555555, 1e-9);
}

/* Refused rules, with the message a user reads. */

Test(inject_rule, an_errno_the_function_cannot_return_is_refused_with_the_valid_list)
{
    assert_err("read:errno=ENOENT",
               "bad rule \"read:errno=ENOENT\": read cannot fail with ENOENT (it can fail with "
               "EAGAIN, EWOULDBLOCK, EBADF, EFAULT, EINTR, EINVAL, EIO, EISDIR, ECONNRESET, "
               "ETIMEDOUT)");
}

Test(inject_rule, an_unknown_error_name_is_refused_with_the_valid_list)
{
    assert_err("fsync:errno=EWHATEVER",
               "bad rule \"fsync:errno=EWHATEVER\": fsync cannot fail with EWHATEVER (it can fail "
               "with EBADF, EIO, EROFS, EINVAL, ENOSPC, EDQUOT)");
    assert_err_has("fsync:errno=eio", "fsync cannot fail with eio (");
    assert_err_has("fsync:errno=", "fsync cannot fail with an empty error name (");
}

Test(inject_rule, an_errno_must_suit_every_function_the_rule_names)
{
    assert_err_has("connect+read:errno=ECONNREFUSED",
                   ": read cannot fail with ECONNREFUSED (it can fail with EAGAIN,");
    assert_err_has("getaddrinfo+connect:errno=EAI_AGAIN", ": connect cannot fail with EAI_AGAIN");
    assert_err_has("connect:errno=EAI_AGAIN", "connect cannot fail with EAI_AGAIN");
    assert_err_has("getaddrinfo:errno=EAGAIN", "getaddrinfo cannot fail with EAGAIN (it can fail "
                                               "with EAI_ADDRFAMILY, EAI_AGAIN,");
}

Test(inject_rule, a_function_that_cannot_fail_takes_no_errno)
{
    assert_err("sleep:errno=EINTR", "bad rule \"sleep:errno=EINTR\": sleep cannot fail, so errno= "
                                    "does not apply to it (delay= does)");
}

Test(inject_rule, an_unknown_function_is_refused_with_where_to_look)
{
    assert_err("frobnicate:delay=1ms", "bad rule \"frobnicate:delay=1ms\": unknown function "
                                       "\"frobnicate\" (see `loopstall --list-calls`)");
    assert_err_has("read+Read:delay=1ms", "unknown function \"Read\"");
}

Test(inject_rule, an_unknown_option_is_refused_with_the_accepted_ones)
{
    assert_err("read:delay=1ms,q=3",
               "bad option \"q=3\" in rule \"read:delay=1ms,q=3\": accepted options are p, after, "
               "count, jitter, thread, path, peer, host, seed");
}

Test(inject_rule, an_option_without_a_value_is_refused)
{
    assert_err("read:delay=1ms,p", "bad option \"p\" in rule \"read:delay=1ms,p\": expected "
                                   "NAME=VALUE; accepted options are p, after, count, jitter, "
                                   "thread, path, peer, host, seed");
}

Test(inject_rule, a_duration_without_a_unit_is_refused)
{
    assert_err(
        "read:delay=5",
        "bad duration \"5\" in rule \"read:delay=5\": expected a number with ns, us, ms or s");
    assert_err_has("read:delay=", "bad duration \"\" in rule");
    assert_err_has("read:delay=1ms,jitter=2", "bad duration \"2\" in rule");
}

Test(inject_rule, a_duration_past_64_bits_is_refused)
{
    assert_err("read:delay=99999999999999999999s",
               "bad duration \"99999999999999999999s\" in rule "
               "\"read:delay=99999999999999999999s\": too long to count in nanoseconds");
}

Test(inject_rule, a_probability_outside_zero_to_one_is_refused)
{
    assert_err("read:delay=1ms,p=1.5", "bad probability \"1.5\" in rule \"read:delay=1ms,p=1.5\": "
                                       "expected a number from 0 to 1");
    assert_err_has("read:delay=1ms,p=2", "bad probability \"2\"");
    assert_err_has("read:delay=1ms,p=-0.1", "bad probability \"-0.1\"");
    assert_err_has("read:delay=1ms,p=1.0001", "bad probability \"1.0001\"");
    assert_err_has("read:delay=1ms,p=20%", "bad probability \"20%\"");
    assert_err_has("read:delay=1ms,p=1e-3", "bad probability \"1e-3\"");
    assert_err_has("read:delay=1ms,p=.", "bad probability \".\"");
    assert_err_has("read:delay=1ms,p=", "bad probability \"\"");
}

Test(inject_rule, a_thread_role_other_than_loop_other_or_any_is_refused)
{
    assert_err("read:delay=1ms,thread=main", "bad thread \"main\" in rule "
                                             "\"read:delay=1ms,thread=main\": expected loop, "
                                             "other or any");
}

Test(inject_rule, counts_must_be_whole_numbers)
{
    assert_err("read:delay=1ms,after=-1", "bad number \"-1\" in rule \"read:delay=1ms,after=-1\": "
                                          "after= expects a whole number from 0 to "
                                          "18446744073709551615");
    assert_err_has("read:delay=1ms,count=x", "count= expects a whole number");
    assert_err_has("read:delay=1ms,count=1.5", "bad number \"1.5\"");
    assert_err_has("read:delay=1ms,seed=18446744073709551616", "seed= expects a whole number");
}

Test(inject_rule, the_same_option_twice_is_refused)
{
    assert_err("read:delay=1ms,p=0.5,p=0.3",
               "bad option \"p=0.3\" in rule \"read:delay=1ms,p=0.5,p=0.3\": p= is given twice");
    assert_err_has("read:delay=1ms,path=/a,path=/b", "path= is given twice");
}

Test(inject_rule, a_second_effect_is_refused)
{
    assert_err("connect:delay=1s,errno=ETIMEDOUT",
               "bad option \"errno=ETIMEDOUT\" in rule \"connect:delay=1s,errno=ETIMEDOUT\": a "
               "rule has one effect; write a second rule for another");
}

Test(inject_rule, the_effect_must_come_before_the_options)
{
    assert_err("read:p=0.5,delay=1ms",
               "bad effect \"p=0.5\" in rule \"read:p=0.5,delay=1ms\": the effect comes first "
               "after ':' (delay=DUR, errno=NAME or short=BYTES), then the options");
}

Test(inject_rule, an_unknown_effect_is_refused_with_the_accepted_ones)
{
    assert_err("read:slow=5ms", "bad effect \"slow=5ms\" in rule \"read:slow=5ms\": accepted "
                                "effects are delay=DUR, errno=NAME or short=BYTES");
    assert_err_has("read:delay", "bad effect \"delay\" in rule \"read:delay\": expected delay=DUR");
}

Test(inject_rule, a_rule_without_an_effect_is_refused)
{
    assert_err("read:", "bad rule \"read:\": missing effect after ':'; expected delay=DUR, "
                        "errno=NAME or short=BYTES");
    assert_err("read", "bad rule \"read\": expected FUNCS:EFFECT[,OPTION]..., e.g. read:delay=5ms");
}

Test(inject_rule, an_empty_rule_is_refused)
{
    assert_err("", "bad rule \"\": empty rule; expected FUNCS:EFFECT[,OPTION]..., e.g. "
                   "read:delay=5ms");
    assert_err_has("   ", "empty rule");
}

Test(inject_rule, an_empty_function_name_is_refused)
{
    const char *msg = "expected a function name before ':' and on each side of '+', e.g. "
                      "read+pread64:delay=5ms";
    assert_err_has(":delay=1ms", msg);
    assert_err_has("+read:delay=1ms", msg);
    assert_err_has("read+:delay=1ms", msg);
    assert_err_has("read++write:delay=1ms", msg);
}

Test(inject_rule, a_function_named_twice_is_refused)
{
    assert_err("read+write+read:delay=1ms",
               "bad rule \"read+write+read:delay=1ms\": names read twice");
}

Test(inject_rule, a_rule_naming_more_than_sixteen_functions_is_refused)
{
    assert_err_has("read+__read_chk+pread+pread64+__pread_chk+__pread64_chk+readv+preadv+"
                   "preadv64+write+pwrite+pwrite64+writev+pwritev+pwritev64+recv+send:delay=1ms",
                   "names more than 16 functions; split it into several rules");
}

Test(inject_rule, short_is_refused_for_calls_that_do_not_transfer_bytes)
{
    assert_err_has("connect:short=10", "short= only applies to calls that transfer bytes (read, "
                                       "write,");
    assert_err_has("connect:short=10", "); connect is not one");
    assert_err_has("read+recvmmsg:short=10", "; recvmmsg is not one");
    assert_err_has("close:short=10", "; close is not one");
}

Test(inject_rule, short_needs_at_least_one_byte)
{
    assert_err("read:short=0", "bad byte count \"0\" in rule \"read:short=0\": expected a whole "
                               "number of bytes from 1 to 18446744073709551615");
    assert_err_has("read:short=4k", "bad byte count \"4k\"");
}

Test(inject_rule, jitter_is_refused_without_a_delay)
{
    assert_err("read:errno=EIO,jitter=1ms", "bad option \"jitter=1ms\" in rule "
                                            "\"read:errno=EIO,jitter=1ms\": jitter= only applies "
                                            "to delay=");
    assert_err_has("read:short=1,jitter=1ms", "jitter= only applies to delay=");
}

Test(inject_rule, path_is_refused_for_calls_without_a_path_or_descriptor)
{
    assert_err("connect:delay=1ms,path=/x",
               "bad option \"path=/x\" in rule \"connect:delay=1ms,path=/x\": path= only applies "
               "to calls on a path or a file descriptor; connect is not one");
    assert_err_has("read+getaddrinfo:delay=1ms,path=/x", "; getaddrinfo is not one");
    assert_err_has("epoll_wait:delay=1ms,path=/x", "; epoll_wait is not one");
}

Test(inject_rule, host_is_refused_for_calls_other_than_getaddrinfo)
{
    assert_err("read:delay=1ms,host=*", "bad option \"host=*\" in rule \"read:delay=1ms,host=*\": "
                                        "host= only applies to calls that resolve a host name "
                                        "(getaddrinfo); read is not one");
}

Test(inject_rule, peer_is_refused_for_calls_without_a_socket)
{
    assert_err_has("open:delay=1ms,peer=127.0.0.1", "peer= only applies to calls on a connected "
                                                    "socket or with a socket address");
    assert_err_has("open:delay=1ms,peer=127.0.0.1", "; open is not one");
    assert_err_has("fsync:delay=1ms,peer=127.0.0.1", "; fsync is not one");
    assert_err_has("getaddrinfo:delay=1ms,peer=127.0.0.1", "; getaddrinfo is not one");
}

Test(inject_rule, peer_is_refused_for_accept_whose_peer_is_not_yet_known)
{
    assert_err_has("accept4:delay=1ms,peer=127.0.0.1", "not accept); accept4 is not one");
}

Test(inject_rule, a_peer_that_is_not_a_numeric_address_is_refused)
{
    const char *what = "expected a numeric IPv4 or IPv6 address or localhost, with an optional "
                       ":PORT (IPv6 with a port as [::1]:8080)";
    char expected[512];
    snprintf(expected, sizeof expected,
             "bad peer \"db.example.com:5432\" in rule "
             "\"connect:delay=1ms,peer=db.example.com:5432\": %s",
             what);
    assert_err("connect:delay=1ms,peer=db.example.com:5432", expected);
    assert_err_has("connect:delay=1ms,peer=300.1.1.1", what);
    assert_err_has("connect:delay=1ms,peer=[::1", what);
    assert_err_has("connect:delay=1ms,peer=[::1]8080", what);
    assert_err_has("connect:delay=1ms,peer=[127.0.0.1]:80", what);
    assert_err_has("connect:delay=1ms,peer=[localhost]:80", what);
    assert_err_has("connect:delay=1ms,peer=[]:80", what);
    assert_err_has("connect:delay=1ms,peer=:80", what);
    assert_err_has("connect:delay=1ms,peer=", what);
}

Test(inject_rule, a_peer_port_outside_1_to_65535_is_refused)
{
    assert_err("connect:delay=1ms,peer=127.0.0.1:0", "bad port \"0\" in rule "
                                                     "\"connect:delay=1ms,peer=127.0.0.1:0\": "
                                                     "expected a port number from 1 to 65535");
    assert_err_has("connect:delay=1ms,peer=127.0.0.1:65536", "bad port \"65536\"");
    assert_err_has("connect:delay=1ms,peer=[::1]:", "bad port \"\"");
    assert_err_has("connect:delay=1ms,peer=127.0.0.1:http", "bad port \"http\"");
}

Test(inject_rule, a_star_peer_needs_a_port)
{
    assert_err("connect:delay=1ms,peer=*", "bad option \"peer=*\" in rule "
                                           "\"connect:delay=1ms,peer=*\": `*` stands for any "
                                           "address, so it needs a port, e.g. peer=*:5432");
}

Test(inject_rule, an_empty_or_too_long_glob_is_refused)
{
    assert_err("read:delay=1ms,path=", "bad option \"path=\" in rule \"read:delay=1ms,path=\": "
                                       "expected a glob, e.g. path=/var/lib/app/*");
    assert_err_has("getaddrinfo:delay=1ms,host=", "expected a glob, e.g. host=*.example.com");

    char text[LS_RULE_TEXT_MAX];
    snprintf(text, sizeof text, "read:delay=1ms,path=/%0*d", LS_RULE_PAT_MAX - 1, 0);
    assert_err_has(text, "the glob is longer than 127 characters");
}

Test(inject_rule, an_empty_option_is_refused)
{
    assert_err("read:delay=1ms,,p=1", "bad rule \"read:delay=1ms,,p=1\": empty option between "
                                      "commas; accepted options are p, after, count, jitter, "
                                      "thread, path, peer, host, seed");
    assert_err_has("read:delay=1ms,", "empty option between commas");
}

Test(inject_rule, a_rule_longer_than_the_limit_is_refused)
{
    char text[LS_RULE_TEXT_MAX + 1];
    snprintf(text, sizeof text, "read:delay=1ms,path=/%0*d", (int)(LS_RULE_TEXT_MAX - 21), 0);
    cr_assert_eq(strlen(text), LS_RULE_TEXT_MAX);
    assert_err(text, "bad rule \"read:delay=1ms,path=/0000000000000000000...\": longer than 255 "
                     "characters");
}

Test(inject_rule, a_semicolon_inside_a_rule_is_refused)
{
    assert_err("read:delay=1ms,path=/a;b", "bad rule \"read:delay=1ms,path=/a;b\": contains ';', "
                                           "which separates rules in LOOPSTALL_INJECT");
}

Test(inject_rule, control_characters_are_refused_and_never_break_the_line)
{
    assert_err("read:delay=1ms,path=/a\nb",
               "bad rule \"read:delay=1ms,path=/a?b\": contains a control character");
    struct ls_rule r;
    char err[256];
    cr_assert_eq(ls_rule_parse("read:delay=1ms\0x", 16, &r, err, sizeof err), -EINVAL);
    cr_assert_not_null(strstr(err, "contains a control character"));
}

Test(inject_rule, a_small_error_buffer_is_cut_and_still_terminated)
{
    struct ls_rule r;
    char err[16];
    memset(err, 'X', sizeof err);
    cr_assert_eq(ls_rule_parse("frobnicate:delay=1ms", 20, &r, err, sizeof err), -EINVAL);
    cr_assert_str_eq(err, "bad rule \"frobn");
    cr_assert_eq(ls_rule_parse("frobnicate:delay=1ms", 20, &r, NULL, 0), -EINVAL);
    cr_assert_eq(ls_rule_parse("frobnicate:delay=1ms", 20, &r, err, 0), -EINVAL);
}

/* Lists of rules, as LOOPSTALL_INJECT carries them. */

Test(inject_rule, a_list_is_split_on_the_separator_and_skips_empty_items)
{
    struct ls_rule rules[4];
    char err[256];
    int n = ls_rules_parse(" read:delay=1ms ;; ;connect:errno=ECONNREFUSED;", ';', rules, 4, err,
                           sizeof err);
    cr_assert_eq(n, 2, "%s", err);
    cr_assert_str_eq(rules[0].text, "read:delay=1ms");
    cr_assert_str_eq(rules[1].text, "connect:errno=ECONNREFUSED");
}

Test(inject_rule, an_absent_or_empty_list_has_no_rules)
{
    struct ls_rule rules[2];
    char err[64];
    cr_assert_eq(ls_rules_parse(NULL, ';', rules, 2, err, sizeof err), 0);
    cr_assert_eq(ls_rules_parse("", ';', rules, 2, err, sizeof err), 0);
    cr_assert_eq(ls_rules_parse(" ; ;", ';', rules, 2, err, sizeof err), 0);
}

Test(inject_rule, a_bad_rule_in_a_list_fails_the_whole_list_naming_that_rule)
{
    struct ls_rule rules[4];
    char err[256];
    cr_assert_eq(ls_rules_parse("read:delay=1ms;write:delay=5", ';', rules, 4, err, sizeof err),
                 -EINVAL);
    cr_assert_str_eq(err, "bad duration \"5\" in rule \"write:delay=5\": expected a number with "
                          "ns, us, ms or s");
}

Test(inject_rule, a_list_longer_than_the_array_is_refused)
{
    struct ls_rule rules[2];
    char err[256];
    cr_assert_eq(ls_rules_parse("read:delay=1ms;write:delay=1ms;recv:delay=1ms", ';', rules, 2, err,
                                sizeof err),
                 -EINVAL);
    cr_assert_str_eq(err, "too many rules: at most 2 are kept");
}

/* Helpers the matcher shares. */

Test(inject_rule, short_is_allowed_exactly_for_byte_transfers)
{
    int yes[] = {LS_FN_read,  LS_FN___read_chk, LS_FN_pread64,  LS_FN_readv,
                 LS_FN_write, LS_FN_pwritev,    LS_FN_recv,     LS_FN_recvfrom,
                 LS_FN_send,  LS_FN_sendto,     LS_FN_sendfile, LS_FN___recv_chk};
    /* recvmsg and sendmsg carry their bytes in a msghdr the kernel also writes
     * back into: they are not cut short. */
    int no[] = {LS_FN_recvmsg,  LS_FN_sendmsg,     LS_FN_close,      LS_FN_recvmmsg,
                LS_FN_sendmmsg, LS_FN_connect,     LS_FN_accept,     LS_FN_open,
                LS_FN_fsync,    LS_FN_getaddrinfo, LS_FN_epoll_wait, LS_FN_poll};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_assert(ls_rule_can_short(yes[i]), "%s", ls_calls[yes[i]].name);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert(!ls_rule_can_short(no[i]), "%s", ls_calls[no[i]].name);
    cr_assert(!ls_rule_can_short(-1));
    cr_assert(!ls_rule_can_short(LS_FN_COUNT));
}

Test(inject_rule, a_star_matches_any_run_of_bytes_including_slashes)
{
    cr_assert(ls_glob_match("/var/lib/app/*", "/var/lib/app/db/x.sqlite", 0));
    cr_assert(ls_glob_match("*.db", "/srv/data/main.db", 0));
    cr_assert(ls_glob_match("*", "", 0));
    cr_assert(ls_glob_match("a*b*c", "aXXbYYc", 0));
    cr_assert(!ls_glob_match("a*b*c", "aXXbYY", 0));
    cr_assert(!ls_glob_match("/var/lib/app/*", "/var/lib/other", 0));
    cr_assert(ls_glob_match("", "", 0));
    cr_assert(!ls_glob_match("", "x", 0));
}

Test(inject_rule, a_question_mark_matches_exactly_one_byte)
{
    cr_assert(ls_glob_match("/tmp/?.log", "/tmp/a.log", 0));
    cr_assert(!ls_glob_match("/tmp/?.log", "/tmp/ab.log", 0));
    cr_assert(!ls_glob_match("?", "", 0));
}

Test(inject_rule, a_bracket_class_matches_ranges_and_negations)
{
    cr_assert(ls_glob_match("file[0-9]", "file7", 0));
    cr_assert(!ls_glob_match("file[0-9]", "fileX", 0));
    cr_assert(ls_glob_match("file[!0-9]", "fileX", 0));
    cr_assert(ls_glob_match("file[^0-9]", "fileX", 0));
    cr_assert(!ls_glob_match("file[!0-9]", "file3", 0));
    cr_assert(ls_glob_match("[]]", "]", 0));
    cr_assert(ls_glob_match("[a-]", "-", 0));
    cr_assert(ls_glob_match("x[", "x[", 0), "an unclosed bracket is literal");
}

Test(inject_rule, a_backslash_makes_the_next_byte_literal)
{
    cr_assert(ls_glob_match("a\\*b", "a*b", 0));
    cr_assert(!ls_glob_match("a\\*b", "aXb", 0));
    cr_assert(ls_glob_match("[\\]]", "]", 0));
}

Test(inject_rule, host_globs_can_ignore_case)
{
    cr_assert(ls_glob_match("*.example.com", "API.Example.COM", 1));
    cr_assert(!ls_glob_match("*.example.com", "API.Example.COM", 0));
    cr_assert(ls_glob_match("[a-z]pi.example.com", "Api.example.com", 1));
}

Test(inject_rule, a_glob_with_many_stars_does_not_blow_up)
{
    char str[4001];
    memset(str, 'a', 4000);
    str[4000] = '\0';
    cr_assert(!ls_glob_match("*a*a*a*a*a*a*a*a*a*a*b", str, 0));
}

/* count=N fires at most N times; 0 is the rule's own "no limit", so count=0 is refused rather
 * than read as the opposite of what it says. */
Test(inject_rule, a_count_of_zero_is_refused_as_it_would_mean_no_limit)
{
    assert_err_has("read:delay=5ms,count=0", "count= expects 1 or more");
    cr_assert_eq(parse_ok("read:delay=5ms,count=1").count, 1);
    cr_assert_eq(parse_ok("read:delay=5ms").count, 0, "no count=: no limit");
}
