/* berth-sidecar run and the program around it. In-process (sidecar/serve/run.c on
 * real sockets in a temp dir): /healthz, /readyz following the readiness
 * hook, /metrics, the drain hook driven over the Unix socket with progress,
 * result, the deadline and run's drain budget (lock wait, drain timeout),
 * one drain at a time (409) and bad bodies (400), the status
 * document with what the drain engine adds, a 0660 socket, and neither
 * drain nor status reachable over TCP; a cluster marked as being deleted
 * answered without the engine (and a mark that cannot be read taken as
 * none). Then the real build/berth-sidecar
 * binary: exit codes and --help of every subcommand (the broker TLS/SASL
 * flags' and the drain budget's usage errors and unreadable files among
 * them), `status` and `drain`
 * against a running `run`, 300 seeded random and malformed inputs on its
 * TCP port and its Unix socket (each answered 4xx or closed; the process
 * lives and still answers), and SIGTERM ending it cleanly; init waiting
 * while the API is unreachable and ending on SIGTERM; and, against a
 * scripted API server (tests/support/http_script.h), `run` of either
 * flavor not draining a cluster the operator marked as being deleted
 * (Redpanda: no maintenance mode; the fake admin API counts the calls),
 * and draining as before when the ConfigMap is unmarked or gone. */
#include <check.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "drain/ledger_store.h"
#include "http/server.h"
#include "sidecar/cmd.h"
#include "sidecar/files.h"
#include "sidecar/serve/run.h"
#include "support/fake_redpanda_admin.h"
#include "support/http_client.h"
#include "support/http_script.h"
#include "support/loopback.h"
#include "support/tmpdir.h"
#include "util/clock.h"
#include "util/file.h"

/* ---- a minimal client ---- */

/* One request on a fresh connection (TCP port, or the socket when port is
 * 0); the whole answer in out; returns the status or -1. */
static int request(int port, const char *sock, const char *req, char *out, size_t cap)
{
    return hc_request(port, sock, req, out, cap, 10000);
}

