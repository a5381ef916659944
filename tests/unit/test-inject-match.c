/* test-inject-match.c -- the agent's injection matcher: which calls a rule fires on, and how often.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../../preload/inject.h"

static void init_ok(const char *rules)
{
    ls_inject_init(rules);
    cr_assert(ls_inject_on, "rules \"%s\" should be active", rules);
}

/* Decides for a call on a thread of the given role with no target. */
static int fire(int fn, int on_loop, struct ls_inject_action *act)
{
    return ls_inject_decide(fn, on_loop, LS_T_NONE, 0, act);
}

static int fire_path(int fn, const char *path)
{
    struct ls_inject_action act;
    return ls_inject_decide(fn, 0, LS_T_PATH, (intptr_t)path, &act);
}

static int fire_addr(int fn, const struct sockaddr *sa)
{
    struct ls_inject_action act;
    return ls_inject_decide(fn, 0, LS_T_SOCKADDR, (intptr_t)sa, &act);
}

static struct sockaddr_in v4(const char *addr, int port)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    cr_assert_eq(inet_pton(AF_INET, addr, &in.sin_addr), 1);
    return in;
}

static struct sockaddr_in6 v6(const char *addr, int port)
{
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    cr_assert_eq(inet_pton(AF_INET6, addr, &in6.sin6_addr), 1);
    return in6;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

Test(inject_match, without_rules_injection_is_off)
{
    ls_inject_init(NULL);
    cr_assert_not(ls_inject_on);
    cr_assert_eq(ls_inject_rule_count(), 0);
    ls_inject_init("  ");
    cr_assert_not(ls_inject_on);
}

Test(inject_match, a_bad_rule_turns_injection_off_with_one_line_on_stderr)
{
    cr_redirect_stderr();
    init_ok("read:delay=1ms");
    ls_inject_init("read:delay=1ms;frobnicate:delay=1ms");
    cr_assert_not(ls_inject_on);
    cr_assert_eq(ls_inject_rule_count(), 0);
    cr_assert_not(ls_inject_wants(LS_FN_read));
    fflush(stderr);
    cr_assert_stderr_eq_str("loopstall: LOOPSTALL_INJECT ignored: bad rule "
                            "\"frobnicate:delay=1ms\": unknown function \"frobnicate\" (see "
                            "`loopstall --list-calls`)\n");
}

Test(inject_match, only_the_functions_named_by_a_rule_are_wanted)
{
    init_ok("read+pread64:delay=1ms;connect:errno=ECONNREFUSED");
    cr_assert(ls_inject_wants(LS_FN_read));
    cr_assert(ls_inject_wants(LS_FN_pread64));
    cr_assert(ls_inject_wants(LS_FN_connect));
    cr_assert_not(ls_inject_wants(LS_FN_write));
    cr_assert_not(ls_inject_wants(LS_FN_epoll_wait));
    cr_assert_not(ls_inject_wants(LS_FN_COUNT - 1));
}

Test(inject_match, a_delay_rule_fires_on_its_function_only)
{
    struct ls_inject_action act;
    init_ok("getaddrinfo:delay=100ms");
    cr_assert_eq(fire(LS_FN_getaddrinfo, 1, &act), 1);
    cr_assert_eq(act.rule, 0);
    cr_assert_eq(act.delay_ns, 100000000ULL);
    cr_assert_not(act.fail);
    cr_assert_eq(act.short_bytes, 0);
    cr_assert_eq(fire(LS_FN_connect, 1, &act), 0);
    cr_assert_eq(ls_inject_fired(0), 1);
    cr_assert_str_eq(ls_inject_rule(0)->text, "getaddrinfo:delay=100ms");
    cr_assert_null(ls_inject_rule(1));
}

Test(inject_match, an_errno_rule_asks_to_fail_with_the_value)
{
    struct ls_inject_action act;
    init_ok("connect:errno=ECONNREFUSED");
    cr_assert_eq(fire(LS_FN_connect, 0, &act), 1);
    cr_assert(act.fail);
    cr_assert_eq(act.err, ECONNREFUSED);
    cr_assert_eq(act.delay_ns, 0);
}

Test(inject_match, a_short_rule_caps_the_byte_count)
{
    struct ls_inject_action act;
    init_ok("read:short=10;read:short=3");
    cr_assert_eq(fire(LS_FN_read, 0, &act), 1);
    cr_assert_eq(act.short_bytes, 3, "the smaller cap wins");
    cr_assert_not(act.fail);
}

Test(inject_match, a_delay_and_an_error_on_the_same_call_make_a_slow_failure)
{
    struct ls_inject_action act;
    init_ok("connect:delay=2s;connect:errno=ETIMEDOUT;connect:delay=1ms");
    cr_assert_eq(fire(LS_FN_connect, 0, &act), 1);
    cr_assert_eq(act.rule, 0);
    cr_assert_eq(act.delay_ns, 2001000000ULL);
    cr_assert(act.fail);
    cr_assert_eq(act.err, ETIMEDOUT);
    cr_assert_eq(ls_inject_fired(0), 1);
    cr_assert_eq(ls_inject_fired(1), 1);
    cr_assert_eq(ls_inject_fired(2), 1);
}

Test(inject_match, thread_loop_fires_only_on_loop_threads)
{
    struct ls_inject_action act;
    init_ok("read:delay=1ms,thread=loop");
    cr_assert_eq(fire(LS_FN_read, 1, &act), 1);
    cr_assert_eq(fire(LS_FN_read, 0, &act), 0);
}

Test(inject_match, thread_other_fires_only_off_the_loop)
{
    struct ls_inject_action act;
    init_ok("read:delay=1ms,thread=other");
    cr_assert_eq(fire(LS_FN_read, 1, &act), 0);
    cr_assert_eq(fire(LS_FN_read, 0, &act), 1);
}

Test(inject_match, a_path_glob_selects_path_arguments)
{
    init_ok("open+fopen:errno=EACCES,path=/var/lib/app/*");
    cr_assert_eq(fire_path(LS_FN_open, "/var/lib/app/state.db"), 1);
    cr_assert_eq(fire_path(LS_FN_fopen, "/var/lib/app/sub/x"), 1);
    cr_assert_eq(fire_path(LS_FN_open, "/etc/passwd"), 0);
    cr_assert_eq(fire_path(LS_FN_open, NULL), 0);
}

Test(inject_match, a_path_glob_selects_descriptors_by_the_file_behind_them)
{
    char dir[] = "/tmp/ls-inject-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char hit[128], miss[128];
    snprintf(hit, sizeof hit, "%s/data.db", dir);
    snprintf(miss, sizeof miss, "%s/data.log", dir);
    int fd_hit = open(hit, O_CREAT | O_RDWR, 0600), fd_miss = open(miss, O_CREAT | O_RDWR, 0600);
    cr_assert(fd_hit >= 0 && fd_miss >= 0);

    init_ok("fsync+read:delay=1ms,path=/tmp/ls-inject-*/*.db;fsync:delay=2ms,path=*.db");
    struct ls_inject_action act;
    cr_assert_eq(ls_inject_decide(LS_FN_fsync, 0, LS_T_FD, fd_hit, &act), 1);
    cr_assert_eq(act.delay_ns, 3000000, "both path rules see the same resolved path");
    cr_assert_eq(ls_inject_decide(LS_FN_fsync, 0, LS_T_FD, fd_miss, &act), 0);
    cr_assert_eq(ls_inject_decide(LS_FN_read, 0, LS_T_FD, -1, &act), 0);
    cr_assert_eq(ls_inject_decide(LS_FN_read, 0, LS_T_FD, 9999, &act), 0);

    close(fd_hit);
    close(fd_miss);
    unlink(hit);
    unlink(miss);
    rmdir(dir);
}

Test(inject_match, matching_keeps_errno_as_it_was)
{
    init_ok("read:delay=1ms,path=/nowhere/*;recv:delay=1ms,peer=127.0.0.1");
    struct ls_inject_action act;
    errno = 4242;
    cr_assert_eq(ls_inject_decide(LS_FN_read, 0, LS_T_FD, 9999, &act), 0);
    cr_assert_eq(errno, 4242, "readlink's EBADF must not leak");
    cr_assert_eq(ls_inject_decide(LS_FN_recv, 0, LS_T_FD, 9999, &act), 0);
    cr_assert_eq(errno, 4242, "getpeername's EBADF must not leak");
    ls_inject_sleep(1000);
    cr_assert_eq(errno, 4242);
}

Test(inject_match, a_peer_address_and_port_select_socket_addresses)
{
    init_ok("connect:errno=ECONNREFUSED,peer=10.0.0.1:5432");
    struct sockaddr_in a = v4("10.0.0.1", 5432), b = v4("10.0.0.1", 5433), c = v4("10.0.0.2", 5432);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&a), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&b), 0);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&c), 0);
    cr_assert_eq(fire_addr(LS_FN_connect, NULL), 0);
}

