/* berth-drain, the preStop client: its response parser on chunked,
 * length-framed and close-framed answers split at every byte, on malformed
 * heads and on overlong lines; and the program itself (compiled here from
 * its own libc-only source, or the binary named by $BERTH_DRAIN_BIN, e.g.
 * the static musl build) against lib/http serving the drain route: success
 * and failure exit codes, progress printed as it comes, its deadline sent in
 * the request and kept, and an immediate return when the socket closes. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/drain_api.h"
#include "http/server.h"

/* The client's own sources, its main renamed so it can run in a child. */
#include "../../sidecar/drainclient/drain_response.c"
#define main berth_drain_main
#include "../../sidecar/drainclient/berth-drain.c"
#undef main

/* --- the parser --- */

typedef struct lines {
    char text[8192];
    int count;
} lines;

static void collect(void *ctx, const char *line, size_t len)
{
    lines *l = ctx;
    size_t have = strlen(l->text);

    ck_assert_uint_eq(strlen(line), len);
    if (have + len + 2 < sizeof l->text) {
        memcpy(l->text + have, line, len);
        l->text[have + len] = '|';
        l->text[have + len + 1] = '\0';
    }
    l->count++;
}

/* Feeds msg in two pieces split at cut, then EOF if eof; returns the
 * status after the last step. */
static dc_status parse_split(const char *msg, size_t len, size_t cut, int eof, dc_parser *p,
                             lines *l)
{
    dc_status st;

    memset(l, 0, sizeof *l);
    dc_parser_init(p, collect, l);
    st = dc_parser_feed(p, msg, cut);
    if (st == DC_MORE)
        st = dc_parser_feed(p, msg + cut, len - cut);
    if (st == DC_MORE && eof)
        st = dc_parser_eof(p);
    return st;
}

static const char chunked_ok[] = "HTTP/1.1 200 OK\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "Transfer-Encoding: chunked\r\n"
                                 "Connection: close\r\n"
                                 "\r\n"
                                 "b\r\nprogress 1\n\r\n"
                                 "16\r\nprogress 2\nprogress 3\n\r\n"
                                 "4;ext=1\r\nresu\r\n"
                                 "7\r\nlt: ok\n\r\n"
                                 "0\r\n"
                                 "X-Trailer: 1\r\n"
                                 "\r\n";

START_TEST(chunked_answer_parses_the_same_at_every_split)
{
    size_t len = strlen(chunked_ok), cut;
    dc_parser p;
    lines l;

    for (cut = 0; cut <= len; cut++) {
        ck_assert_int_eq(parse_split(chunked_ok, len, cut, 0, &p, &l), DC_DONE);
        ck_assert_str_eq(l.text, "progress 1|progress 2|progress 3|result: ok|");
        ck_assert_int_eq(dc_parser_verdict(&p), 0);
    }
    /* Byte by byte too. */
    memset(&l, 0, sizeof l);
    dc_parser_init(&p, collect, &l);
    for (cut = 0; cut < len; cut++)
        ck_assert_int_eq(dc_parser_feed(&p, chunked_ok + cut, 1),
                         cut + 1 == len ? DC_DONE : DC_MORE);
    ck_assert_int_eq(dc_parser_verdict(&p), 0);
}
END_TEST

START_TEST(length_and_close_framed_bodies)
{
    const char *by_length =
        "HTTP/1.1 200 OK\r\ncontent-length: 17\r\n\r\nstep\r\nresult: ok\nEXTRA";
    const char *by_close = "HTTP/1.0 200 OK\r\n\r\nstep\nresult: ok";
    dc_parser p;
    lines l;
    size_t cut;

    for (cut = 0; cut <= strlen(by_length); cut++) {
        ck_assert_int_eq(parse_split(by_length, strlen(by_length), cut, 0, &p, &l), DC_DONE);
        ck_assert_str_eq(l.text, "step|result: ok|");
        ck_assert_int_eq(dc_parser_verdict(&p), 0);
    }
    for (cut = 0; cut <= strlen(by_close); cut++) {
        ck_assert_int_eq(parse_split(by_close, strlen(by_close), cut, 1, &p, &l), DC_DONE);
        ck_assert_str_eq(l.text, "step|result: ok|");
        ck_assert_int_eq(dc_parser_verdict(&p), 0);
    }
    /* An interim 100 Continue is skipped. */
    {
        const char *cont = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                           "Content-Length: 11\r\n\r\nresult: ok\n";
        ck_assert_int_eq(parse_split(cont, strlen(cont), 30, 0, &p, &l), DC_DONE);
    }
    ck_assert_int_eq(dc_parser_verdict(&p), 0);
}
END_TEST