static char *drain_req(long long timeout_ms, char *buf, size_t size)
{
    char body[64];

    snprintf(body, sizeof body, "{\"timeout_ms\":%lld}", timeout_ms);
    snprintf(buf, size,
             "POST /v1/drain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    return buf;
}

/* ---- the in-process fixture ---- */

static atomic_int ready_value = 0, drain_calls = 0, drain_hold = 0, restarts_value = 0;
static const char *_Atomic ready_why = NULL; /* NULL: "the fake broker says no" */
static atomic_int teardown_value = 0, teardown_calls = 0, skip_calls = 0;
static long long drain_deadline_left = 0;
static sc_drain_budget drain_budget_seen;

static int fake_ready(void *user, char *why, size_t size)
{
    (void)user;
    const char *w = atomic_load(&ready_why);

    snprintf(why, size, "%s", w != NULL ? w : "the fake broker says no");
    return atomic_load(&ready_value);
}

static long fake_restarts(void *user)
{
    (void)user;
    return atomic_load(&restarts_value);
}

static int fake_drain(sc_drain_call *call, void *user, util_err *err)
{
    (void)user;
    atomic_fetch_add(&drain_calls, 1);
    drain_deadline_left = call->deadline_ms - util_mono_ms();
    drain_budget_seen = call->budget;
    sc_drain_progress(call, "moving leadership of 3 partitions off broker %d", call->broker_id);
    while (atomic_load(&drain_hold) && !call->cancelled(call))
        sc_sleep_ms(10);
    sc_drain_progress(call, "result: ok, or so a sneaky line would claim");
    if (atomic_load(&drain_calls) % 2 == 0)
        return util_err_set(err, "2 partitions have no other in-sync replica");
    return 0;
}

/* The deletion mark: 1 marked, 0 not, -1 the read failed. */
static int fake_teardown(void *user, char *what, size_t size)
{
    int v = atomic_load(&teardown_value);

    (void)user;
    atomic_fetch_add(&teardown_calls, 1);
    snprintf(what, size, "%s", v < 0 ? "configmaps \"demo-drain\" is forbidden" : "demo");
    return v;
}

static void fake_skip(void *user)
{
    (void)user;
    atomic_fetch_add(&skip_calls, 1);
}

static int fake_status(cJSON *status, void *user, util_err *err)
{
    (void)user;
    (void)err;
    cJSON_AddNumberToObject(status, "leaderOf", 7);
    return 0;
}

typedef struct fixture {
    char *dir;
    char sock[256];
    sc_run *r;
    pthread_t thread;
    int port;
} fixture;

static fixture fx;

static void *serve(void *arg)
{
    util_err err = {{0}};

    (void)arg;
    if (sc_run_serve(fx.r, &err) != 0)
        fprintf(stderr, "serve: %s\n", err.msg);
    return NULL;
}

static void setup(void)
{
    sc_run_config cfg = {0};
    util_err err = {{0}};

    atomic_store(&ready_value, 0);
    atomic_store(&ready_why, NULL);
    atomic_store(&drain_calls, 0);
    atomic_store(&drain_hold, 0);
    atomic_store(&restarts_value, 0);
    atomic_store(&teardown_value, 0);
    atomic_store(&teardown_calls, 0);
    atomic_store(&skip_calls, 0);
    fx.dir = tmpdir_new();
    snprintf(fx.sock, sizeof fx.sock, "%s/drain.sock", fx.dir);
    cfg.http_addr = "127.0.0.1";
    cfg.socket_path = fx.sock;
    cfg.pod_name = "demo-2";
    cfg.broker_id = 2;
    cfg.probe_interval_ms = 50;
    cfg.ready = fake_ready;
    cfg.ready_restarts = fake_restarts;
    cfg.drain = fake_drain;
    cfg.drain_budget.lock_wait_set = true;
    cfg.drain_budget.lock_wait_ms = 30000;
    cfg.drain_budget.drain_timeout_set = true;
    cfg.drain_budget.drain_timeout_ms = 90000;
    cfg.drain_status = fake_status;
    cfg.teardown = fake_teardown;
    cfg.drain_skip = fake_skip;
    ck_assert_msg(sc_run_new(&cfg, &fx.r, &err) == 0, "%s", err.msg);
    fx.port = sc_run_port(fx.r);
    ck_assert_int_gt(fx.port, 0);
    ck_assert_int_eq(pthread_create(&fx.thread, NULL, serve, NULL), 0);
}

static void teardown(void)
{
    sc_run_stop(fx.r);
    pthread_join(fx.thread, NULL);
    sc_run_free(fx.r);
    tmpdir_remove(fx.dir);
}

/* Polls /readyz until it answers want with text in its body (NULL: any). */
static int wait_readyz_with(int want, const char *text)
{
    char out[4096];

    for (int i = 0; i < 500; i++) {
        if (request(fx.port, NULL, "GET /readyz HTTP/1.0\r\n\r\n", out, sizeof out) == want &&
            (text == NULL || strstr(out, text) != NULL))
            return 1;
        sc_sleep_ms(10);
    }
    return 0;
}

static int wait_readyz(int want)
{
    return wait_readyz_with(want, NULL);
}

START_TEST(health_readiness_and_metrics_over_tcp)
{
    char out[8192];

    ck_assert_int_eq(request(fx.port, NULL, "GET /healthz HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    /* The first answers may come before the first check ("not checked
     * yet"); wait for the check's answer. A reason no class claims shows
     * on TCP as a pointer to the status only. */
    ck_assert(wait_readyz_with(503, "not ready: see berth-sidecar status on the pod\n"));
    atomic_store(&ready_value, 1);
    ck_assert(wait_readyz(200));
    ck_assert_int_eq(request(fx.port, NULL, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "text/plain; version=0.0.4"));
    ck_assert_ptr_nonnull(strstr(out, "\nberth_sidecar_ready 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "berth_sidecar_info{"));
    atomic_store(&ready_value, 0);
    ck_assert(wait_readyz(503));
}
END_TEST

/* Not-ready reasons as the hooks write them, the class /readyz shows for
 * each, and a name the reason holds that /readyz must not show. */
static const struct {
    const char *why, *readyz, *secret;
} reasons[] = {
    {"not in the ISR of 2 of 9 partitions it replicates (first: payroll-secrets-3)",
     "not ready: broker catching up\n", "payroll-secrets"},
    {"broker restarted: nothing listens on localhost:9092 (connection refused); readiness of "
     "broker 2 at localhost:9092: SASL authentication as 'alice-admin' with SCRAM-SHA-512 failed",
     "not ready: broker not reachable\n", "alice-admin"},
    {"broker restarted: it was fenced by the controller; not in the ISR of 1 of 1 partitions it "
     "replicates (first: orders-0)",
     "not ready: broker catching up\n", "orders-0"},
    {"broker does not answer on localhost:9093: SASL authentication as 'bob' failed",
     "not ready: broker not reachable\n", "'bob'"},
    {"nothing listens on localhost:9092 (connection refused); checking it again",
     "not ready: broker not reachable\n", "localhost"},
    {"broker restarted: it closed the sidecar's connection to localhost:9092 (its process ended)",
     "not ready: broker not reachable\n", "localhost"},
    {"broker not registered with the controller", "not ready: broker not registered\n", NULL},
    {"broker is fenced", "not ready: broker not registered\n", NULL},
    {"the cluster does not see broker 2 as alive", "not ready: broker not registered\n", NULL},
    {"KRaft voter has not caught up with the quorum", "not ready: broker catching up\n", NULL},
    {"leadership restore still running", "not ready: restoring leadership\n", NULL},
    {"leadership is handed back once peers dial this pod: demo-2.demo-brokers.shop.svc "
     "resolves to 10.1.2.3, not this pod's 10.1.2.4",
     "not ready: restoring leadership\n", "demo-brokers.shop"},
    {"restore: maintenance mode stays on until the cluster is healthy; it is 1 node down",
     "not ready: restoring leadership\n", "node down"},
    {"broker 2 has been drained; it stays unready until it restarts", "not ready: broker drained\n",
     NULL},
    /* A class phrase inside a name decides nothing: phrases lead. */
    {"SASL user 'not in the ISR of' was refused",
     "not ready: see berth-sidecar status on the pod\n", "SASL user"},
    {"broker x2 has been drained", "not ready: see berth-sidecar status on the pod\n", NULL},
};

/* /readyz over TCP, which any pod can ask, says only the reason's class;
 * the reason itself, with the topic, user or address it names, is on the
 * Unix socket's /v1/status (and in the log). */
START_TEST(readyz_over_tcp_tells_only_the_class_of_reason)
{
    char out[8192];
    int seen = 0;

    /* The status names this very reason once a check has taken it (the
     * class alone may be the one before's, which another reason shares). */
    atomic_store(&ready_why, reasons[_i].why);
    for (int i = 0; i < 500 && !seen; i++) {
        seen = request(0, fx.sock, "GET /v1/status HTTP/1.0\r\n\r\n", out, sizeof out) == 200 &&
               strstr(out, reasons[_i].why) != NULL;
        if (!seen)
            sc_sleep_ms(10);
    }
    ck_assert_msg(seen, "the status never named \"%s\": %s", reasons[_i].why, out);
    ck_assert_int_eq(request(fx.port, NULL, "GET /readyz HTTP/1.0\r\n\r\n", out, sizeof out), 503);
    ck_assert_msg(strstr(out, reasons[_i].readyz) != NULL, "%s: wanted %s, got %s", reasons[_i].why,
                  reasons[_i].readyz, out);
    ck_assert_msg(reasons[_i].secret == NULL || strstr(out, reasons[_i].secret) == NULL, "%s", out);
}
END_TEST

/* /metrics waits until it holds text; 1 when it did. */
static int wait_metrics_with(const char *text)
{
    char out[8192];

    for (int i = 0; i < 500; i++) {
        if (request(fx.port, NULL, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof out) == 200 &&
            strstr(out, text) != NULL)
            return 1;
        sc_sleep_ms(10);
    }
    return 0;
}

/* The broker restarts the readiness hook counts reach /metrics as a
 * counter, also when several happened between two checks. */
START_TEST(broker_restarts_are_counted_in_metrics)
{
    ck_assert(wait_metrics_with("\nberth_sidecar_broker_restarts_total 0\n"));
    atomic_store(&restarts_value, 1);
    ck_assert(wait_metrics_with("\nberth_sidecar_broker_restarts_total 1\n"));
    atomic_store(&restarts_value, 3);
    ck_assert(wait_metrics_with("\nberth_sidecar_broker_restarts_total 3\n"));
}
END_TEST

START_TEST(drain_and_status_are_not_on_tcp)
{
    char out[8192], req[512];
    struct stat st;
    int code;

    code = request(fx.port, NULL, drain_req(5000, req, sizeof req), out, sizeof out);
    ck_assert_msg(code == 404 || code == 405, "POST /v1/drain over TCP answered %d", code);
    code = request(fx.port, NULL, "GET /v1/status HTTP/1.0\r\n\r\n", out, sizeof out);
    ck_assert_int_eq(code, 404);
    ck_assert_int_eq(atomic_load(&drain_calls), 0);
    ck_assert_int_eq(stat(fx.sock, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0660);
}
END_TEST

START_TEST(drain_over_the_socket)
{
    char out[8192], req[512];
    const char *body;

    ck_assert_int_eq(request(0, fx.sock, drain_req(20000, req, sizeof req), out, sizeof out), 200);
    body = strstr(out, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_ptr_nonnull(strstr(body, "moving leadership of 3 partitions off broker 2\n"));
    /* A progress line can never pass for the result. */
    ck_assert_ptr_null(strstr(body, "\nresult: ok, or so"));
    ck_assert_ptr_nonnull(strstr(body, "\nresult: ok\n"));
    /* The engine got the client's time less a margin, and run's budget. */
    ck_assert_int_le(drain_deadline_left, 20000 - 2000);
    ck_assert_int_gt(drain_deadline_left, 10000);
    ck_assert(drain_budget_seen.lock_wait_set && drain_budget_seen.lock_wait_ms == 30000);
    ck_assert(drain_budget_seen.drain_timeout_set && drain_budget_seen.drain_timeout_ms == 90000);

    /* The second call of fake_drain fails: the reason reaches the client. */
    ck_assert_int_eq(request(0, fx.sock, drain_req(5000, req, sizeof req), out, sizeof out), 200);
    ck_assert_ptr_nonnull(
        strstr(out, "\nresult: failed: 2 partitions have no other in-sync replica\n"));
    ck_assert_int_eq(request(0, fx.sock, "GET /v1/status HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "\"state\":\"failed\""));
    ck_assert_ptr_nonnull(strstr(out, "\"count\":2"));
    ck_assert_ptr_nonnull(strstr(out, "\"leaderOf\":7"));
    ck_assert_ptr_nonnull(strstr(out, "\"brokerId\":2"));
    ck_assert_int_eq(request(fx.port, NULL, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "berth_sidecar_drains_total{result=\"ok\"} 1"));
    ck_assert_ptr_nonnull(strstr(out, "berth_sidecar_drains_total{result=\"failed\"} 1"));
}
END_TEST

/* 200 connections to the probe port that send half a request and stall
 * (a slow or hostile client) starve neither /readyz on that port nor a
 * drain over the socket: each is answered while they hang. The time
 * /readyz took is printed; the bound checked is the idle timeout, which a
 * starved server would wait out. */
START_TEST(slow_connections_on_the_probe_port_starve_nothing)
{
    enum { SLOW = 200 };
    static const char half[] = "GET /readyz HTTP/1.1\r\nHost: x\r\n"; /* no blank line */
    int fds[SLOW], code;
    char out[8192], req[512];
    long long t0, readyz_ms, drain_ms;

    for (int i = 0; i < SLOW; i++) {
        fds[i] = lo_connect(fx.port);
        ck_assert_int_gt(send(fds[i], half, strlen(half), MSG_NOSIGNAL), 0);
    }
    sc_sleep_ms(200); /* the server has read what they sent */
    t0 = util_mono_ms();
    code = request(fx.port, NULL, "GET /readyz HTTP/1.0\r\n\r\n", out, sizeof out);
    readyz_ms = util_mono_ms() - t0;
    t0 = util_mono_ms();
    ck_assert_int_eq(request(0, fx.sock, drain_req(20000, req, sizeof req), out, sizeof out), 200);
    drain_ms = util_mono_ms() - t0;
    fprintf(stderr,
            "  with %d stalled connections: /readyz answered %d in %lld ms, a drain "
            "over the socket in %lld ms\n",
            SLOW, code, readyz_ms, drain_ms);
    ck_assert_msg(code == 200 || code == 503, "/readyz answered %d", code);
    ck_assert_msg(readyz_ms < HTTP_PROBE_IDLE_TIMEOUT_S * 1000LL,
                  "/readyz waited %lld ms, as long as the stalled connections' timeout", readyz_ms);
    ck_assert_ptr_nonnull(strstr(out, "\nresult: ok\n"));
    for (int i = 0; i < SLOW; i++)
        close(fds[i]);
}
END_TEST

START_TEST(one_drain_at_a_time_and_bad_bodies)
{
    char out[8192], req[512];
    int fd, closed;

    static const char *const bad[] = {"{}", "{\"timeout_ms\":0}", "[1]", "nope",
                                      "{\"timeout_ms\":1e30}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(req, sizeof req,
                 "POST /v1/drain HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 strlen(bad[i]), bad[i]);
        ck_assert_int_eq(request(0, fx.sock, req, out, sizeof out), 400);
        ck_assert_ptr_nonnull(strstr(out, "drain request: "));
    }
    ck_assert_int_eq(atomic_load(&drain_calls), 0);

    atomic_store(&drain_hold, 1);
    fd = hc_connect_unix(fx.sock);
    drain_req(30000, req, sizeof req);
    hc_send_all(fd, req, strlen(req));
    for (int i = 0; i < 500 && atomic_load(&drain_calls) == 0; i++)
        sc_sleep_ms(10);
    if (atomic_load(&drain_calls) != 1) {
        hc_read_until_close(fd, out, sizeof out, 100, &closed);
        ck_abort_msg("the held drain did not start; answer: %.200s", out);
    }
    ck_assert_int_eq(request(0, fx.sock, drain_req(5000, req, sizeof req), out, sizeof out), 409);
    ck_assert_ptr_nonnull(strstr(out, "already running"));
    ck_assert_int_eq(request(0, fx.sock, "GET /v1/status HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "\"state\":\"running\""));
    atomic_store(&drain_hold, 0);
    hc_read_until_close(fd, out, sizeof out, 10000, &closed);
    close(fd);
    ck_assert_ptr_nonnull(strstr(out, "\nresult: ok\n"));
    ck_assert_int_eq(atomic_load(&drain_calls), 1);
}
END_TEST

/* A cluster the operator marked as being deleted: run answers the drain
 * at once without the engine, says why, tells the engine the broker counts
 * as drained, and counts it as skipped. A check that cannot tell, or no
 * mark, leaves the drain to the engine. */
START_TEST(a_cluster_being_deleted_is_not_drained)
{
    char out[8192], req[512];
    const char *body;

    atomic_store(&teardown_value, 1);
    ck_assert_int_eq(request(0, fx.sock, drain_req(20000, req, sizeof req), out, sizeof out), 200);
    body = strstr(out, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_msg(strstr(body, "\ncluster demo is being deleted: no drain\n") != NULL, "%s", body);
    ck_assert_ptr_nonnull(strstr(body, "\nresult: ok\n"));
    ck_assert_ptr_null(strstr(body, "moving leadership"));
    ck_assert_int_eq(atomic_load(&drain_calls), 0);
    ck_assert_int_eq(atomic_load(&teardown_calls), 1);
    ck_assert_int_eq(atomic_load(&skip_calls), 1);
    ck_assert_int_eq(request(0, fx.sock, "GET /v1/status HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "\"state\":\"succeeded\""));
    ck_assert_ptr_nonnull(strstr(out, "\"lastResult\":\"skipped: cluster demo is being deleted\""));
    ck_assert_int_eq(request(fx.port, NULL, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "berth_sidecar_drains_total{result=\"skipped\"} 1"));
    ck_assert_ptr_null(strstr(out, "berth_sidecar_drains_total{result=\"ok\"}"));

    /* The mark cannot be read: no mark, the engine drains. */
    atomic_store(&teardown_value, -1);
    ck_assert_int_eq(request(0, fx.sock, drain_req(20000, req, sizeof req), out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "moving leadership of 3 partitions off broker 2\n"));
    ck_assert_ptr_null(strstr(out, "being deleted"));
    ck_assert_int_eq(atomic_load(&drain_calls), 1);

    /* No mark: the engine drains. */
    atomic_store(&teardown_value, 0);
    ck_assert_int_eq(request(0, fx.sock, drain_req(20000, req, sizeof req), out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "moving leadership of 3 partitions off broker 2\n"));
    ck_assert_int_eq(atomic_load(&drain_calls), 2);
    ck_assert_int_eq(atomic_load(&teardown_calls), 3);
    ck_assert_int_eq(atomic_load(&skip_calls), 1);
}
END_TEST

/* ---- the program ---- */

static char sidecar_bin[PATH_MAX];

/* build/berth-sidecar beside this test's build directory, or
 * $BERTH_SIDECAR_BIN. */
static const char *bin(void)
{
    char exe[PATH_MAX];
    ssize_t n;
    const char *env = getenv("BERTH_SIDECAR_BIN");

    if (env != NULL && env[0] != '\0')
        return env;
    if (sidecar_bin[0] != '\0')
        return sidecar_bin;
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    /* <build>/tests/unit/test_sidecar_run -> <build>/berth-sidecar */
    snprintf(sidecar_bin, sizeof sidecar_bin, "%s/berth-sidecar", dirname(dirname(dirname(exe))));
    ck_assert_msg(access(sidecar_bin, X_OK) == 0, "%s: %s (make all builds it)", sidecar_bin,
                  strerror(errno));
    return sidecar_bin;
}

/* Runs the program with args (NULL-terminated); its stdout+stderr in out.
 * Returns the exit status. */
static int run_prog(char *out, size_t cap, const char *const *args)
{
    int p[2], status, closed;
    const char *argv[32];
    size_t n = 0;
    pid_t pid;

    argv[n++] = bin();
    for (; *args != NULL && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    ck_assert_int_eq(pipe(p), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    hc_read_until_close(p[0], out, cap, 30000, &closed);
    close(p[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(exit_codes_and_help)
{
    static const char *const cmds[] = {"init", "run", "drain", "status"};
    char out[16384];

    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){"--help", NULL}), 0);
    for (size_t i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(strstr(out, cmds[i]));
    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){"--version", NULL}), 0);
    ck_assert_ptr_nonnull(strstr(out, "berth-sidecar 0."));
    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){NULL}), 2);
    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){"frobnicate", NULL}), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown command 'frobnicate'"));
    ck_assert_int_eq(
        run_prog(out, sizeof out, (const char *[]){"--log-format", "xml", "run", NULL}), 2);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){cmds[i], "--help", NULL}), 0);
        ck_assert_msg(strstr(out, "usage:") != NULL, "%s --help: %s", cmds[i], out);
        ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){cmds[i], "--no-such", NULL}),
                         2);
    }
    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){"init", "--node-name", "n1", NULL}),
                     2);
    ck_assert_ptr_nonnull(strstr(out, "pod name is needed"));
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (const char *[]){"init", "--pod-name", "demo-0", "--node-name", "n1",
                                               "--poll-interval", "soon", NULL}),
                     2);
    ck_assert_ptr_nonnull(strstr(out, "--poll-interval: \"soon\""));
    ck_assert_int_eq(
        run_prog(out, sizeof out, (const char *[]){"run", "--http-port", "70000", NULL}), 2);
    /* The broker connection flags: a bad value or a lone flag is a usage
     * error naming it, a file that cannot be read a failure naming it. */
    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){"run", "--help", NULL}), 0);
    ck_assert_ptr_nonnull(strstr(out, "--sasl-password-file FILE"));
    ck_assert_ptr_nonnull(strstr(out, "--broker-ca FILE"));
    ck_assert_ptr_nonnull(strstr(out, "--lock-wait SECONDS"));
    ck_assert_ptr_nonnull(strstr(out, "--drain-timeout SECONDS"));
    ck_assert_ptr_nonnull(strstr(out, "--client-dns-cache S"));
    ck_assert_int_eq(
        run_prog(out, sizeof out,
                 (const char *[]){"run", "--broker-id", "0", "--client-dns-cache", "601", NULL}),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--client-dns-cache"));
    /* The drain's budget: whole seconds, a lock wait may be 0, a drain
     * timeout may not. */
    ck_assert_int_eq(
        run_prog(out, sizeof out,
                 (const char *[]){"run", "--broker-id", "0", "--lock-wait", "-1", NULL}),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--lock-wait: \"-1\" is not a whole number"));
    ck_assert_int_eq(
        run_prog(out, sizeof out,
                 (const char *[]){"run", "--broker-id", "0", "--drain-timeout", "0", NULL}),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--drain-timeout: \"0\" is not a whole number"));
    ck_assert_int_eq(
        run_prog(out, sizeof out,
                 (const char *[]){"run", "--broker-id", "0", "--sasl-mechanism", "GSSAPI", NULL}),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--sasl-mechanism: SASL mechanism 'GSSAPI' not supported"));
    ck_assert_int_eq(
        run_prog(out, sizeof out,
                 (const char *[]){"run", "--broker-id", "0", "--sasl-user", "u", NULL}),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--sasl-user needs --sasl-mechanism"));
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (const char *[]){"run", "--broker-id", "0", "--flavor", "redpanda",
                                               "--broker-ca", "/ca.pem", NULL}),
                     2);
    ck_assert_ptr_nonnull(strstr(out, "--broker-ca is for --flavor kafka"));
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (const char *[]){"run", "--broker-id", "0", "--broker-ca",
                                               "/nonexistent/ca.pem", NULL}),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "--broker-ca: TLS: ca_file '/nonexistent/ca.pem'"));
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (const char *[]){"run", "--broker-id", "0", "--sasl-mechanism",
                                               "SCRAM-SHA-512", "--sasl-user", "u",
                                               "--sasl-password-file", "/nonexistent/pw", NULL}),
                     1);
    ck_assert_ptr_nonnull(
        strstr(out, "--sasl-password-file: /nonexistent/pw: No such file or directory"));
    /* No sidecar on that socket: a failure, said plainly. */
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (const char *[]){"status", "--socket", "/nonexistent/s.sock", NULL}),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "cannot connect to /nonexistent/s.sock"));
}
END_TEST

