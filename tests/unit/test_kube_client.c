/* The kube client's behaviour that needs no API server: refusals decoded
 * into code, reason and message (Status objects or not), bad requests
 * refused before anything is sent, and the request timeout honoured
 * against a loopback listener that never answers. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kube/client.h"
#include "support/curl_suite.h"

static void decode(long status, const char *body, kube_status *st)
{
    kube_response r = {.status = status, .body = (char *)body, .body_len = strlen(body)};

    kube_status_decode(&r, st);
}

START_TEST(status_objects_give_reason_and_message)
{
    kube_status st;

    decode(409,
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
           "\"message\":\"configmaps \\\"x\\\" already exists\",\"reason\":\"AlreadyExists\","
           "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":409}",
           &st);
    ck_assert_int_eq(st.code, 409);
    ck_assert_str_eq(st.reason, "AlreadyExists");
    ck_assert_str_eq(st.message, "configmaps \"x\" already exists");

    /* A Status without a reason gets the one its code implies. */
    decode(410, "{\"kind\":\"Status\",\"message\":\"too old resource version\"}", &st);
    ck_assert_str_eq(st.reason, "Expired");
    ck_assert_str_eq(st.message, "too old resource version");
}
END_TEST

START_TEST(other_bodies_keep_code_and_a_line_of_text)
{
    kube_status st;
    char big[2048];

    decode(503, "upstream\nunavailable\r\n", &st);
    ck_assert_int_eq(st.code, 503);
    ck_assert_str_eq(st.reason, "ServiceUnavailable");
    ck_assert_str_eq(st.message, "upstream unavailable  ");

    decode(418, "", &st);
    ck_assert_str_eq(st.reason, "Unknown");
    ck_assert_str_eq(st.message, "");

    /* JSON that is not a Status is just text. */
    decode(403, "{\"kind\":\"Pod\",\"reason\":\"Evil\"}", &st);
    ck_assert_str_eq(st.reason, "Forbidden");

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    decode(500, big, &st);
    ck_assert_uint_eq(strlen(st.message), KUBE_STATUS_MESSAGE_MAX - 1);
}
END_TEST

/* A loopback listener that accepts connections (through the backlog) and
 * never says a word. Returns its fd; *port gets its port. */
static int silent_listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static kube_client *client_at(const char *server, const char *tls_name, long timeout_ms)
{
    char srv[128], tls[64];
    kube_config cfg = {.server = srv, .namespace = (char *)"default"};
    kube_client_options opts = {.timeout_ms = timeout_ms};
    kube_client *c = NULL;
    util_err err = {{0}};

    snprintf(srv, sizeof srv, "%s", server);
    if (tls_name != NULL) {
        snprintf(tls, sizeof tls, "%s", tls_name);
        cfg.tls_server_name = tls;
    }
    ck_assert_msg(kube_client_new(&cfg, &opts, &c, &err) == 0, "%s", err.msg);
    return c;
}

START_TEST(bad_requests_are_refused_before_sending)
{
    kube_client *c = client_at("https://127.0.0.1:1", NULL, 0);
    kube_response r;
    util_err err = {{0}};

    ck_assert_int_eq(kube_request(c, "HEAD", "/x", NULL, NULL, &r, &err), KUBE_ERR);
    ck_assert_str_eq(err.msg, "HEAD /x: unsupported method");
    ck_assert_int_eq(kube_request(c, "GET", "api/v1", NULL, NULL, &r, &err), KUBE_ERR);
    ck_assert_str_eq(err.msg, "GET api/v1: path must start with '/' and be escaped");
    ck_assert_int_eq(kube_request(c, "GET", "/api?x=a b", NULL, NULL, &r, &err), KUBE_ERR);
    ck_assert_ptr_null(r.body);
    kube_client_free(c);
    kube_client_free(NULL);
}
END_TEST

START_TEST(no_answer_is_a_transport_error_with_code_zero)
{
    int port, fd = silent_listener(&port);
    char server[64];
    kube_client *c;
    kube_status st;
    util_err err = {{0}};

    close(fd); /* nothing listens there now */
    snprintf(server, sizeof server, "https://127.0.0.1:%d", port);
    c = client_at(server, NULL, 0);
    ck_assert_int_eq(kube_get(c, "/version", NULL, &st, &err), KUBE_ERR);
    ck_assert_int_eq(st.code, 0);
    ck_assert_msg(strstr(err.msg, "GET /version: ") == err.msg, "%s", err.msg);
    kube_client_free(c);
}
END_TEST

START_TEST(request_timeout_is_honoured)
{
    int port, fd = silent_listener(&port);
    char server[64];
    struct timespec t0, t1;
    kube_client *c;
    util_err err = {{0}};
    double secs;

    /* With tls-server-name the connection still goes to the server's
     * address; only the name changes. */
    snprintf(server, sizeof server, "https://127.0.0.1:%d", port);
    c = client_at(server, "kubernetes.default.svc", 300);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kube_get(c, "/version", NULL, NULL, &err), KUBE_ERR);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(secs > 0.2 && secs < 5, "took %.2fs", secs);
    ck_assert_msg(strstr(err.msg, "timed out") != NULL, "%s", err.msg);
    kube_client_free(c);
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_client");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, status_objects_give_reason_and_message);
    tcase_add_test(tc, other_bodies_keep_code_and_a_line_of_text);
    tcase_add_test(tc, bad_requests_are_refused_before_sending);
    tcase_add_test(tc, no_answer_is_a_transport_error_with_code_zero);
    tcase_add_test(tc, request_timeout_is_honoured);
    suite_add_tcase(s, tc);
    return curl_suite_run(s);
}