Test(inject_match, a_peer_without_a_port_matches_every_port)
{
    init_ok("connect:delay=1ms,peer=10.0.0.1");
    struct sockaddr_in a = v4("10.0.0.1", 1), b = v4("10.0.0.1", 65535);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&a), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&b), 1);
}

Test(inject_match, an_ipv4_peer_matches_its_ipv4_mapped_ipv6_form)
{
    init_ok("connect:delay=1ms,peer=10.0.0.1:80");
    struct sockaddr_in6 mapped = v6("::ffff:10.0.0.1", 80), other = v6("2001:db8::1", 80);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&mapped), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&other), 0);
}

Test(inject_match, an_ipv6_peer_matches_only_that_address)
{
    init_ok("connect:delay=1ms,peer=[2001:db8::1]:443");
    struct sockaddr_in6 a = v6("2001:db8::1", 443), b = v6("2001:db8::2", 443);
    struct sockaddr_in c = v4("10.0.0.1", 443);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&a), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&b), 0);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&c), 0);
}

Test(inject_match, localhost_means_both_loopback_addresses)
{
    init_ok("connect:delay=1ms,peer=localhost:6379");
    struct sockaddr_in a = v4("127.0.0.1", 6379), other = v4("127.0.0.2", 6379);
    struct sockaddr_in6 b = v6("::1", 6379), wrong_port = v6("::1", 6380);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&a), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&b), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&other), 0);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&wrong_port), 0);
}

