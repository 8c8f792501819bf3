/* A minimal HTTP/1.x client for tests of berth's servers (lib/http, the
 * sidecar): raw connections to 127.0.0.1 or a Unix socket, so a test can
 * also send garbage, half a request or nothing at all, and read whatever
 * comes back until the server closes. Helpers abort the test when a
 * connection cannot be made. */
#ifndef BERTH_TESTS_HTTP_CLIENT_H
#define BERTH_TESTS_HTTP_CLIENT_H

#include <stddef.h>

/* A connected socket to 127.0.0.1:port, or to the Unix socket at path. */
int hc_connect_tcp(int port);
int hc_connect_unix(const char *path);

/* Sends all of buf, stopping quietly when the server hangs up mid-send (it
 * may, on garbage). */
void hc_send_all(int fd, const void *buf, size_t len);

/* Reads from fd (a socket or a pipe) until it closes, cap - 1 bytes, or
 * timeout_ms pass; NUL-terminates out and returns the bytes read. *closed
 * says whether the peer closed (a reset counts as a close). */
size_t hc_read_until_close(int fd, char *out, size_t cap, int timeout_ms, int *closed);

/* One request on a fresh connection (TCP port, or the Unix socket sock when
 * port is 0), the answer until close (or timeout_ms) in out. Returns the
 * status code, or -1 when the answer is no HTTP/1.x status line. */
int hc_request(int port, const char *sock, const char *req, char *out, size_t cap, int timeout_ms);

#endif