/* xorshift64*: a fixed seed makes every run send the same bytes. */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

/* One malformed or hostile input: random bytes, broken request lines,
 * wrong methods on real paths, bad lengths, oversized heads, drain bodies
 * that are not JSON. None may be answered 2xx. */
static size_t garbage(int i, char *buf, size_t cap)
{
    static const char *const lines[] = {"GET /v1/drain HTTP/1.1",
                                        "PUT /readyz HTTP/1.1",
                                        "DELETE /metrics HTTP/1.1",
                                        "GET /../etc/passwd HTTP/1.1",
                                        "GET /v1/drain?x=1 HTTP/1.1",
                                        "BREW /pot HTCPCP/1.0",
                                        "GET  HTTP/1.1",
                                        "POST /v1/status HTTP/1.1",
                                        "GET /%00 HTTP/1.1"};
    size_t n = 0;

    switch (i % 5) {
    case 0:
        n = 1 + rnd() % 4096;
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(rnd() & 0xff);
        return n;
    case 1:
        return (size_t)snprintf(buf, cap, "%s\r\nHost: x\r\n\r\n", lines[rnd() % 9]);
    case 2:
        return (size_t)snprintf(buf, cap,
                                "POST /v1/drain HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n"
                                "{\"timeout_ms\":",
                                rnd() % 2 ? "-5" : "99999999999999999999");
    case 3:
        n = (size_t)snprintf(buf, cap, "GET /healthz HTTP/1.1\r\nX: ");
        while (n < 12000)
            buf[n++] = (char)('a' + rnd() % 26);
        n += (size_t)snprintf(buf + n, cap - n, "\r\n\r\n");
        return n;
    default: {
        const char *b = rnd() % 2 ? "\xff\xfe{" : "{\"timeout_ms\":\"soon\"}";
        return (size_t)snprintf(buf, cap,
                                "POST /v1/drain HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
                                "Connection: close\r\n\r\n%s",
                                strlen(b), b);
    }
    }
}

