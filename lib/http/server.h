/* The sidecar's small HTTP/1.1 server, on libwebsockets.
 *
 * One server owns one lws context and any number of listeners: a TCP
 * address:port (read-only: only GET routes can be registered on it) and Unix
 * socket paths (the control API; created with mode 0660). Routes are exact
 * (method, path) pairs registered per listener, so a route that is not
 * registered on a listener does not exist there: a POST to the drain path on
 * the TCP listener is a 404 and never reaches a handler.
 *
 * Threading: http_server_run() runs the lws service loop on the calling thread
 * until http_server_stop() is called from any other thread. Synchronous
 * handlers run inside that loop and must be quick (they read state, they do
 * not do I/O). Long work uses an asynchronous route: the request is handed to
 * a new worker thread, which streams its answer through an http_stream; the
 * service loop is woken with lws_cancel_service() to write what the worker
 * queued. Everything else in this API is called from one thread before run()
 * or after it has returned.
 *
 * Limits: request headers are capped by lws (header_max), bodies by
 * max_body (413), connections that are slow to send a request are closed
 * after idle_timeout_s, and at most max_async workers run at once (503).
 * Every connection it holds (at most max_conns) has a header buffer of its
 * own, so clients that stall mid-request cannot make others wait; listeners
 * that must not share even that belong in servers of their own. */
#ifndef BERTH_HTTP_SERVER_H
#define BERTH_HTTP_SERVER_H

#include <stddef.h>

#include "util/err.h"

typedef struct http_server http_server;
typedef struct http_listener http_listener;
typedef struct http_stream http_stream;

#define HTTP_DEFAULT_MAX_BODY     8192
#define HTTP_DEFAULT_HEADER_MAX   4096
#define HTTP_DEFAULT_IDLE_TIMEOUT 10
#define HTTP_DEFAULT_MAX_ASYNC    4
#define HTTP_DEFAULT_STREAM_QUEUE 65536
#define HTTP_DEFAULT_MAX_CONNS    128

/* For a port that serves probes and scrapes (the sidecar's, the
 * operator's): they send their request at once, so a client that holds a
 * connection without finishing one is closed after 5 s, and 512 of them
 * still leave room for the kubelet. */
#define HTTP_PROBE_MAX_CONNS      512
#define HTTP_PROBE_IDLE_TIMEOUT_S 5

/* Zero fields take the HTTP_DEFAULT_* values. */
typedef struct http_server_config {
    size_t max_body;         /* request body cap in bytes (413 above it) */
    unsigned header_max;     /* bytes of request header lws keeps per request */
    unsigned idle_timeout_s; /* time to send a whole request; keep-alive idle time */
    unsigned max_async;      /* asynchronous requests in progress at once (503 above) */
    size_t stream_queue;     /* bytes a worker may queue ahead of a slow client */
    unsigned max_conns;      /* open connections at once, all listeners together */
} http_server_config;

/* A request as handlers see it. All pointers are borrowed from the server and
 * valid for the duration of the handler call (for an asynchronous handler:
 * until it returns). */
typedef struct http_request {
    const char *method;   /* "GET", "POST", ... */
    const char *path;     /* the decoded path, without the query string */
    const char *body;     /* NUL-terminated; "" when there is none */
    size_t body_len;      /* bytes in body, not counting the NUL */
    const char *listener; /* "tcp 127.0.0.1:8080" or "unix /run/x.sock", for logs */
} http_request;

/* A synchronous handler's answer. The server presets status 200, no content
 * type (meaning text/plain) and no body. */
typedef struct http_response {
    int status;
    const char *content_type; /* borrowed; must outlive the handler call (a literal) */
    char *body;               /* malloc'd; the server takes and frees it; may be NULL */
    size_t body_len;
} http_response;

/* Runs inside the service loop. Returns 0, or negative to make the answer a
 * 500 (a body it set is freed). */
typedef int (*http_handler_fn)(const http_request *req, http_response *resp, void *user);

