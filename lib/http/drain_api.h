/* The drain API on the sidecar's Unix socket, as a wire contract: what the
 * preStop client (sidecar/drainclient/, which shares no code with berth and
 * repeats these constants) sends and what it expects back.
 *
 *   POST /v1/drain HTTP/1.1
 *   Content-Type: application/json
 *   Content-Length: N
 *
 *   {"timeout_ms": 115000}
 *
 * timeout_ms is the client's deadline, as the time it has left when it sends
 * the request; the drain must answer before it passes. The answer is 200
 * with a streamed text/plain body: one progress line after another, each
 * ended by "\n", and last a result line, "result: ok" or
 * "result: failed: <why>". Anything else (no result line, another status,
 * a closed connection) is a failure to the client. The helpers below keep
 * the server to that shape. */
#ifndef BERTH_HTTP_DRAIN_API_H
#define BERTH_HTTP_DRAIN_API_H

#include <stddef.h>

#include "http/server.h"
#include "util/err.h"

#define HTTP_DRAIN_PATH           "/v1/drain"
#define HTTP_DRAIN_STATUS_PATH    "/v1/status"
#define HTTP_DRAIN_RESULT_PREFIX  "result: "
#define HTTP_DRAIN_RESULT_OK      "result: ok"
#define HTTP_DRAIN_RESULT_FAILED  "result: failed: "
#define HTTP_DRAIN_MAX_TIMEOUT_MS (24LL * 3600 * 1000)

typedef struct http_drain_request {
    long long timeout_ms; /* 1 .. HTTP_DRAIN_MAX_TIMEOUT_MS */
} http_drain_request;

/* Parses a drain request body: a JSON object with an integer timeout_ms in
 * range; other members are ignored. */
int http_drain_request_parse(const char *body, size_t len, http_drain_request *out,
                             util_err *err) UTIL_MUST_CHECK;

/* Writes one progress line (printf format). Newlines inside become spaces
 * and a line that would read as a result line is prefixed, so a message can
 * never end the drain early in the client's eyes. Returns 0, or -1 if the
 * client is gone (see http_stream_write). */
int http_drain_progress(http_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the result line: "result: ok" when ok, else "result: failed: "
 * and the reason (printf format; may be NULL when ok). Call once, last. */
int http_drain_result(http_stream *s, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
