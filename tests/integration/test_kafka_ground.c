/* berth's Kafka connection and ApiVersions codec agree with real brokers:
 * every broker in BERTH_KAFKA_BOOTSTRAP answers ApiVersions v3 without error
 * and offers the APIs berth's drain relies on; a version it does not know
 * gets the documented UNSUPPORTED_VERSION answer in the v0 layout; and
 * failures (closed port, a full accept queue, a listener that never answers,
 * an oversized frame) end on time with a message instead of hanging. A
 * scripted fake broker stands in for what the real ones will not do: reject
 * ApiVersions v3, answer with the wrong correlation id, hang up mid-frame. Without
 * BERTH_KAFKA_BOOTSTRAP the broker tests fail: no silent skipping. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/proto.h"
#include "support/kafka_test.h"

#define TIMEOUT_MS 10000

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static kafka_conn *connect_or_fail(const char *addr, const kafka_conn_opts *opts)
{
    kafka_conn *c = NULL;
    util_err err;

    ck_assert_msg(kafka_conn_new(addr, opts, &c, &err) == 0, "%s", err.msg);
    return c;
}

/* Loop test: _i indexes the broker list. */
START_TEST(broker_answers_api_versions_v3)
{
    kafka_conn *c = connect_or_fail(kft_broker(_i), NULL);
    kafka_api_versions *v = NULL;
    const kafka_api_range *a;
    util_err err;
    int16_t picked;

    ck_assert_msg(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v->version, 3);
    ck_assert_int_eq(v->error_code, KAFKA_ERR_NONE);
    ck_assert_int_gt(v->n_apis, 10);
    ck_assert_ptr_nonnull(kafka_api_versions_find(v, KAFKA_API_METADATA));
    ck_assert_ptr_nonnull(kafka_api_versions_find(v, KAFKA_API_ELECT_LEADERS));
    ck_assert_ptr_nonnull(kafka_api_versions_find(v, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS));
    a = kafka_api_versions_find(v, KAFKA_API_API_VERSIONS);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_ge(a->max_version, 3);
    ck_assert_msg(kafka_api_versions_pick(v, KAFKA_API_METADATA, 0, 12, &picked, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(picked, 12);
    kafka_api_versions_free(v);

    /* The connection stays in step: a second call on it works too. */
    ck_assert_msg(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err) == 0, "%s", err.msg);
    kafka_api_versions_free(v);
    kafka_conn_free(c);
}
END_TEST

START_TEST(unknown_api_versions_version_gets_v0_unsupported_answer)
{
    kafka_conn *c = connect_or_fail(kft_broker(0), NULL);
    kafka_request req = {KAFKA_API_API_VERSIONS, 99, 1, NULL, 0};
    kafka_api_versions *v = NULL;
    const kafka_api_range *a;
    kafka_bytes resp;
    util_err err;

    ck_assert_msg(kafka_conn_call(c, &req, TIMEOUT_MS, &resp, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_api_versions_decode(resp.ptr, resp.len, 3, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v->version, 0);
    ck_assert_int_eq(v->error_code, KAFKA_ERR_UNSUPPORTED_VERSION);
    a = kafka_api_versions_find(v, KAFKA_API_API_VERSIONS);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_ge(a->max_version, 3);
    kafka_api_versions_free(v);

    ck_assert_msg(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v->error_code, KAFKA_ERR_NONE);
    kafka_api_versions_free(v);
    kafka_conn_free(c);
}
END_TEST

START_TEST(oversized_response_frame_is_refused)
{
    kafka_conn_opts opts = {0};
    kafka_conn *c;
    kafka_api_versions *v = NULL;
    util_err err;

    opts.max_frame_bytes = 64; /* a real ApiVersions answer is several hundred bytes */
    c = connect_or_fail(kft_broker(0), &opts);
    ck_assert_int_eq(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err), -1);
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(err.msg, "exceeds the limit of 64 bytes") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "ApiVersions v3") != NULL, "%s", err.msg);

    /* The unread rest of that frame would be mistaken for the next one. */
    ck_assert_int_eq(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err), -1);
    ck_assert_msg(strstr(err.msg, "unusable") != NULL, "%s", err.msg);
    kafka_conn_free(c);
}
END_TEST

START_TEST(closed_port_fails_fast)
{
    struct timespec t0;
    kafka_conn *c = (kafka_conn *)&t0; /* must be reset */
    util_err err;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kafka_conn_new("127.0.0.1:1", NULL, &c, &err), -1);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err.msg, "broker 127.0.0.1:1: connect: Connection refused") != NULL, "%s",
                  err.msg);
    ck_assert_int_lt(elapsed_ms(&t0), 1000);
}
END_TEST

/* A listening socket that never accepts: the kernel completes the TCP
 * handshake, so connect succeeds, but no request is ever read. */
static int silent_listener(char *addr, size_t size, int backlog)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(addr, size, "127.0.0.1:%d", ntohs(sa.sin_port));
    return fd;
}