/* Runs on its own worker thread. The response ends when it returns; the
 * stream is invalid after that. */
typedef void (*http_async_fn)(http_stream *stream, const http_request *req, void *user);

/* Sets resp to a text/plain body formatted like printf, with that status.
 * Returns 0, or -1 when out of memory (resp then has no body). */
int http_response_printf(http_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Creates a server with no listeners; cfg may be NULL for all defaults. On
 * success *out is the caller's, to release with http_server_free(). */
int http_server_new(const http_server_config *cfg, http_server **out,
                    util_err *err) UTIL_MUST_CHECK;

/* Stops the workers (they see http_stream_cancelled() and are joined, so a
 * worker that never looks blocks this), closes every connection and the
 * listeners, and removes the Unix socket files. NULL is a no-op. Must not
 * run while http_server_run() does. */
void http_server_free(http_server *srv);

/* Listens on addr:port now. addr is an IPv4 or IPv6 literal, or NULL (or
 * "::") for every address, IPv6 and IPv4; port 0 picks a free port (see
 * http_listener_port). *out is borrowed from srv and lives as long as it.
 * Only GET routes can be added to it. */
int http_server_listen_tcp(http_server *srv, const char *addr, int port, http_listener **out,
                           util_err *err) UTIL_MUST_CHECK;

/* Listens on the Unix socket path now, mode 0660. A stale socket file there
 * (nobody accepts on it) is replaced; a live one, or any file that is not a
 * socket, makes this fail. The socket appears at path with its final mode
 * (it is bound under a temporary name and renamed). *out is borrowed. */
int http_server_listen_unix(http_server *srv, const char *path, http_listener **out,
                            util_err *err) UTIL_MUST_CHECK;

/* The TCP port a listener is bound to, or -1 for a Unix socket listener. */
int http_listener_port(const http_listener *l);

/* Routes (method, path) on this listener to fn. path is matched exactly;
 * method is one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS. A TCP
 * listener accepts GET routes only. Call before http_server_run(). */
int http_listener_route(http_listener *l, const char *method, const char *path, http_handler_fn fn,
                        void *user, util_err *err) UTIL_MUST_CHECK;

/* Like http_listener_route, but fn runs on a worker thread and answers
 * through an http_stream. */
int http_listener_route_async(http_listener *l, const char *method, const char *path,
                              http_async_fn fn, void *user, util_err *err) UTIL_MUST_CHECK;

/* Serves until http_server_stop(). Returns 0 after a stop, negative if the
 * event loop failed. On return the asynchronous workers have been told to
 * stop (http_stream_cancelled) but may still be running. */
int http_server_run(http_server *srv, util_err *err) UTIL_MUST_CHECK;

/* Asks http_server_run() to return soon. Safe from any thread, and from a
 * signal handler: it only sets a flag and wakes the loop (an eventfd write
 * inside lws_cancel_service). */
void http_server_stop(http_server *srv);

/* --- Asynchronous responses, called from the worker thread only. --- */

/* Sets the status and content type (a literal; NULL means text/plain) of the
 * response. Allowed only before the first write; the default is 200. Returns
 * 0, or -1 if data has already been written. */
int http_stream_head(http_stream *s, int status, const char *content_type);

/* Queues len bytes for the client and wakes the service loop, which sends
 * them as they come (chunked for HTTP/1.1 clients, else delimited by the
 * close of the connection). Returns 0, or -1 if the client is gone, the
 * server is stopping, or the client is stream_queue bytes behind (the
 * connection is then dropped). */
int http_stream_write(http_stream *s, const char *data, size_t len);

/* http_stream_write of a printf-formatted string. */
int http_stream_printf(http_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Nonzero once the client has disconnected or the server is stopping; the
 * worker should then wind down. */
int http_stream_cancelled(const http_stream *s);

/* Sleeps up to ms milliseconds, waking early on cancellation. Returns
 * nonzero if the stream is cancelled. For workers that poll. */
int http_stream_sleep(http_stream *s, unsigned ms);

#endif
