/* lib/http's server on real sockets (127.0.0.1 and a Unix socket in a temp
 * dir): routes answer on their own listener only, the control route never
 * exists on TCP, the socket file is 0660, asynchronous answers stream line
 * by line and learn when the client leaves, limits give 413/503, idle
 * connections are closed, and 200 seeded malformed inputs get a 4xx or a
 * closed connection without hurting the server. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http/drain_api.h"
#include "http/server.h"
#include "support/http_client.h"

#define IDLE_S   2
#define MAX_BODY 8192

typedef struct fixture {
    http_server *srv;
    pthread_t thread;
    int running;
    http_listener *tcp, *ux;
    int port;
    char dir[64];
    char sock[128];
} fixture;

static fixture fx;
static atomic_int health_calls, drain_calls, echo_calls, slow_started, slow_cancelled;
static sem_t step;

/* --- handlers --- */

static int on_health(const http_request *req, http_response *resp, void *user)
{
    (void)req;
    (void)user;
    atomic_fetch_add(&health_calls, 1);
    return http_response_printf(resp, 200, "ok\n");
}

#define BIG (1 << 20)

/* A body far larger than a socket buffer, so lws must send it in parts. */
static int on_big(const http_request *req, http_response *resp, void *user)
{
    size_t i;

    (void)req;
    (void)user;
    resp->body = malloc(BIG);
    if (resp->body == NULL)
        return -1;
    for (i = 0; i < BIG; i++)
        resp->body[i] = (char)('a' + i % 26);
    resp->body_len = BIG;
    resp->content_type = "application/octet-stream";
    return 0;
}

static int on_echo(const http_request *req, http_response *resp, void *user)
{
    (void)user;
    atomic_fetch_add(&echo_calls, 1);
    return http_response_printf(resp, 200, "%s", req->body);
}

/* Streams three progress lines, each only after the test posts `step`, so
 * a line the client reads before posting proves it was sent on its own. */
static void on_drain(http_stream *s, const http_request *req, void *user)
{
    http_drain_request dr;
    util_err err;
    int i;

    (void)user;
    atomic_fetch_add(&drain_calls, 1);
    if (http_drain_request_parse(req->body, req->body_len, &dr, &err) != 0) {
        http_stream_head(s, 400, NULL);
        http_stream_printf(s, "%s\n", err.msg);
        return;
    }
    for (i = 1; i <= 3; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        if (sem_timedwait(&step, &ts) != 0)
            return;
        http_drain_progress(s, "progress %d", i);
    }
    http_drain_result(s, 1, NULL);
}

/* Writes a line, then waits (polling, as a drain does) until cancelled. */
static void on_slow(http_stream *s, const http_request *req, void *user)
{
    int i;

    (void)req;
    (void)user;
    http_stream_printf(s, "started\n");
    atomic_fetch_add(&slow_started, 1);
    for (i = 0; i < 200; i++) {
        if (http_stream_sleep(s, 50)) {
            atomic_fetch_add(&slow_cancelled, 1);
            return;
        }
    }
}

static void *run_server(void *arg)
{
    util_err err;
    (void)arg;
    if (http_server_run(fx.srv, &err) != 0)
        fprintf(stderr, "run: %s\n", err.msg);
    return NULL;
}