START_TEST(failures_are_failures)
{
    struct {
        const char *msg;
        int eof;
    } cases[] = {
        /* the sidecar says it failed */
        {"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nresult: failed: quorum at risk\n", 0},
        /* a later result line wins */
        {"HTTP/1.1 200 OK\r\n\r\nresult: ok\nresult: failed: late\n", 1},
        /* no result at all */
        {"HTTP/1.1 200 OK\r\n\r\nprogress\n", 1},
        /* ok, but not a 200 */
        {"HTTP/1.1 409 Conflict\r\nContent-Length: 11\r\n\r\nresult: ok\n", 0},
        /* result look-alikes */
        {"HTTP/1.1 200 OK\r\n\r\nresult: okay\n", 1},
        {"HTTP/1.1 200 OK\r\n\r\n> result: ok\n", 1},
        {"HTTP/1.1 200 OK\r\n\r\nRESULT: ok\n", 1},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        dc_parser p;
        lines l;
        dc_status st = parse_split(cases[i].msg, strlen(cases[i].msg), 5, cases[i].eof, &p, &l);
        ck_assert_msg(st == DC_DONE, "case %zu: status %d (%s)", i, st,
                      p.error != NULL ? p.error : "");
        ck_assert_msg(dc_parser_verdict(&p) == 1, "case %zu passed", i);
    }
}
END_TEST

START_TEST(malformed_answers_are_errors)
{
    const char *cases[] = {
        "",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nresult: ok\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
        "HTTP/2 200\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 20\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n",
    };
    static const char nul_in_head[] = "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n";
    size_t i;

    for (i = 0; i <= sizeof cases / sizeof *cases; i++) {
        const char *msg = i < sizeof cases / sizeof *cases ? cases[i] : nul_in_head;
        size_t len = msg == nul_in_head ? sizeof nul_in_head - 1 : strlen(msg);
        dc_parser p;
        lines l;
        dc_status st = parse_split(msg, len, len / 2, 1, &p, &l);
        ck_assert_msg(st == DC_ERROR, "case %zu: status %d", i, st);
        ck_assert_ptr_nonnull(p.error);
        ck_assert_int_eq(dc_parser_verdict(&p), 1);
    }
}
END_TEST

