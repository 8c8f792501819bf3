/* The drain wire contract, server side: the request body parser accepts
 * only an integer timeout_ms in range, and the progress and result helpers
 * keep every message to one line and never let a progress line read as a
 * result (checked through a real stream on a Unix socket). */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "http/drain_api.h"
#include "http/server.h"

START_TEST(parses_valid_requests)
{
    http_drain_request r;
    util_err err;
    const char *ok[] = {"{\"timeout_ms\":115000}", " { \"other\": [1, 2], \"timeout_ms\": 1 } ",
                        "{\"timeout_ms\":86400000}", "{\"timeout_ms\":5e3}"};
    long long want[] = {115000, 1, 86400000, 5000};
    size_t i;

    for (i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(http_drain_request_parse(ok[i], strlen(ok[i]), &r, &err) == 0, "%s: %s",
                      ok[i], err.msg);
        ck_assert_int_eq(r.timeout_ms, want[i]);
    }
}
END_TEST

START_TEST(refuses_everything_else)
{
    http_drain_request r;
    util_err err;
    const char *bad[] = {
        "",
        "{",
        "[]",
        "null",
        "{}",
        "{\"timeout_ms\":\"5\"}",
        "{\"timeout_ms\":0}",
        "{\"timeout_ms\":-5}",
        "{\"timeout_ms\":1.5}",
        "{\"timeout_ms\":1e300}",
        "{\"timeout_ms\":86400001}",
        "{\"Timeout_ms\":5}",
        "{\"timeout_ms\":5} trailing",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(http_drain_request_parse(bad[i], strlen(bad[i]), &r, &err) != 0,
                      "accepted %s", bad[i]);
        ck_assert(strncmp(err.msg, "drain request: ", 15) == 0);
    }
    /* The length bounds the parse: a NUL-less buffer is fine. */
    ck_assert_int_eq(http_drain_request_parse("{\"timeout_ms\":7}XXXX", 16, &r, &err), 0);
    ck_assert_int_eq(r.timeout_ms, 7);
}
END_TEST

static http_server *srv;

static void on_drain(http_stream *s, const http_request *req, void *user)
{
    (void)req;
    (void)user;
    http_drain_progress(s, "two\nlines\r");
    http_drain_progress(s, "result: ok");
    http_drain_progress(s, "%s", "");
    http_drain_result(s, 0, "because\nreasons");
    http_drain_result(s, 0, NULL);
    http_drain_result(s, 1, NULL);
}

static void *serve(void *arg)
{
    util_err err;
    (void)arg;
    if (http_server_run(srv, &err) != 0)
        fprintf(stderr, "server: %s\n", err.msg);
    return NULL;
}

START_TEST(helpers_write_single_lines_that_cannot_fake_a_result)
{
    char dir[] = "/tmp/berth-dapi-XXXXXX", path[64], out[4096];
    const char *req = "POST " HTTP_DRAIN_PATH " HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    http_listener *l;
    pthread_t t;
    util_err err;
    size_t got = 0;
    int fd;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s", dir);
    ck_assert_int_eq(http_server_new(NULL, &srv, &err), 0);
    ck_assert_int_eq(http_server_listen_unix(srv, path, &l, &err), 0);
    ck_assert_int_eq(http_listener_route_async(l, "POST", HTTP_DRAIN_PATH, on_drain, NULL, &err),
                     0);
    ck_assert_int_eq(pthread_create(&t, NULL, serve, NULL), 0);

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memcpy(sa.sun_path, path, strlen(path));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;
        if (poll(&pfd, 1, 3000) <= 0)
            break;
        n = read(fd, out + got, sizeof out - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fd);
    http_server_stop(srv);
    pthread_join(t, NULL);
    http_server_free(srv);
    rmdir(dir);

    /* An HTTP/1.0 client gets the body delimited by the close, unframed. */
    ck_assert_msg(strstr(out, "\r\n\r\ntwo lines \n> result: ok\n\nresult: failed: because "
                              "reasons\nresult: failed: unknown\nresult: ok\n") != NULL,
                  "got: %s", out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_drain_api");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, parses_valid_requests);
    tcase_add_test(tc, refuses_everything_else);
    tcase_add_test(tc, helpers_write_single_lines_that_cannot_fake_a_result);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
