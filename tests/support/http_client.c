/* A minimal HTTP/1.x client for server tests; see http_client.h. */
#include "support/http_client.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

int hc_connect_tcp(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect 127.0.0.1:%d: %s",
                  port, strerror(errno));
    return fd;
}

int hc_connect_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    memcpy(sa.sun_path, path, strlen(path));
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect %s: %s", path,
                  strerror(errno));
    return fd;
}

void hc_send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t hc_read_until_close(int fd, char *out, size_t cap, int timeout_ms, int *closed)
{
    long long end = now_ms() + timeout_ms;
    size_t got = 0;

    *closed = 0;
    while (got < cap - 1) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = end - now_ms();
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        n = read(fd, out + got, cap - 1 - got);
        if (n <= 0) {
            *closed = 1;
            break;
        }
        got += (size_t)n;
    }
    out[got] = '\0';
    return got;
}

int hc_request(int port, const char *sock, const char *req, char *out, size_t cap, int timeout_ms)
{
    int fd = port != 0 ? hc_connect_tcp(port) : hc_connect_unix(sock), closed;

    hc_send_all(fd, req, strlen(req));
    hc_read_until_close(fd, out, cap, timeout_ms, &closed);
    close(fd);
    if (strncmp(out, "HTTP/1.", 7) != 0 || strlen(out) < 12)
        return -1;
    return atoi(out + 9);
}