START_TEST(oversized_heads_and_lines_are_bounded)
{
    static char msg[3 * DC_LINE_MAX + 20000];
    dc_parser p;
    lines l;
    size_t n;

    /* A header line over DC_HLINE_MAX. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nX: ");
    memset(msg + n, 'a', DC_HLINE_MAX);
    n += DC_HLINE_MAX;
    ck_assert_int_eq(parse_split(msg, n, 0, 0, &p, &l), DC_ERROR);
    /* Many short header lines over DC_HEADER_MAX. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\n");
    while (n < DC_HEADER_MAX + 100)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "X-A: b\r\n");
    ck_assert_int_eq(parse_split(msg, n, 0, 0, &p, &l), DC_ERROR);
    /* A body line longer than DC_LINE_MAX is handed on in pieces, and a
     * piece that happens to start with "result: ok" is no result. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\n\r\n");
    memset(msg + n, 'x', DC_LINE_MAX);
    n += DC_LINE_MAX;
    n += (size_t)snprintf(msg + n, sizeof msg - n, "result: ok\n");
    ck_assert_int_eq(parse_split(msg, n, 7, 1, &p, &l), DC_DONE);
    ck_assert_int_eq(l.count, 2);
    ck_assert_int_eq(dc_parser_verdict(&p), 1);
}
END_TEST

/* --- the program against a server --- */

enum mode { SUCCEED, FAIL, HANG, VANISH };

static http_server *srv;
static pthread_t srv_thread;
static char dir[64], sock[128];
static enum mode mode;
static atomic_llong seen_timeout_ms;
static atomic_int drains, saw_cancel;

static void on_drain(http_stream *s, const http_request *req, void *user)
{
    http_drain_request dr;
    util_err err;
    int i;

    (void)user;
    atomic_fetch_add(&drains, 1);
    if (http_drain_request_parse(req->body, req->body_len, &dr, &err) != 0) {
        http_stream_head(s, 400, NULL);
        http_stream_printf(s, "%s\n", err.msg);
        return;
    }
    atomic_store(&seen_timeout_ms, dr.timeout_ms);
    for (i = 1; i <= 3; i++) {
        http_drain_progress(s, "moving leaders: step %d of 3", i);
        if (http_stream_sleep(s, 100))
            return;
    }
    switch (mode) {
    case SUCCEED:
        http_drain_result(s, 1, NULL);
        break;
    case FAIL:
        http_drain_result(s, 0, "partition t-0 has no other in-sync replica");
        break;
    case HANG:
        while (!http_stream_sleep(s, 50))
            ;
        atomic_store(&saw_cancel, 1);
        break;
    case VANISH:
        break; /* ends the answer without a result line */
    }
}

static void *serve(void *arg)
{
    util_err err;
    (void)arg;
    if (http_server_run(srv, &err) != 0)
        fprintf(stderr, "server: %s\n", err.msg);
    return NULL;
}

/* Serves drains on a new socket in a new directory, answering as m says.
 * mode is set before the server thread starts, an order ThreadSanitizer
 * sees; setting it later is ordered only through the client, another
 * process. */
static void start(enum mode m)
{
    http_listener *l;
    util_err err;

    mode = m;
    atomic_store(&seen_timeout_ms, 0);
    atomic_store(&drains, 0);
    atomic_store(&saw_cancel, 0);
    snprintf(dir, sizeof dir, "/tmp/berth-drain-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    ck_assert_int_eq(http_server_new(NULL, &srv, &err), 0);
    ck_assert_msg(http_server_listen_unix(srv, sock, &l, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(http_listener_route_async(l, "POST", HTTP_DRAIN_PATH, on_drain, NULL, &err),
                     0);
    ck_assert_int_eq(pthread_create(&srv_thread, NULL, serve, NULL), 0);
}

static void stop(void)
{
    if (srv != NULL) {
        http_server_stop(srv);
        pthread_join(srv_thread, NULL);
        http_server_free(srv);
        srv = NULL;
    }
    unlink(sock);
    rmdir(dir);
}

typedef struct run {
    int status;
    double seconds;
    char out[8192];
    char err[8192];
} run;

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f != NULL) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    unlink(path);
}

/* Runs the client with argv (NULL-terminated, argv[0] included) in a child
 * process, stdout and stderr to files. */
static void run_client(char *const argv[], run *r)
{
    char out_path[] = "/tmp/berth-drain-out-XXXXXX", err_path[] = "/tmp/berth-drain-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path), st, argc = 0;
    const char *bin = getenv("BERTH_DRAIN_BIN");
    struct timespec t0, t1;
    pid_t pid;

    while (argv[argc] != NULL)
        argc++;
    fflush(NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        if (bin != NULL && bin[0] != '\0') {
            execv(bin, argv);
            _exit(127);
        }
        st = berth_drain_main(argc, (char **)argv);
        fflush(NULL);
        _exit(st);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(out_fd);
    close(err_fd);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
}

START_TEST(success_prints_progress_and_exits_0)
{
    char *argv[] = {"berth-drain", "--socket", sock, "--timeout", "7", NULL};
    run r;

    start(SUCCEED);
    run_client(argv, &r);
    stop();
    ck_assert_msg(r.status == 0, "exit %d; stderr: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "moving leaders: step 1 of 3\nmoving leaders: step 2 of 3\n"
                            "moving leaders: step 3 of 3\nresult: ok\n");
    /* The request carried what was left of the client's 7 s. */
    ck_assert_int_gt(atomic_load(&seen_timeout_ms), 6000);
    ck_assert_int_le(atomic_load(&seen_timeout_ms), 7000);
}
END_TEST

START_TEST(reported_failure_exits_1)
{
    char *argv[] = {"berth-drain", "--socket=", NULL, NULL};
    char arg[200];
    run r;

    start(FAIL);
    snprintf(arg, sizeof arg, "--socket=%s", sock);
    argv[1] = arg;
    run_client(argv, &r);
    stop();
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "result: failed: partition t-0 has no other"));
    ck_assert_ptr_nonnull(strstr(r.err, "the drain failed"));
}
END_TEST

START_TEST(deadline_exits_1_on_time_and_the_server_sees_the_client_leave)
{
    char *argv[] = {"berth-drain", "--socket", sock, "--timeout", "1", NULL};
    run r;
    int i;

    start(HANG);
    run_client(argv, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(r.seconds >= 0.9 && r.seconds < 2.0, "took %.2fs", r.seconds);
    ck_assert_ptr_nonnull(strstr(r.err, "deadline"));
    ck_assert_ptr_nonnull(strstr(r.out, "step 3 of 3"));
    for (i = 0; i < 300 && !atomic_load(&saw_cancel); i++)
        usleep(10000);
    ck_assert_msg(atomic_load(&saw_cancel), "the drain was not told the client left");
    stop();
}
END_TEST

START_TEST(closed_socket_returns_at_once)
{
    char *argv[] = {"berth-drain", "--socket", sock, "--timeout", "30", NULL};
    run r;

    /* The answer ends without a result line. */
    start(VANISH);
    run_client(argv, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(r.seconds < 5, "took %.2fs", r.seconds);
    ck_assert_ptr_nonnull(strstr(r.err, "without a result"));
    stop();

    /* Nobody listening at all. */
    run_client(argv, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(r.seconds < 1, "took %.2fs", r.seconds);
    ck_assert_ptr_nonnull(strstr(r.err, "cannot connect"));
}
END_TEST

static void *stop_soon(void *arg)
{
    (void)arg;
    usleep(700000);
    stop();
    return NULL;
}

START_TEST(server_stopping_mid_drain_returns_at_once)
{
    char *argv[] = {"berth-drain", "--socket", sock, "--timeout", "30", NULL};
    pthread_t stopper;
    run r;

    start(HANG);
    /* The sidecar goes away mid-drain: the client must not wait out its
     * 30 s. */
    ck_assert_int_eq(pthread_create(&stopper, NULL, stop_soon, NULL), 0);
    run_client(argv, &r);
    pthread_join(stopper, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(r.seconds < 5, "took %.2fs", r.seconds);
    ck_assert_ptr_nonnull(strstr(r.out, "step 3 of 3"));
}
END_TEST

START_TEST(usage_errors_exit_2_and_help_exits_0)
{
    char *help[] = {"berth-drain", "--help", NULL};
    char *bad[][4] = {
        {"berth-drain", "--bogus", NULL, NULL},      {"berth-drain", "--timeout", NULL, NULL},
        {"berth-drain", "--timeout", "0", NULL},     {"berth-drain", "--timeout", "1.5", NULL},
        {"berth-drain", "--timeout", "86401", NULL}, {"berth-drain", "--socket", "", NULL},
    };
    size_t i;
    run r;

    run_client(help, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert(strncmp(r.out, "usage: berth-drain", 18) == 0);
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        run_client(bad[i], &r);
        ck_assert_msg(r.status == 2, "case %zu: exit %d", i, r.status);
        ck_assert_ptr_nonnull(strstr(r.err, "usage:"));
    }
}
END_TEST

START_TEST(client_constants_match_the_server_contract)
{
    ck_assert_str_eq(DRAIN_PATH, HTTP_DRAIN_PATH);
    ck_assert_str_eq(DC_RESULT_OK, HTTP_DRAIN_RESULT_OK);
    ck_assert_str_eq(DC_RESULT_PREFIX, HTTP_DRAIN_RESULT_PREFIX);
    ck_assert_int_eq((long long)MAX_TIMEOUT_S * 1000, HTTP_DRAIN_MAX_TIMEOUT_MS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("drain_client");
    TCase *parser = tcase_create("parser");
    TCase *prog = tcase_create("program");

    tcase_add_test(parser, chunked_answer_parses_the_same_at_every_split);
    tcase_add_test(parser, length_and_close_framed_bodies);
    tcase_add_test(parser, failures_are_failures);
    tcase_add_test(parser, malformed_answers_are_errors);
    tcase_add_test(parser, oversized_heads_and_lines_are_bounded);
    tcase_add_test(parser, client_constants_match_the_server_contract);
    suite_add_tcase(s, parser);

    tcase_set_timeout(prog, 60);
    tcase_add_test(prog, success_prints_progress_and_exits_0);
    tcase_add_test(prog, reported_failure_exits_1);
    tcase_add_test(prog, deadline_exits_1_on_time_and_the_server_sees_the_client_leave);
    tcase_add_test(prog, closed_socket_returns_at_once);
    tcase_add_test(prog, server_stopping_mid_drain_returns_at_once);
    tcase_add_test(prog, usage_errors_exit_2_and_help_exits_0);
    suite_add_tcase(s, prog);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
