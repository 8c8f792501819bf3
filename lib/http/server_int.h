/* What server.c (the context and listeners), request.c (the connections)
 * and stream.c (the worker side of asynchronous answers) share inside
 * lib/http. Not for use outside lib/http. Calls go one way: server.c calls
 * into request.c and stream.c, request.c into stream.c, stream.c into
 * neither.
 *
 * Locking: srv->mu guards every http_stream field marked "mu" and the stream
 * list; fields marked "loop" are touched by the service thread only. */
#ifndef BERTH_HTTP_SERVER_INT_H
#define BERTH_HTTP_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <libwebsockets.h>

#include "http/server.h"

/* Room reserved for the status line and headers of an answer. */
#define HTTP_HEAD_ROOM 1024
/* Longest path worth routing; anything longer is a 404 without a copy. */
#define HTTP_MAX_PATH 512

typedef struct http_route {
    struct http_route *next;
    char *method;
    char *path;
    http_handler_fn fn; /* exactly one of fn, afn is set */
    http_async_fn afn;
    void *user;
} http_route;

struct http_listener {
    struct http_listener *next;
    http_server *srv;
    struct lws_vhost *vh;
    int is_unix;
    int dead;       /* its vhost failed half-way and is destroyed */
    char *iface;    /* what lws binds: address, or the temporary socket path */
    char *path;     /* Unix: the final socket path */
    dev_t sock_dev; /* Unix: identity of the socket file we created, so */
    ino_t sock_ino; /* free removes it only if it is still ours */
    char name[160]; /* for logs and http_request.listener */
    char vh_name[32];
    http_route *routes;
};

struct http_stream {
    http_server *srv;
    struct http_stream *next; /* mu: srv->streams */
    http_async_fn fn;
    void *user;
    http_request req; /* strings point into reqbuf */
    char *reqbuf;
    pthread_t thread;

    /* mu */
    char *buf; /* bytes queued by the worker, not yet given to lws */
    size_t len, cap;
    int status;
    const char *content_type;
    int started;  /* the head is final: first write, or the worker returned */
    int finished; /* the worker function returned */
    int joined;   /* its thread has been joined */
    int gone;     /* the connection is closed */
    atomic_int cancelled;

    /* loop */
    struct lws *wsi; /* NULL once the connection is gone */
    int chunked;     /* frame the body as HTTP/1.1 chunks */
    int head_sent;
    int tail_timed; /* the idle timeout for the tail is armed */
};

struct http_server {
    http_server_config cfg;
    struct lws_context *ctx;
    http_listener *listeners;
    int nlisteners;
    atomic_int stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* broadcast when a stream is cancelled */
    http_stream *streams; /* mu */
    unsigned running;     /* mu: streams whose thread is not yet joined */
};

/* request.c: the one lws protocol every listener's vhost serves, which
 * handles its connections. */
extern const struct lws_protocols http_protocols[];

/* request.c: whether method is one a route may name (the methods lws
 * parses, CONNECT excepted). */
int http_method_routable(const char *method);

/* Starts fn on a worker thread for req (copied). Returns 0 with *out owned by
 * the stream list, -1 if max_async are running, -2 on other failures. */
int http_stream_spawn(http_server *srv, struct lws *wsi, int chunked, const http_route *route,
                      const http_request *req, http_stream **out);

/* Service thread, on LWS_CALLBACK_EVENT_WAIT_CANCELLED: joins workers that
 * have returned, frees streams that are done on both sides and asks for a
 * writable callback on connections with something to send. */
void http_streams_poke(http_server *srv);

/* Service thread: the connection of s has closed. s may be freed. */
void http_stream_detach(http_stream *s);

/* Service thread, on a writable connection: sends what the worker queued.
 * Returns 0 to keep the connection, -1 to close it. */
int http_stream_pump(http_stream *s, struct lws *wsi);

/* Cancels every stream (the server is stopping). Any thread. */
void http_streams_cancel_all(http_server *srv);

/* Cancels every stream and joins every worker. */
void http_streams_join_all(http_server *srv);

/* After the lws context is gone: frees the streams left in the list. */
void http_streams_free_all(http_server *srv);

#endif