Test(inject_match, a_star_peer_matches_any_address_on_its_port)
{
    init_ok("connect:delay=1ms,peer=*:5432");
    struct sockaddr_in a = v4("192.168.1.9", 5432), b = v4("192.168.1.9", 80);
    struct sockaddr_in6 c = v6("2001:db8::7", 5432);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&a), 1);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&b), 0);
    cr_assert_eq(fire_addr(LS_FN_connect, (struct sockaddr *)&c), 1);
}

Test(inject_match, a_peer_never_matches_a_unix_socket_address)
{
    init_ok("connect:delay=1ms,peer=*:80");
    struct sockaddr sa = {.sa_family = AF_UNIX};
    cr_assert_eq(fire_addr(LS_FN_connect, &sa), 0);
}

Test(inject_match, a_peer_selects_connected_descriptors_by_getpeername)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = v4("127.0.0.1", 0);
    socklen_t len = sizeof addr;
    cr_assert_eq(bind(lfd, (struct sockaddr *)&addr, sizeof addr), 0);
    cr_assert_eq(listen(lfd, 1), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(connect(cfd, (struct sockaddr *)&addr, sizeof addr), 0);
    int port = ntohs(addr.sin_port);

    char rules[256];
    snprintf(rules, sizeof rules, "recv+write:delay=1ms,peer=127.0.0.1:%d;send:delay=1ms,peer=*:%d",
             port, port == 65535 ? 1 : port + 1);
    init_ok(rules);
    struct ls_inject_action act;
    cr_assert_eq(ls_inject_decide(LS_FN_recv, 0, LS_T_FD, cfd, &act), 1);
    cr_assert_eq(ls_inject_decide(LS_FN_write, 0, LS_T_FD, cfd, &act), 1);
    cr_assert_eq(ls_inject_decide(LS_FN_send, 0, LS_T_FD, cfd, &act), 0, "wrong port");
    cr_assert_eq(ls_inject_decide(LS_FN_recv, 0, LS_T_FD, lfd, &act), 0, "not connected");
    cr_assert_eq(ls_inject_decide(LS_FN_write, 0, LS_T_FD, 2, &act), 0, "not a socket");
    close(cfd);
    close(lfd);
}