START_TEST(request_deadline_against_a_silent_listener)
{
    char addr[64];
    int lfd = silent_listener(addr, sizeof addr, 4);
    kafka_conn *c = connect_or_fail(addr, NULL);
    kafka_api_versions *v = NULL;
    struct timespec t0;
    util_err err;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kafka_api_versions_fetch(c, 1, &v, &err), -1);
    ck_assert_int_lt(elapsed_ms(&t0), 500);
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(err.msg, ": ApiVersions v3: waiting for the response: timed out after 1 "
                                  "ms") != NULL,
                  "%s", err.msg);
    ck_assert_int_eq(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err), -1);
    ck_assert_msg(strstr(err.msg, "unusable") != NULL, "%s", err.msg);
    kafka_conn_free(c);
    close(lfd);
}
END_TEST

/* A listener whose accept queue is full drops further SYNs (Linux), so
 * connecting to it hangs until the connect timeout. */
START_TEST(connect_timeout_against_a_full_backlog)
{
    char addr[64];
    int lfd = silent_listener(addr, sizeof addr, 0);
    kafka_conn_opts opts = {0};
    kafka_conn *held[4] = {NULL};
    int i, timed_out = 0;

    opts.connect_timeout_ms = 200;
    for (i = 0; i < 4 && !timed_out; i++) {
        struct timespec t0;
        util_err err;
        long ms;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (kafka_conn_new(addr, &opts, &held[i], &err) == 0)
            continue; /* filled a place in the queue */
        ms = elapsed_ms(&t0);
        ck_assert_msg(strstr(err.msg, "connect: timed out after 200 ms") != NULL, "%s", err.msg);
        ck_assert_int_ge(ms, 150);
        ck_assert_int_lt(ms, 2000);
        timed_out = 1;
    }
    ck_assert_msg(timed_out, "every connect to a full backlog succeeded");
    for (i = 0; i < 4; i++)
        kafka_conn_free(held[i]);
    close(lfd);
}
END_TEST

/* ---- a scripted fake broker on 127.0.0.1 ---- */

typedef enum fake_mode {
    FAKE_OLD_BROKER,        /* speaks ApiVersions v0..v2 only */
    FAKE_WRONG_CORRELATION, /* answers with another correlation id */
    FAKE_HANGUP_MID_FRAME,  /* promises 100 bytes, sends 10, closes */
} fake_mode;

typedef struct fake_broker {
    int lfd;
    char addr[64];
    fake_mode mode;
    pthread_t thread;
    int16_t versions_seen[8];
    int n_seen;
} fake_broker;

static int read_full(int fd, unsigned char *buf, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t got = read(fd, buf + off, n - off);
        if (got <= 0)
            return -1;
        off += (size_t)got;
    }
    return 0;
}

static void put16(unsigned char *p, int v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, long v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Builds the ApiVersions answer of an old broker to a request of version,
 * after the size prefix and header: v0 UNSUPPORTED_VERSION above v2. */
static size_t old_broker_body(int version, unsigned char *p)
{
    size_t n;

    if (version > 2) {
        put16(p, 35); /* UNSUPPORTED_VERSION, in the v0 layout */
        put32(p + 2, 1);
        put16(p + 6, 18);
        put16(p + 8, 0);
        put16(p + 10, 2);
        return 12;
    }
    put16(p, 0);
    put32(p + 2, 2);
    put16(p + 6, 3); /* Metadata v0..v9 */
    put16(p + 8, 0);
    put16(p + 10, 9);
    put16(p + 12, 18); /* ApiVersions v0..v2 */
    put16(p + 14, 0);
    put16(p + 16, 2);
    n = 18;
    if (version >= 1) {
        put32(p + n, 0); /* throttle_time_ms */
        n += 4;
    }
    return n;
}

static void *fake_broker_run(void *arg)
{
    fake_broker *fb = arg;
    struct timeval tv = {5, 0};
    unsigned char req[512], resp[128];
    int fd = accept(fb->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
        size_t size, n;
        long corr;
        int version;

        if (read_full(fd, req, 4) < 0)
            break;
        size = (size_t)req[0] << 24 | (size_t)req[1] << 16 | (size_t)req[2] << 8 | req[3];
        if (size < 8 || size > sizeof req || read_full(fd, req, size) < 0)
            break;
        version = req[2] << 8 | req[3];
        corr = (long)req[4] << 24 | (long)req[5] << 16 | (long)req[6] << 8 | req[7];
        if (fb->n_seen < 8)
            fb->versions_seen[fb->n_seen++] = (int16_t)version;
        if (fb->mode == FAKE_HANGUP_MID_FRAME) {
            memset(resp, 0, sizeof resp);
            put32(resp, 100);
            n = (size_t)write(fd, resp, 14); /* hangs up whatever was written */
            break;
        }
        put32(resp + 4, fb->mode == FAKE_WRONG_CORRELATION ? corr + 1 : corr);
        n = old_broker_body(version, resp + 8);
        put32(resp, (long)(n + 4));
        if (write(fd, resp, n + 8) != (ssize_t)(n + 8))
            break;
    }
    close(fd);
    return NULL;
}

static void fake_broker_start(fake_broker *fb, fake_mode mode)
{
    memset(fb, 0, sizeof *fb);
    fb->mode = mode;
    fb->lfd = silent_listener(fb->addr, sizeof fb->addr, 4);
    ck_assert_int_eq(pthread_create(&fb->thread, NULL, fake_broker_run, fb), 0);
}

static void fake_broker_stop(fake_broker *fb)
{
    pthread_join(fb->thread, NULL);
    close(fb->lfd);
}

START_TEST(old_broker_gets_the_highest_version_it_speaks)
{
    fake_broker fb;
    kafka_conn *c;
    kafka_api_versions *v = NULL;
    util_err err;
    int16_t picked;

    fake_broker_start(&fb, FAKE_OLD_BROKER);
    c = connect_or_fail(fb.addr, NULL);
    ck_assert_msg(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v->version, 2);
    ck_assert_int_eq(v->error_code, 0);
    ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_METADATA, 0, 12, &picked, &err), 0);
    ck_assert_int_eq(picked, 9);
    kafka_api_versions_free(v);
    kafka_conn_free(c);
    fake_broker_stop(&fb);
    ck_assert_int_eq(fb.n_seen, 2);
    ck_assert_int_eq(fb.versions_seen[0], 3);
    ck_assert_int_eq(fb.versions_seen[1], 2);
}
END_TEST