/* Starts `berth-sidecar run` for pod (default demo-1) on a free port of
 * our choosing, with the options in extra (NULL-terminated, may be NULL)
 * and $POD_NAMESPACE ns if not NULL, and waits for its socket. Its log:
 * dir/run.log. */
static pid_t start_run_as(const char *dir, const char *sock, int *port, const char *pod,
                          const char *ns, const char *const *extra)
{
    char portarg[16], logpath[512];
    const char *argv[40] = {bin(),
                            "run",
                            "--pod-name",
                            pod != NULL ? pod : "demo-1",
                            "--http-addr",
                            "127.0.0.1",
                            "--http-port",
                            portarg,
                            "--socket",
                            sock,
                            "--broker",
                            "127.0.0.1:1",
                            "--probe-interval",
                            "200"};
    size_t n = 0;
    pid_t pid;

    while (argv[n] != NULL)
        n++;
    for (; extra != NULL && *extra != NULL && n < 39; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    snprintf(logpath, sizeof logpath, "%s/run.log", dir);
    for (int attempt = 0; attempt < 20; attempt++) {
        *port = 20000 + (int)(rnd() % 20000);
        snprintf(portarg, sizeof portarg, "%d", *port);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            FILE *f = freopen(logpath, "a", stderr);
            (void)f;
            if (ns != NULL)
                setenv("POD_NAMESPACE", ns, 1);
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
        for (int i = 0; i < 500; i++) {
            int status;
            if (access(sock, F_OK) == 0)
                return pid;
            if (waitpid(pid, &status, WNOHANG) == pid)
                break; /* port taken, say: try another */
            sc_sleep_ms(10);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    ck_abort_msg("berth-sidecar run did not start; see %s", logpath);
    return -1;
}

static pid_t start_run(const char *dir, const char *sock, int *port)
{
    return start_run_as(dir, sock, port, NULL, NULL, NULL);
}

START_TEST(program_survives_garbage_and_stops_on_sigterm)
{
    static char buf[65536], out[16384];
    char *dir = tmpdir_new(), sock[512], req[512];
    int port, status, closed;
    pid_t pid;

    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    pid = start_run(dir, sock, &port);

    for (int i = 0; i < 300; i++) {
        int use_unix = i % 2, fd;
        size_t n = garbage(i, buf, sizeof buf), got;

        fd = use_unix ? hc_connect_unix(sock) : hc_connect_tcp(port);
        hc_send_all(fd, buf, n);
        shutdown(fd, SHUT_WR);
        got = hc_read_until_close(fd, out, sizeof out, 15000, &closed);
        close(fd);
        ck_assert_msg(closed, "case %d: neither answered nor closed", i);
        /* A refusal: 4xx, or 503 "busy" when the drain route's workers of
         * earlier cases are still winding down (a slow, loaded machine). */
        if (got > 0)
            ck_assert_msg(strncmp(out, "HTTP/1.", 7) == 0 && got >= 12 &&
                              (out[9] == '4' || (strncmp(out + 9, "503", 3) == 0 &&
                                                 strstr(out, "\r\n\r\nbusy:") != NULL)),
                          "case %d (kind %d, %s): answered %.60s", i, i % 5,
                          use_unix ? "unix" : "tcp", out);
        ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
    }
    /* Still serving, and no drain ever started. */
    ck_assert_int_eq(request(port, NULL, "GET /healthz HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_int_eq(request(0, sock, "GET /healthz HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_int_eq(request(port, NULL, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_null(strstr(out, "berth_sidecar_drains_total{result=\"ok\"}"));
    ck_assert_ptr_null(strstr(out, "berth_sidecar_drains_total{result=\"failed\"}"));
    ck_assert_int_eq(request(port, NULL, drain_req(1000, req, sizeof req), out, sizeof out), 404);

    /* status and drain subcommands against it. */
    ck_assert_int_eq(run_prog(out, sizeof out, (const char *[]){"status", "--socket", sock, NULL}),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "broker:  1 (pod demo-1"));
    ck_assert_ptr_nonnull(strstr(out, "ready:   no: "));
    ck_assert_int_eq(
        run_prog(out, sizeof out, (const char *[]){"status", "--json", "--socket", sock, NULL}), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"brokerId\":\t1"));
    /* Until the engine lands, a drain fails visibly. */
    ck_assert_int_eq(run_prog(out, sizeof out,
                              (const char *[]){"drain", "--socket", sock, "--timeout", "5", NULL}),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "result: failed: drain is not implemented"));

    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_ne(access(sock, F_OK), 0); /* the socket file is gone */
    tmpdir_remove(dir);
}
END_TEST

/* ---- a cluster being deleted, on the real program ---- */

/* The API server's answers to the sidecar's reads of the drain ConfigMap,
 * one a drain: marked as being deleted by the operator, not marked, gone. */
static void fake_api_start(http_script *api)
{
    memset(api, 0, sizeof *api);
    api->answers[0] = HTTP_SCRIPT_OK "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x-drain\","
                                     "\"annotations\":{\"" DRAIN_TEARDOWN_ANNOTATION
                                     "\":\"2026-01-01T00:00:00Z\"}}}";
    api->answers[1] = HTTP_SCRIPT_OK "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x-drain\","
                                     "\"annotations\":{\"berth.io/other\":\"1\"}},\"data\":{}}";
    api->answers[2] = HTTP_SCRIPT_STATUS(404, "Not Found") "{\"kind\":\"Status\",\"status\":"
                                                           "\"Failure\",\"reason\":\"NotFound\","
                                                           "\"code\":404}";
    api->steps = 3;
    http_script_start(api);
}

/* A kubeconfig in dir for api (its namespace is the pod's unless
 * $POD_NAMESPACE says otherwise); a new path for free(). */
static char *fake_api_kubeconfig(const http_script *api, const char *dir)
{
    char url[64];

    http_script_url(api, url, sizeof url);
    tmpdir_writef(dir, "kubeconfig",
                  "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                  "clusters: [{name: k, cluster: {server: \"%s\"}}]\n"
                  "users: [{name: u, user: {token: t}}]\n"
                  "contexts: [{name: c, context: {cluster: k, user: u, namespace: elsewhere}}]\n",
                  url);
    return tmpdir_path(dir, "kubeconfig");
}

/* The sidecar's preStop client drains through sock: its exit status, its
 * output in out; *took_ms how long it took. */
static int prestop(const char *sock, char *out, size_t cap, long long *took_ms)
{
    long long began = util_mono_ms();
    int rc =
        run_prog(out, cap, (const char *[]){"drain", "--socket", sock, "--timeout", "30", NULL});

    *took_ms = util_mono_ms() - began;
    return rc;
}

/* The first drain, of cluster marked as being deleted: a success at once
 * that says why, and the engine counts the broker as drained. */
static void first_drain_is_skipped(const char *sock, const char *cluster)
{
    static char out[65536];
    char want[128];
    long long took;

    ck_assert_msg(prestop(sock, out, sizeof out, &took) == 0, "%s", out);
    snprintf(want, sizeof want, "cluster %s is being deleted: no drain", cluster);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    ck_assert_msg(took < 3000, "took %lld ms", took);
    ck_assert_int_eq(
        run_prog(out, sizeof out, (const char *[]){"status", "--json", "--socket", sock, NULL}), 0);
    ck_assert_msg(strstr(out, "\"drainStarted\":\ttrue") != NULL, "%s", out);
}

/* After the three drains: /metrics on port counts one skipped and the
 * engine's two (drained, e.g. "failed\"} 2"); pid and api stop; each drain
 * read <cluster>-drain in ns once; and the run log in dir says why the
 * first one did not drain and that the third could not tell. */
static void stop_and_check(pid_t pid, int port, http_script *api, const char *ns,
                           const char *cluster, const char *dir, const char *drained)
{
    char *logp = tmpdir_path(dir, "run.log"), *log = NULL, out[8192], want[256];
    util_err err = {{0}};
    int status;

    ck_assert_int_eq(request(port, NULL, "GET /metrics HTTP/1.0\r\n\r\n", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "berth_sidecar_drains_total{result=\"skipped\"} 1"));
    snprintf(want, sizeof want, "berth_sidecar_drains_total{result=\"%s", drained);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    http_script_stop(api);
    ck_assert_int_eq(api->served, 3);
    snprintf(want, sizeof want, "GET /api/v1/namespaces/%s/configmaps/%s-drain HTTP/1.1", ns,
             cluster);
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(api->requests[i], want);
    ck_assert_int_eq(util_file_read(logp, 1 << 20, UTIL_FILE_FOLLOW, &log, NULL, &err), 0);
    snprintf(want, sizeof want, "drain of broker 1: cluster %s is being deleted: no drain",
             cluster);
    ck_assert_msg(strstr(log, want) != NULL, "%s", log);
    ck_assert_msg(strstr(log, "cannot tell whether the cluster is being deleted") != NULL, "%s",
                  log);
    free(log);
    free(logp);
}

/* `run --flavor redpanda` with an API server: a drain of a cluster the
 * operator marked as being deleted returns at once and never puts the
 * broker in maintenance mode; unmarked, or with the ConfigMap gone (404),
 * it drains through maintenance mode as before. */
START_TEST(redpanda_run_skips_the_drain_of_a_cluster_being_deleted)
{
    static char out[65536];
    char *dir = tmpdir_new(), sock[512], *kcfg;
    fake_rp *f = fake_rp_start(3, 20);
    http_script api;
    long long took;
    int port;
    pid_t pid;

    ck_assert_ptr_nonnull(f);
    fake_rp_set_drain(f, 1, false);
    fake_api_start(&api);
    kcfg = fake_api_kubeconfig(&api, dir);
    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    pid = start_run_as(dir, sock, &port, "rpd-1", "rp",
                       (const char *[]){"--flavor", "redpanda", "--admin-url", fake_rp_url(f),
                                        "--kubeconfig", kcfg, NULL});

    first_drain_is_skipped(sock, "rpd");
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 0);
    ck_assert_int_eq(fake_rp_maintenance(f), -1);
    for (int i = 1; i <= 2; i++) {
        fake_rp_set_maintenance(f, -1);
        ck_assert_msg(prestop(sock, out, sizeof out, &took) == 0, "%s", out);
        ck_assert_msg(strstr(out, "draining: finished, 20 partitions") != NULL, "%s", out);
        ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), i);
    }
    stop_and_check(pid, port, &api, "rp", "rpd", dir, "ok\"} 2");
    fake_rp_stop(f);
    free(kcfg);
    tmpdir_remove(dir);
}
END_TEST

/* The same for `run` (Kafka) with no broker to reach: marked, the drain
 * succeeds at once without it; unmarked, or with the ConfigMap gone, the
 * engine tries the broker and fails as before. */
START_TEST(kafka_run_skips_the_drain_of_a_cluster_being_deleted)
{
    static char out[65536];
    char *dir = tmpdir_new(), sock[512], *kcfg;
    http_script api;
    long long took;
    int port;
    pid_t pid;

    fake_api_start(&api);
    kcfg = fake_api_kubeconfig(&api, dir);
    snprintf(sock, sizeof sock, "%s/drain.sock", dir);
    pid = start_run_as(dir, sock, &port, "demo-1", "kafka",
                       (const char *[]){"--kubeconfig", kcfg, NULL});

    first_drain_is_skipped(sock, "demo");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(prestop(sock, out, sizeof out, &took), 1);
        ck_assert_msg(strstr(out, "result: failed: drain: broker 1 at 127.0.0.1:1 unreachable") !=
                          NULL,
                      "%s", out);
    }
    stop_and_check(pid, port, &api, "kafka", "demo", dir, "failed\"} 2");
    free(kcfg);
    tmpdir_remove(dir);
}
END_TEST

/* init keeps waiting, saying why, while the API cannot be reached, and a
 * SIGTERM ends the wait at once with a failure that says so. */
START_TEST(init_waits_for_the_api_and_stops_on_sigterm)
{
    char *dir = tmpdir_new(), *kcfg = tmpdir_path(dir, "kubeconfig"), *logp, *log = NULL;
    util_err err = {{0}};
    int status, found = 0;
    pid_t pid;

    tmpdir_writef(dir, "kubeconfig",
                  "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                  "clusters: [{name: k, cluster: {server: \"https://127.0.0.1:1\"}}]\n"
                  "users: [{name: u, user: {token: t}}]\n"
                  "contexts: [{name: c, context: {cluster: k, user: u, namespace: sid}}]\n");
    logp = tmpdir_path(dir, "init.log");
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *f = freopen(logp, "w", stderr);
        (void)f;
        execl(bin(), bin(), "init", "--kubeconfig", kcfg, "--pod-name", "demo-0", "--node-name",
              "node-a", "--poll-interval", "50", "--config-dir", dir, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600 && !found; i++) {
        sc_sleep_ms(50);
        free(log);
        log = NULL;
        if (util_file_read(logp, 1 << 20, UTIL_FILE_FOLLOW, &log, NULL, &err) == 0)
            found = strstr(log, "waiting: cannot read the ConfigMap") != NULL;
    }
    ck_assert_msg(found, "no waiting line: %s", log != NULL ? log : "");
    ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    free(log);
    ck_assert_int_eq(util_file_read(logp, 1 << 20, UTIL_FILE_FOLLOW, &log, NULL, &err), 0);
    ck_assert_ptr_nonnull(strstr(log, "stopped while waiting"));
    free(log);
    free(logp);
    free(kcfg);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_run");
    TCase *tc = tcase_create("in-process");
    TCase *tp = tcase_create("program");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, health_readiness_and_metrics_over_tcp);
    tcase_add_loop_test(tc, readyz_over_tcp_tells_only_the_class_of_reason, 0,
                        (int)(sizeof reasons / sizeof reasons[0]));
    tcase_add_test(tc, broker_restarts_are_counted_in_metrics);
    tcase_add_test(tc, drain_and_status_are_not_on_tcp);
    tcase_add_test(tc, drain_over_the_socket);
    tcase_add_test(tc, one_drain_at_a_time_and_bad_bodies);
    tcase_add_test(tc, slow_connections_on_the_probe_port_starve_nothing);
    tcase_add_test(tc, a_cluster_being_deleted_is_not_drained);
    tcase_set_timeout(tp, 600);
    tcase_add_test(tp, exit_codes_and_help);
    tcase_add_test(tp, program_survives_garbage_and_stops_on_sigterm);
    tcase_add_test(tp, init_waits_for_the_api_and_stops_on_sigterm);
    tcase_add_test(tp, redpanda_run_skips_the_drain_of_a_cluster_being_deleted);
    tcase_add_test(tp, kafka_run_skips_the_drain_of_a_cluster_being_deleted);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tp);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