Test(inject_match, a_host_glob_selects_getaddrinfo_names_ignoring_case)
{
    init_ok("getaddrinfo:delay=100ms,host=*.example.com");
    struct ls_inject_action act;
    cr_assert_eq(
        ls_inject_decide(LS_FN_getaddrinfo, 1, LS_T_HOST, (intptr_t) "db.example.com", &act), 1);
    cr_assert_eq(
        ls_inject_decide(LS_FN_getaddrinfo, 1, LS_T_HOST, (intptr_t) "DB.Example.Com", &act), 1);
    cr_assert_eq(ls_inject_decide(LS_FN_getaddrinfo, 1, LS_T_HOST, (intptr_t) "localhost", &act),
                 0);
    cr_assert_eq(ls_inject_decide(LS_FN_getaddrinfo, 1, LS_T_HOST, 0, &act), 0);
}

Test(inject_match, a_host_star_also_matches_a_null_node)
{
    init_ok("getaddrinfo:delay=1ms,host=*");
    struct ls_inject_action act;
    cr_assert_eq(ls_inject_decide(LS_FN_getaddrinfo, 1, LS_T_HOST, 0, &act), 1);
}

Test(inject_match, after_lets_the_first_calls_through_and_count_caps_the_fires)
{
    init_ok("read:delay=1ms,after=3,count=2");
    struct ls_inject_action act;
    int pattern[8];
    for (int i = 0; i < 8; i++)
        pattern[i] = fire(LS_FN_read, 0, &act);
    int expected[8] = {0, 0, 0, 1, 1, 0, 0, 0};
    cr_assert_arr_eq(pattern, expected, sizeof pattern);
    cr_assert_eq(ls_inject_fired(0), 2);
    cr_assert_eq(ls_inject_matched(0), 8);
}

Test(inject_match, calls_that_fail_a_filter_do_not_count_toward_after)
{
    init_ok("read:delay=1ms,after=1,thread=loop");
    struct ls_inject_action act;
    cr_assert_eq(fire(LS_FN_read, 0, &act), 0);
    cr_assert_eq(fire(LS_FN_read, 0, &act), 0);
    cr_assert_eq(fire(LS_FN_read, 1, &act), 0, "the first matching call is let through");
    cr_assert_eq(fire(LS_FN_read, 1, &act), 1);
    cr_assert_eq(ls_inject_matched(0), 2);
}

Test(inject_match, probability_zero_never_fires_and_one_always_does)
{
    init_ok("read:delay=1ms,p=0;write:delay=1ms,p=1");
    struct ls_inject_action act;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(fire(LS_FN_read, 0, &act), 0);
        cr_assert_eq(fire(LS_FN_write, 0, &act), 1);
    }
}

static void pattern_of(const char *rules, char *out, int n)
{
    struct ls_inject_action act;
    init_ok(rules);
    for (int i = 0; i < n; i++)
        out[i] = (char)('0' + fire(LS_FN_read, 0, &act));
    out[n] = '\0';
}

Test(inject_match, a_fixed_seed_repeats_the_same_fire_pattern)
{
    char a[1001], b[1001], c[1001];
    pattern_of("read:delay=1ms,p=0.3,seed=42", a, 1000);
    pattern_of("read:delay=1ms,p=0.3,seed=42", b, 1000);
    pattern_of("read:delay=1ms,p=0.3,seed=43", c, 1000);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
}