START_TEST(wrong_correlation_id_is_refused)
{
    fake_broker fb;
    kafka_conn *c;
    kafka_api_versions *v = NULL;
    util_err err;

    fake_broker_start(&fb, FAKE_WRONG_CORRELATION);
    c = connect_or_fail(fb.addr, NULL);
    ck_assert_int_eq(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err), -1);
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(err.msg, "response correlation id 2, expected 1") != NULL, "%s", err.msg);
    kafka_conn_free(c);
    fake_broker_stop(&fb);
}
END_TEST

START_TEST(hangup_mid_frame_is_reported)
{
    fake_broker fb;
    kafka_conn *c;
    kafka_api_versions *v = NULL;
    util_err err;

    fake_broker_start(&fb, FAKE_HANGUP_MID_FRAME);
    c = connect_or_fail(fb.addr, NULL);
    ck_assert_int_eq(kafka_api_versions_fetch(c, TIMEOUT_MS, &v, &err), -1);
    ck_assert_msg(strstr(err.msg, "ApiVersions v3: reading the response: connection closed by "
                                  "the broker") != NULL,
                  "%s", err.msg);
    kafka_conn_free(c);
    fake_broker_stop(&fb);
}
END_TEST

START_TEST(malformed_addresses_are_refused_before_connecting)
{
    static const struct {
        const char *addr, *why;
    } cases[] = {
        {"127.0.0.1", "broker '127.0.0.1': expected host:port"},
        {"127.0.0.1:", "broker '127.0.0.1:': empty port"},
        {":9092", "broker ':9092': empty host"},
        {"127.0.0.1:70000", "broker '127.0.0.1:70000': port '70000' is not a number from 1 to "
                            "65535"},
        {"::1:9092", "broker '::1:9092': IPv6 addresses need brackets: [address]:port"},
        {"[::1]9092", "broker '[::1]9092': expected [address]:port"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kafka_conn *c = NULL;
        util_err err;

        ck_assert_int_eq(kafka_conn_new(cases[i].addr, NULL, &c, &err), -1);
        ck_assert_ptr_null(c);
        ck_assert_str_eq(err.msg, cases[i].why);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_ground");
    TCase *tc = tcase_create("ground");
    SRunner *sr;
    int n_brokers = kft_broker_count();
    int failed;

    tcase_set_timeout(tc, 60);
    /* With no brokers, one iteration still runs, and fails saying why. */
    tcase_add_loop_test(tc, broker_answers_api_versions_v3, 0, n_brokers > 0 ? n_brokers : 1);
    tcase_add_test(tc, unknown_api_versions_version_gets_v0_unsupported_answer);
    tcase_add_test(tc, oversized_response_frame_is_refused);
    tcase_add_test(tc, closed_port_fails_fast);
    tcase_add_test(tc, request_deadline_against_a_silent_listener);
    tcase_add_test(tc, connect_timeout_against_a_full_backlog);
    tcase_add_test(tc, malformed_addresses_are_refused_before_connecting);
    tcase_add_test(tc, old_broker_gets_the_highest_version_it_speaks);
    tcase_add_test(tc, wrong_correlation_id_is_refused);
    tcase_add_test(tc, hangup_mid_frame_is_reported);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
