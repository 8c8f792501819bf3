/* berth-drain: the broker container's preStop hook. It asks the berth
 * sidecar, over its Unix socket, to move partition leadership off this broker
 * (POST /v1/drain, lib/http/drain_api.h), prints the sidecar's progress lines
 * as they arrive, and exits 0 only when the sidecar reports success.
 *
 * Kubernetes gives the hook a bounded time before it sends SIGTERM anyway, so
 * the client works to a fixed deadline counted from its own start, tells the
 * sidecar how much of it is left, and returns at once when the socket closes.
 *
 * Broker images differ (Alpine/musl, glibc, distroless), so this program is
 * linked statically against libc alone: see build.sh. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "drain_response.h"

#define DEFAULT_SOCKET    "/var/run/berth/drain.sock"
#define DEFAULT_TIMEOUT_S 120
#define MAX_TIMEOUT_S     86400
#define DRAIN_PATH        "/v1/drain"

static const char usage_text[] =
    "usage: berth-drain [--socket PATH] [--timeout SECONDS]\n"
    "\n"
    "Asks the berth sidecar to move partition leadership off this broker before\n"
    "it stops (the broker container's preStop hook) and prints its progress.\n"
    "\n"
    "  --socket PATH      the sidecar's drain socket (default " DEFAULT_SOCKET ")\n"
    "  --timeout SECONDS  give up this long after starting (default 120, at most 86400)\n"
    "  --help             print this and exit\n"
    "\n"
    "Exit status: 0 drained, 1 drain failed or deadline reached, 2 usage error.\n";

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    fwrite(line, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* Whole seconds, 1 .. MAX_TIMEOUT_S. */
static int parse_seconds(const char *s, long *out)
{
    long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > MAX_TIMEOUT_S)
            return -1;
    }
    if (v < 1)
        return -1;
    *out = v;
    return 0;
}

/* what names the problem; arg is quoted into it. */
static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "berth-drain: %s: '%s'\n%s", what, arg, usage_text);
    return 2;
}

/* Milliseconds left before deadline, clamped for poll(). */
static int left_ms(long long deadline)
{
    long long left = deadline - now_ms();

    if (left <= 0)
        return 0;
    return left > 1000000000 ? 1000000000 : (int)left;
}

/* Connects within the deadline. A full backlog (EAGAIN) is retried; a
 * missing socket or nobody listening fails at once: the sidecar is not
 * there to drain anything. */
static int connect_socket(const char *path, long long deadline)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        fprintf(stderr, "berth-drain: socket: %s\n", strerror(errno));
        return -1;
    }
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if ((errno == EAGAIN || errno == EINTR) && left_ms(deadline) > 0) {
            poll(NULL, 0, left_ms(deadline) < 50 ? left_ms(deadline) : 50);
            continue;
        }
        fprintf(stderr, "berth-drain: cannot connect to %s: %s\n", path,
                errno == EAGAIN ? "deadline reached" : strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
    while (len > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        if (left_ms(deadline) == 0 || poll(&pfd, 1, left_ms(deadline)) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "berth-drain: sending the request: deadline reached\n");
            return -1;
        }
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            fprintf(stderr, "berth-drain: sending the request: %s\n", strerror(errno));
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the answer, printing its lines, until it is complete, the socket
 * closes or the deadline passes. Returns the exit status. */
static int read_answer(int fd, long long deadline, long timeout_s)
{
    dc_parser p;
    char buf[4096];
    dc_status st = DC_MORE;

    dc_parser_init(&p, print_line, NULL);
    while (st == DC_MORE) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;
        int left = left_ms(deadline);

        if (left == 0) {
            fprintf(stderr, "berth-drain: deadline of %lds reached before the drain finished\n",
                    timeout_s);
            return 1;
        }
        if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
            fprintf(stderr, "berth-drain: poll: %s\n", strerror(errno));
            return 1;
        }
        n = read(fd, buf, sizeof buf);
        if (n > 0)
            st = dc_parser_feed(&p, buf, (size_t)n);
        else if (n == 0)
            st = dc_parser_eof(&p);
        else if (errno != EAGAIN && errno != EINTR)
            st = dc_parser_eof(&p);
    }
    if (st == DC_ERROR) {
        fprintf(stderr, "berth-drain: bad answer from the sidecar: %s\n", p.error);
        return 1;
    }
    if (p.status != 200) {
        fprintf(stderr, "berth-drain: the sidecar refused the drain (HTTP %d)\n", p.status);
        return 1;
    }
    if (dc_parser_verdict(&p) != 0) {
        fprintf(stderr, "berth-drain: %s\n",
                p.result == 0 ? "the sidecar ended without a result" : "the drain failed");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long long start = now_ms(), deadline;
    const char *path = DEFAULT_SOCKET;
    long timeout_s = DEFAULT_TIMEOUT_S;
    char body[64], req[512];
    int i, fd, rc, n;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strncmp(a, "--socket=", 9) == 0 || strncmp(a, "--timeout=", 10) == 0) {
            v = strchr(a, '=') + 1;
        } else if (strcmp(a, "--socket") == 0 || strcmp(a, "--timeout") == 0) {
            if (i + 1 == argc)
                return usage_error("missing value for", a);
            v = argv[++i];
        } else {
            return usage_error("unknown argument", a);
        }
        if (strncmp(a, "--socket", 8) == 0) {
            if (*v == '\0' || strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return usage_error("socket path empty or too long", v);
            path = v;
        } else if (parse_seconds(v, &timeout_s) != 0) {
            return usage_error("timeout must be whole seconds in 1..86400", v);
        }
    }

    signal(SIGPIPE, SIG_IGN);
    deadline = start + (long long)timeout_s * 1000;
    fd = connect_socket(path, deadline);
    if (fd < 0)
        return 1;
    n = snprintf(body, sizeof body, "{\"timeout_ms\":%d}", left_ms(deadline));
    n = snprintf(req, sizeof req,
                 "POST " DRAIN_PATH " HTTP/1.1\r\n"
                 "Host: localhost\r\n"
                 "User-Agent: berth-drain\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %d\r\n"
                 "Connection: close\r\n"
                 "\r\n%s",
                 n, body);
    if (send_all(fd, req, (size_t)n, deadline) != 0) {
        close(fd);
        return 1;
    }
    rc = read_answer(fd, deadline, timeout_s);
    close(fd);
    return rc;
}