static void start_server(unsigned max_async)
{
    http_server_config cfg = {
        .idle_timeout_s = IDLE_S, .max_body = MAX_BODY, .max_async = max_async};
    util_err err;

    ck_assert_int_eq(http_server_new(&cfg, &fx.srv, &err), 0);
    ck_assert_msg(http_server_listen_tcp(fx.srv, "127.0.0.1", 0, &fx.tcp, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(http_server_listen_unix(fx.srv, fx.sock, &fx.ux, &err) == 0, "%s", err.msg);
    fx.port = http_listener_port(fx.tcp);
    ck_assert_int_gt(fx.port, 0);
    ck_assert_int_eq(http_listener_route(fx.tcp, "GET", "/healthz", on_health, NULL, &err), 0);
    ck_assert_int_eq(http_listener_route(fx.ux, "GET", "/healthz", on_health, NULL, &err), 0);
    ck_assert_int_eq(http_listener_route(fx.tcp, "GET", "/big", on_big, NULL, &err), 0);
    ck_assert_int_eq(
        http_listener_route_async(fx.ux, "POST", HTTP_DRAIN_PATH, on_drain, NULL, &err), 0);
    ck_assert_int_eq(http_listener_route_async(fx.ux, "POST", "/v1/slow", on_slow, NULL, &err), 0);
    ck_assert_int_eq(http_listener_route(fx.ux, "POST", "/v1/echo", on_echo, NULL, &err), 0);
    ck_assert_int_eq(pthread_create(&fx.thread, NULL, run_server, NULL), 0);
    fx.running = 1;
}

static void stop_server(void)
{
    if (fx.running) {
        http_server_stop(fx.srv);
        pthread_join(fx.thread, NULL);
        fx.running = 0;
    }
    http_server_free(fx.srv);
    fx.srv = NULL;
}

static void setup(void)
{
    memset(&fx, 0, sizeof fx);
    atomic_store(&health_calls, 0);
    atomic_store(&drain_calls, 0);
    atomic_store(&echo_calls, 0);
    atomic_store(&slow_started, 0);
    atomic_store(&slow_cancelled, 0);
    sem_init(&step, 0, 0);
    snprintf(fx.dir, sizeof fx.dir, "/tmp/berth-http-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx.dir));
    snprintf(fx.sock, sizeof fx.sock, "%s/drain.sock", fx.dir);
    start_server(2);
}

static void teardown(void)
{
    if (fx.srv != NULL)
        stop_server();
    unlink(fx.sock);
    rmdir(fx.dir);
    sem_destroy(&step);
}

/* --- a minimal client --- */

/* Reads until needle shows up in what was read so far. */
static int read_until(int fd, char *out, size_t cap, size_t *got, const char *needle,
                      int timeout_ms)
{
    while (strstr(out, needle) == NULL) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;
        if (*got >= cap - 1 || poll(&pfd, 1, timeout_ms) <= 0)
            return -1;
        n = recv(fd, out + *got, cap - 1 - *got, 0);
        if (n <= 0)
            return -1;
        *got += (size_t)n;
        out[*got] = '\0';
    }
    return 0;
}

/* One request on a fresh connection; the response until close. */
static int request(int use_unix, const char *req, char *out, size_t cap)
{
    return hc_request(use_unix ? 0 : fx.port, fx.sock, req, out, cap, 5000);
}

static int wait_for(atomic_int *v, int want, int timeout_ms)
{
    int i;
    for (i = 0; i < timeout_ms / 10 && atomic_load(v) < want; i++)
        usleep(10000);
    return atomic_load(v) >= want;
}

/* --- tests --- */

START_TEST(healthz_answers_200_on_both_listeners)
{
    char out[4096];

    ck_assert_int_eq(
        request(0, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "\r\n\r\nok\n"));
    ck_assert_int_eq(
        request(1, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", out, sizeof out), 200);
    /* The query string is not part of the path. */
    ck_assert_int_eq(request(0, "GET /healthz?verbose=1 HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_int_eq(atomic_load(&health_calls), 3);
}
END_TEST

START_TEST(keep_alive_serves_several_requests_on_one_connection)
{
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    char out[4096] = "";
    size_t got = 0;
    int fd = hc_connect_tcp(fx.port);

    hc_send_all(fd, req, strlen(req));
    ck_assert_int_eq(read_until(fd, out, sizeof out, &got, "ok\n", 2000), 0);
    out[0] = '\0';
    got = 0;
    hc_send_all(fd, req, strlen(req));
    ck_assert_int_eq(read_until(fd, out, sizeof out, &got, "ok\n", 2000), 0);
    close(fd);
    ck_assert_int_eq(atomic_load(&health_calls), 2);
}
END_TEST

START_TEST(large_answer_is_sent_whole)
{
    const char *req = "GET /big HTTP/1.1\r\nConnection: close\r\n\r\n";
    static char out[BIG + 4096];
    const char *body;
    int fd = hc_connect_tcp(fx.port), closed;
    size_t got, i;

    hc_send_all(fd, req, strlen(req));
    /* Read slowly at first, so the server meets a full socket. */
    usleep(200000);
    got = hc_read_until_close(fd, out, sizeof out, 5000, &closed);
    close(fd);
    ck_assert(closed);
    ck_assert_ptr_nonnull(strstr(out, "content-length: 1048576\r\n"));
    body = strstr(out, "\r\n\r\n") + 4;
    ck_assert_uint_eq(got - (size_t)(body - out), BIG);
    for (i = 0; i < BIG; i++)
        if (body[i] != (char)('a' + i % 26))
            ck_abort_msg("byte %zu differs", i);
}
END_TEST

START_TEST(unknown_path_is_404)
{
    char out[4096];

    ck_assert_int_eq(request(0, "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n", out, sizeof out),
                     404);
    ck_assert_int_eq(
        request(1, "GET /healthz/x HTTP/1.1\r\nConnection: close\r\n\r\n", out, sizeof out), 404);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    char out[4096];

    ck_assert_int_eq(request(1, "GET /v1/drain HTTP/1.1\r\n\r\n", out, sizeof out), 405);
    ck_assert_ptr_nonnull(strstr(out, "allow: POST\r\n"));
    ck_assert_int_eq(request(0, "DELETE /healthz HTTP/1.1\r\n\r\n", out, sizeof out), 405);
    ck_assert_ptr_nonnull(strstr(out, "allow: GET\r\n"));
    ck_assert_int_eq(atomic_load(&drain_calls), 0);
}
END_TEST

START_TEST(drain_path_on_tcp_never_reaches_a_handler)
{
    const char *body = "{\"timeout_ms\":1000}";
    char req[512], out[4096];
    const char *hosts[] = {"localhost", "berth-0", "berth-1", "berth-2"};
    util_err err;
    size_t i;

    for (i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        int st;
        /* lws picks vhosts by Host header; none may lead to the Unix one. */
        snprintf(req, sizeof req,
                 "POST " HTTP_DRAIN_PATH " HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n\r\n%s",
                 hosts[i], strlen(body), body);
        st = request(0, req, out, sizeof out);
        ck_assert_msg(st == 404 || st == 405, "host %s: status %d", hosts[i], st);
        snprintf(req, sizeof req, "GET " HTTP_DRAIN_PATH " HTTP/1.1\r\nHost: %s\r\n\r\n", hosts[i]);
        st = request(0, req, out, sizeof out);
        ck_assert_msg(st == 404 || st == 405, "host %s: status %d", hosts[i], st);
    }
    ck_assert_int_eq(atomic_load(&drain_calls), 0);
    /* And nothing but GET can be routed there in the first place. */
    ck_assert_int_ne(http_listener_route(fx.tcp, "POST", "/x", on_echo, NULL, &err), 0);
    ck_assert_int_ne(http_listener_route_async(fx.tcp, "POST", "/y", on_drain, NULL, &err), 0);
}
END_TEST

START_TEST(unix_socket_has_mode_0660)
{
    struct stat st;

    ck_assert_int_eq(lstat(fx.sock, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0660);
    ck_assert_int_eq(http_listener_port(fx.ux), -1);
}
END_TEST

START_TEST(unix_listen_replaces_stale_sockets_only)
{
    char path[160];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    http_server *srv;
    http_listener *l;
    util_err err;
    struct stat st;
    int fd;
    FILE *f;

    ck_assert_int_eq(http_server_new(NULL, &srv, &err), 0);
    /* A live socket (the fixture's) is refused. */
    ck_assert_int_ne(http_server_listen_unix(srv, fx.sock, &l, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "listening"));
    /* A regular file is refused and left alone. */
    snprintf(path, sizeof path, "%s/file", fx.dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_ne(http_server_listen_unix(srv, path, &l, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a socket"));
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    unlink(path);
    /* A stale socket file (bound, then its owner went away) is replaced. */
    snprintf(path, sizeof path, "%s/stale.sock", fx.dir);
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    ck_assert_msg(http_server_listen_unix(srv, path, &l, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0660);
    http_server_free(srv);
    /* Freeing the server removes its socket file. */
    ck_assert_int_ne(lstat(path, &st), 0);
}
END_TEST

START_TEST(async_answer_streams_each_line_as_it_is_written)
{
    const char *req = "POST " HTTP_DRAIN_PATH " HTTP/1.1\r\nHost: x\r\nContent-Length: 19\r\n\r\n"
                      "{\"timeout_ms\":5000}";
    char out[8192] = "";
    size_t got = 0;
    int fd = hc_connect_unix(fx.sock), closed, i;

    hc_send_all(fd, req, strlen(req));
    /* The head goes out once the handler writes; each line arrives before
     * the handler is allowed to write the next one. */
    for (i = 1; i <= 3; i++) {
        char want[32];
        snprintf(want, sizeof want, "progress %d\n", i);
        sem_post(&step);
        ck_assert_msg(read_until(fd, out, sizeof out, &got, want, 3000) == 0,
                      "line %d did not arrive; got: %s", i, out);
        if (i < 3)
            ck_assert_ptr_null(strstr(out, "result:"));
    }
    hc_read_until_close(fd, out + got, sizeof out - got, 3000, &closed);
    close(fd);
    ck_assert(closed);
    ck_assert(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
    ck_assert_ptr_nonnull(strstr(out, "transfer-encoding: chunked\r\n"));
    /* Chunked framing around the result line, then the last chunk. */
    ck_assert_msg(strstr(out, "progress 3\nresult: ok\n\r\n0\r\n\r\n") != NULL ||
                      strstr(out, "b\r\nresult: ok\n\r\n0\r\n\r\n") != NULL,
                  "got: %s", out);
    ck_assert_int_eq(atomic_load(&drain_calls), 1);
}
END_TEST

START_TEST(bad_drain_body_gets_the_handlers_400)
{
    char out[4096];

    ck_assert_int_eq(request(1, "POST " HTTP_DRAIN_PATH " HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]",
                             out, sizeof out),
                     400);
    ck_assert_ptr_nonnull(strstr(out, "not a JSON object"));
}
END_TEST

START_TEST(client_leaving_mid_stream_cancels_the_worker)
{
    const char *req = "POST /v1/slow HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    char out[4096] = "";
    size_t got = 0;
    int fd = hc_connect_unix(fx.sock);

    hc_send_all(fd, req, strlen(req));
    ck_assert_int_eq(read_until(fd, out, sizeof out, &got, "started\n", 3000), 0);
    ck_assert_int_eq(atomic_load(&slow_cancelled), 0);
    close(fd);
    ck_assert_msg(wait_for(&slow_cancelled, 1, 3000), "the worker was not told");
    /* The server is fine afterwards. */
    ck_assert_int_eq(request(1, "GET /healthz HTTP/1.0\r\n\r\n", out, sizeof out), 200);
}
END_TEST

START_TEST(stop_cancels_running_workers)
{
    const char *req = "POST /v1/slow HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    char out[4096] = "";
    size_t got = 0;
    int fd = hc_connect_unix(fx.sock), closed;

    hc_send_all(fd, req, strlen(req));
    ck_assert_int_eq(read_until(fd, out, sizeof out, &got, "started\n", 3000), 0);
    stop_server();
    ck_assert_int_eq(atomic_load(&slow_cancelled), 1);
    hc_read_until_close(fd, out, sizeof out, 3000, &closed);
    ck_assert(closed);
    close(fd);
}
END_TEST

START_TEST(body_over_the_cap_is_413)
{
    static char req[MAX_BODY + 256], out[MAX_BODY + 1024];
    int n;

    n = snprintf(req, sizeof req, "POST /v1/echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n", MAX_BODY);
    memset(req + n, 'a', MAX_BODY);
    req[n + MAX_BODY] = '\0';
    ck_assert_int_eq(request(1, req, out, sizeof out), 200);
    ck_assert_int_eq(strlen(strstr(out, "\r\n\r\n") + 4), MAX_BODY);

    n = snprintf(req, sizeof req, "POST /v1/echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
                 MAX_BODY + 1);
    memset(req + n, 'a', MAX_BODY + 1);
    req[n + MAX_BODY + 1] = '\0';
    ck_assert_int_eq(request(1, req, out, sizeof out), 413);
    ck_assert_int_eq(atomic_load(&echo_calls), 1);
    /* A POST must say its length; a chunked one is refused. */
    ck_assert_int_eq(request(1, "POST /v1/echo HTTP/1.1\r\n\r\n", out, sizeof out), 411);
    ck_assert_int_eq(request(1,
                             "POST /v1/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "1\r\na\r\n0\r\n\r\n",
                             out, sizeof out),
                     400);
    ck_assert_int_eq(atomic_load(&echo_calls), 1);
}
END_TEST

START_TEST(too_many_async_requests_is_503)
{
    const char *req = "POST /v1/slow HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    char out[4096] = "";
    size_t got;
    int fds[2], i;

    for (i = 0; i < 2; i++) {
        fds[i] = hc_connect_unix(fx.sock);
        hc_send_all(fds[i], req, strlen(req));
        got = 0;
        out[0] = '\0';
        ck_assert_int_eq(read_until(fds[i], out, sizeof out, &got, "started\n", 3000), 0);
    }
    ck_assert_int_eq(request(1, req, out, sizeof out), 503);
    close(fds[0]);
    close(fds[1]);
    ck_assert(wait_for(&slow_cancelled, 2, 3000));
    /* Once they are gone (their threads joined), there is room again. */
    for (i = 0; i < 100; i++) {
        int fd = hc_connect_unix(fx.sock);
        hc_send_all(fd, req, strlen(req));
        got = 0;
        out[0] = '\0';
        if (read_until(fd, out, sizeof out, &got, "started\n", 1000) == 0) {
            close(fd);
            break;
        }
        close(fd);
        usleep(20000);
    }
    ck_assert_int_lt(i, 100);
}
END_TEST

START_TEST(idle_and_half_sent_requests_are_closed)
{
    const char *partial[] = {"", "GET /heal",
                             "POST /v1/echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"};
    size_t i;

    for (i = 0; i < sizeof partial / sizeof *partial; i++) {
        char out[1024];
        int fd = i == 2 ? hc_connect_unix(fx.sock) : hc_connect_tcp(fx.port), closed;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        hc_send_all(fd, partial[i], strlen(partial[i]));
        hc_read_until_close(fd, out, sizeof out, (IDLE_S + 4) * 1000, &closed);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        close(fd);
        ck_assert_msg(closed, "case %zu: still open after %ds", i, IDLE_S + 4);
        ck_assert_int_le(t1.tv_sec - t0.tv_sec, IDLE_S + 3);
    }
    ck_assert_int_eq(atomic_load(&echo_calls), 0);
}
END_TEST

/* xorshift64*: a fixed seed makes every run send the same bytes. */
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_bytes(char *p, size_t n, const char *alphabet)
{
    size_t i, an = alphabet != NULL ? strlen(alphabet) : 0;
    for (i = 0; i < n; i++)
        p[i] = alphabet != NULL ? alphabet[rnd() % an] : (char)(rnd() & 0xff);
    return n;
}

/* One malformed input; none of them is a request any route may answer 2xx. */
static size_t make_garbage(int i, char *buf, size_t cap)
{
    static const char *methods[] = {"GET", "POST", "FOO", "G\x01T", "", "get", "PUT", "HEAD"};
    static const char *versions[] = {"HTTP/1.1", "HTTP/9.9", "HTTP/1.1x", "", "HTTP/", "HTTP/1"};
    static const char *bad_lengths[] = {"-1",   "abc", "1 2", "99999999999999999999999",
                                        "0x10", "+5",  "1,1", "1.5"};
    const char *full = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    size_t n = 0;

    switch (i % 7) {
    case 0: /* random bytes */
        return rnd_bytes(buf, 1 + rnd() % 2048, NULL);
    case 1: /* garbage request line, never a known path */
        n = (size_t)snprintf(buf, cap, "%s /x", methods[rnd() % 8]);
        n += rnd_bytes(buf + n, rnd() % 64, "abc%/.?=&\x7f\x80 ");
        n += (size_t)snprintf(buf + n, cap - n, " %s\r\n", versions[rnd() % 6]);
        if (rnd() % 2)
            n += (size_t)snprintf(buf + n, cap - n, "Host: y\r\n");
        n += (size_t)snprintf(buf + n, cap - n, "\r\n");
        return n;
    case 2: /* a header far over the cap */
        n = (size_t)snprintf(buf, cap, "GET /healthz HTTP/1.1\r\nX-Big: ");
        n += rnd_bytes(buf + n, 5000 + rnd() % 20000, "abcdefghij");
        n += (size_t)snprintf(buf + n, cap - n, "\r\n\r\n");
        return n;
    case 3: { /* binary junk in lines */
        size_t want = 200 + rnd() % 1000;
        for (n = 0; n < want;) {
            n += rnd_bytes(buf + n, rnd() % 40, NULL);
            buf[n++] = '\r';
            buf[n++] = '\n';
        }
        return n;
    }
    case 4: /* a real request cut short, then the client closes */
        n = rnd() % (strlen(full) - 1);
        memcpy(buf, full, n);
        return n;
    case 5: /* a body length no one can trust */
        return (size_t)snprintf(buf, cap, "%s /healthz HTTP/1.1\r\nContent-Length: %s\r\n\r\nxx",
                                rnd() % 2 ? "GET" : "POST", bad_lengths[rnd() % 8]);
    default: /* many headers */
        n = (size_t)snprintf(buf, cap, "GET /healthz HTTP/1.1\r\n");
        while (n < 9000)
            n += (size_t)snprintf(buf + n, cap - n, "X-%u: %u\r\n", (unsigned)(rnd() % 1000),
                                  (unsigned)rnd());
        n += (size_t)snprintf(buf + n, cap - n, "\r\n");
        return n;
    }
}

START_TEST(malformed_input_gets_4xx_or_a_close_and_the_server_lives)
{
    static char buf[32768], out[8192];
    int i, health_before;

    for (i = 0; i < 200; i++) {
        int use_unix = i % 2, fd, closed;
        size_t n = make_garbage(i, buf, sizeof buf);
        size_t got;

        fd = use_unix ? hc_connect_unix(fx.sock) : hc_connect_tcp(fx.port);
        hc_send_all(fd, buf, n);
        shutdown(fd, SHUT_WR);
        got = hc_read_until_close(fd, out, sizeof out, (IDLE_S + 4) * 1000, &closed);
        close(fd);
        ck_assert_msg(closed, "case %d (kind %d): connection neither answered nor closed", i,
                      i % 7);
        if (got > 0) {
            ck_assert_msg(strncmp(out, "HTTP/1.", 7) == 0 && got >= 12 && out[9] == '4',
                          "case %d (kind %d): answered %.40s", i, i % 7, out);
        }
    }
    ck_assert_int_eq(atomic_load(&drain_calls), 0);
    ck_assert_int_eq(atomic_load(&echo_calls), 0);
    health_before = atomic_load(&health_calls);
    ck_assert_int_eq(request(0, "GET /healthz HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_int_eq(request(1, "GET /healthz HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_int_eq(atomic_load(&health_calls), health_before + 2);
}
END_TEST

START_TEST(upgrades_are_refused)
{
    char out[4096];
    int st;

    st = request(0,
                 "GET /healthz HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 out, sizeof out);
    ck_assert_int_eq(st, 400);
    st = request(0,
                 "GET /healthz HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                 "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
                 out, sizeof out);
    ck_assert_int_eq(st, 400);
}
END_TEST

START_TEST(routes_are_validated)
{
    util_err err;

    ck_assert_int_ne(http_listener_route(fx.ux, "GET", "/healthz", on_health, NULL, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "already registered"));
    ck_assert_int_ne(http_listener_route(fx.ux, "BREW", "/pot", on_health, NULL, &err), 0);
    ck_assert_int_ne(http_listener_route(fx.ux, "GET", "relative", on_health, NULL, &err), 0);
    ck_assert_int_ne(http_listener_route(fx.tcp, "CONNECT", "/x", on_health, NULL, &err), 0);
}
END_TEST

START_TEST(tcp_port_in_use_is_an_error)
{
    http_server *srv;
    http_listener *l;
    util_err err;

    ck_assert_int_eq(http_server_new(NULL, &srv, &err), 0);
    ck_assert_int_ne(http_server_listen_tcp(srv, "127.0.0.1", fx.port, &l, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot bind"));
    http_server_free(srv);
    http_server_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_server");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, healthz_answers_200_on_both_listeners);
    tcase_add_test(tc, keep_alive_serves_several_requests_on_one_connection);
    tcase_add_test(tc, large_answer_is_sent_whole);
    tcase_add_test(tc, unknown_path_is_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, drain_path_on_tcp_never_reaches_a_handler);
    tcase_add_test(tc, unix_socket_has_mode_0660);
    tcase_add_test(tc, unix_listen_replaces_stale_sockets_only);
    tcase_add_test(tc, async_answer_streams_each_line_as_it_is_written);
    tcase_add_test(tc, bad_drain_body_gets_the_handlers_400);
    tcase_add_test(tc, client_leaving_mid_stream_cancels_the_worker);
    tcase_add_test(tc, stop_cancels_running_workers);
    tcase_add_test(tc, body_over_the_cap_is_413);
    tcase_add_test(tc, too_many_async_requests_is_503);
    tcase_add_test(tc, idle_and_half_sent_requests_are_closed);
    tcase_add_test(tc, malformed_input_gets_4xx_or_a_close_and_the_server_lives);
    tcase_add_test(tc, upgrades_are_refused);
    tcase_add_test(tc, routes_are_validated);
    tcase_add_test(tc, tcp_port_in_use_is_an_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