Test(inject_match, probability_fires_about_that_share_of_calls)
{
    struct ls_inject_action act;
    init_ok("read:delay=1ms,p=0.2,seed=7");
    int n = 0;
    for (int i = 0; i < 20000; i++)
        n += fire(LS_FN_read, 0, &act);
    /* 20000 draws at p=0.2: 4000 expected, sd 57; the range is 7 sd each side. */
    cr_assert(n > 3600 && n < 4400, "fired %d times", n);
}

Test(inject_match, jitter_spreads_delays_over_the_range)
{
    struct ls_inject_action act;
    init_ok("read:delay=10ms,jitter=1ms");
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        cr_assert_eq(fire(LS_FN_read, 0, &act), 1);
        cr_assert(act.delay_ns >= 10000000 && act.delay_ns <= 11000000, "%llu",
                  (unsigned long long)act.delay_ns);
        lo = act.delay_ns < lo ? act.delay_ns : lo;
        hi = act.delay_ns > hi ? act.delay_ns : hi;
    }
    cr_assert(lo < 10100000 && hi > 10900000, "range [%llu, %llu]", (unsigned long long)lo,
              (unsigned long long)hi);
}

struct hammer {
    int calls;
    int fired;
};

static void *hammer_read(void *arg)
{
    struct hammer *h = arg;
    struct ls_inject_action act;
    for (int i = 0; i < h->calls; i++)
        h->fired += fire(LS_FN_read, 0, &act);
    return NULL;
}

static int hammer(int nthreads, int calls)
{
    pthread_t t[8];
    struct hammer h[8];
    int total = 0;
    for (int i = 0; i < nthreads; i++) {
        h[i] = (struct hammer){calls, 0};
        pthread_create(&t[i], NULL, hammer_read, &h[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        total += h[i].fired;
    }
    return total;
}

Test(inject_match, count_is_never_exceeded_under_threads)
{
    init_ok("read:delay=1ms,count=1000");
    cr_assert_eq(hammer(8, 20000), 1000);
    cr_assert_eq(ls_inject_fired(0), 1000);
    cr_assert_eq(ls_inject_matched(0), 160000);
}

Test(inject_match, a_fixed_seed_fires_the_same_number_of_times_under_threads)
{
    init_ok("read:delay=1ms,p=0.1,seed=3");
    int single = hammer(1, 80000);
    init_ok("read:delay=1ms,p=0.1,seed=3");
    cr_assert_eq(hammer(8, 10000), single);
}

Test(inject_match, resetting_counts_starts_the_window_again)
{
    struct ls_inject_action act;
    init_ok("read:delay=1ms,count=1");
    cr_assert_eq(fire(LS_FN_read, 0, &act), 1);
    cr_assert_eq(fire(LS_FN_read, 0, &act), 0);
    ls_inject_reset_counts();
    cr_assert_eq(ls_inject_fired(0), 0);
    cr_assert_eq(fire(LS_FN_read, 0, &act), 1);
}

Test(inject_match, sleep_lasts_the_asked_time)
{
    uint64_t t0 = now_ns();
    ls_inject_sleep(20 * 1000000ULL);
    uint64_t took = now_ns() - t0;
    /* Never short; the upper bound leaves room for a loaded 2-core machine. */
    cr_assert(took >= 20000000ULL && took < 120000000ULL, "slept %llu ns",
              (unsigned long long)took);
}

static void on_alarm(int sig)
{
    (void)sig;
}

Test(inject_match, sleep_resumes_after_signals_until_the_deadline)
{
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: the sleep sees EINTR */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every_ms = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &every_ms, NULL);
    uint64_t t0 = now_ns();
    ls_inject_sleep(30 * 1000000ULL);
    uint64_t took = now_ns() - t0;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    cr_assert(took >= 30000000ULL && took < 150000000ULL, "slept %llu ns",
              (unsigned long long)took);
}

Test(inject_match, a_zero_sleep_returns_at_once)
{
    uint64_t t0 = now_ns();
    ls_inject_sleep(0);
    cr_assert(now_ns() - t0 < 50000000ULL);
}
