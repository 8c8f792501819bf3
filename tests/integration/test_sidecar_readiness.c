/* berth-sidecar run's readiness against the real Kafka of the test ground
 * ($BERTH_KAFKA_BOOTSTRAP): /readyz turns 200 when the broker answers
 * ApiVersions, and says 503 with the reason for a port where nothing
 * listens and for a "broker" that accepts connections but never answers
 * (the probe's timeout bounds it, and /healthz keeps answering meanwhile:
 * the probe never blocks the HTTP loop). status prints the same verdict. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "sidecar/cmd.h"
#include "support/tmpdir.h"

static char sidecar[PATH_MAX];

static void find_bin(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    snprintf(sidecar, sizeof sidecar, "%s/berth-sidecar", dirname(dirname(dirname(exe))));
    ck_assert_msg(access(sidecar, X_OK) == 0, "%s: %s", sidecar, strerror(errno));
}

/* GET path on 127.0.0.1:port; the status, body in out. */
static int get(int port, const char *path, char *out, size_t cap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char req[256];
    size_t got = 0;
    long long end = sc_now_ms() + 10000;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    out[0] = '\0';
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    send(fd, req, strlen(req), MSG_NOSIGNAL);
    while (got < cap - 1 && sc_now_ms() < end) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&pfd, 1, 1000) <= 0)
            continue;
        n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fd);
    return strncmp(out, "HTTP/1.", 7) == 0 ? atoi(out + 9) : -1;
}

typedef struct proc {
    pid_t pid;
    int port;
    char *dir, sock[512];
} proc;

static proc start_run(const char *broker)
{
    static int next = 0;
    proc p;

    p.dir = tmpdir_new();
    snprintf(p.sock, sizeof p.sock, "%s/drain.sock", p.dir);
    for (int attempt = 0; attempt < 20; attempt++) {
        char port[16], log[600];

        p.port = 21000 + (int)((getpid() * 7 + next++ * 131) % 15000);
        snprintf(port, sizeof port, "%d", p.port);
        snprintf(log, sizeof log, "%s/run.log", p.dir);
        p.pid = fork();
        ck_assert_int_ge(p.pid, 0);
        if (p.pid == 0) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            dup2(fd, 2);
            execl(sidecar, sidecar, "run", "--pod-name", "demo-0", "--http-addr", "127.0.0.1",
                  "--http-port", port, "--socket", p.sock, "--broker", broker, "--probe-interval",
                  "200", "--probe-timeout", "1500", (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 500; i++) {
            if (access(p.sock, F_OK) == 0)
                return p;
            if (waitpid(p.pid, NULL, WNOHANG) == p.pid)
                break;
            usleep(10000);
        }
        kill(p.pid, SIGKILL);
        waitpid(p.pid, NULL, 0);
    }
    ck_abort_msg("berth-sidecar run did not start");
    return p;
}

static void stop_run(proc *p)
{
    int status;

    kill(p->pid, SIGTERM);
    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tmpdir_remove(p->dir);
}

/* Waits until /readyz answers want; returns the last body. */
/* Polls /readyz until it answers want after a first check has run (before
 * that, run answers 503 "not checked yet" whatever the broker does). */
static int wait_readyz(proc *p, int want, char *out, size_t cap)
{
    for (int i = 0; i < 600; i++) {
        if (get(p->port, "/readyz", out, cap) == want && strstr(out, "not checked yet") == NULL)
            return 1;
        usleep(50000);
    }
    return 0;
}

static const char *first_broker(char *buf, size_t size)
{
    const char *b = getenv("BERTH_KAFKA_BOOTSTRAP");

    if (b == NULL || b[0] == '\0')
        ck_abort_msg("BERTH_KAFKA_BOOTSTRAP is not set: run through tests/integration/run.sh");
    snprintf(buf, size, "%.*s", (int)strcspn(b, ","), b);
    return buf;
}

START_TEST(ready_when_the_broker_answers)
{
    char addr[256], out[4096];
    proc p;

    find_bin();
    p = start_run(first_broker(addr, sizeof addr));
    ck_assert_msg(wait_readyz(&p, 200, out, sizeof out), "/readyz never 200: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "ready"));
    ck_assert_int_eq(get(p.port, "/metrics", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "\nberth_sidecar_ready 1\n"));
    stop_run(&p);
}
END_TEST

START_TEST(not_ready_when_nothing_listens)
{
    char out[4096];
    proc p;

    find_bin();
    p = start_run("127.0.0.1:1");
    ck_assert(wait_readyz(&p, 503, out, sizeof out));
    ck_assert_msg(strstr(out, "not ready: broker does not answer on 127.0.0.1:1") != NULL, "%s",
                  out);
    stop_run(&p);
}
END_TEST

START_TEST(not_ready_when_the_broker_never_answers)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char addr[64], out[4096];
    proc p;

    find_bin();
    /* Listens (the kernel completes connections) but never reads or
     * answers. */
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 64), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sa.sin_port));
    p = start_run(addr);
    ck_assert(wait_readyz(&p, 503, out, sizeof out));
    /* While probes hang on the silent broker, the HTTP loop answers. */
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(get(p.port, "/healthz", out, sizeof out), 200);
    for (int i = 0; i < 100 && strstr(out, "ApiVersions") == NULL; i++) {
        get(p.port, "/readyz", out, sizeof out);
        usleep(100000);
    }
    ck_assert_msg(strstr(out, "not ready: broker does not answer on ") != NULL &&
                      strstr(out, "ApiVersions") != NULL,
                  "%s", out);
    stop_run(&p);
    close(lfd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_readiness");
    TCase *tc = tcase_create("readiness");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, ready_when_the_broker_answers);
    tcase_add_test(tc, not_ready_when_nothing_listens);
    tcase_add_test(tc, not_ready_when_the_broker_never_answers);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
