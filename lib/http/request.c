/* The connection side of lib/http: lws's callback for every connection of
 * every listener, the per-connection request state machine (headers, body,
 * limits), routing to a handler, and the writing of synchronous answers.
 * Asynchronous answers are handed to stream.c; the server and its
 * listeners are in server.c. See server.h for the model. */
#include "http/server_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
/* How often an asynchronous answer checks that its client is still there;
 * also how long lws may spin on a closed one before we notice. */
#define PROBE_US (50 * LWS_US_PER_MS)

/* lws's method index (LWSHUMETH_*) to name; CONNECT never reaches us. */
static const char *const method_names[] = {"GET",   "POST",   "OPTIONS", "PUT",
                                           "PATCH", "DELETE", "CONNECT", "HEAD"};

enum conn_state {
    CONN_IDLE,  /* between requests, or answered */
    CONN_BODY,  /* collecting the body for route */
    CONN_ASYNC, /* stream is answering */
};

/* Per-request state, kept in lws's per-session user space. lws zeroes it
 * when it binds our protocol and frees it after HTTP_DROP_PROTOCOL (between
 * keep-alive requests and on close), so conn_release() runs from there. */
typedef struct conn {
    enum conn_state state;
    const http_route *route;
    const char *method;
    char *path;
    char *body;
    size_t body_len, body_want;
    unsigned body_since; /* when the body started, seconds, monotonic */
    int http11;
    size_t stray; /* bytes the client sent during an asynchronous answer */
    http_stream *stream;
} conn;

int http_response_printf(http_response *resp, int status, const char *fmt, ...)
{
    va_list ap;

    free(resp->body);
    resp->body_len = 0;
    resp->status = status;
    resp->content_type = TEXT_PLAIN;
    va_start(ap, fmt);
    resp->body = util_vprintf(fmt, ap);
    va_end(ap);
    if (resp->body == NULL)
        return -1;
    resp->body_len = strlen(resp->body);
    return 0;
}

static void conn_release(conn *c)
{
    if (c == NULL)
        return;
    free(c->path);
    free(c->body);
    if (c->stream != NULL)
        http_stream_detach(c->stream);
    memset(c, 0, sizeof *c);
}

/* How a connection goes on after an answer. */
enum after {
    KEEP,      /* keep-alive if the client wants it */
    CLOSE,     /* close once sent; a declared body is read and dropped first
                * (bounded by the idle timeout) so the client sees the answer
                * rather than a reset */
    CLOSE_NOW, /* close at once: the request's framing is not trusted */
};

/* Writes a whole answer in one lws_write (lws keeps what the socket does not
 * take yet), then completes the transaction. Returns what the lws callback
 * returns. */
static int respond(struct lws *wsi, const conn *c, int status, const char *ctype, const char *body,
                   size_t len, const char *allow, enum after after)
{
    int close_after = after != KEEP;
    unsigned char *buf, *start, *p, *end;
    int head_only = c->method != NULL && strcmp(c->method, "HEAD") == 0;
    int rc = -1;

    if (ctype == NULL)
        ctype = TEXT_PLAIN;
    buf = malloc(LWS_PRE + HTTP_HEAD_ROOM + len);
    if (buf == NULL)
        return -1;
    start = p = buf + LWS_PRE;
    end = start + HTTP_HEAD_ROOM;
    /* Without a length lws says "connection: close" and will close; the
     * length is then added by hand so clients still know the size. */
    if (lws_add_http_common_headers(wsi, (unsigned)status, ctype,
                                    close_after ? LWS_ILLEGAL_HTTP_CONTENT_LEN : len, &p, end))
        goto out;
    if (close_after && lws_add_http_header_content_length(wsi, len, &p, end))
        goto out;
    if (allow != NULL && lws_add_http_header_by_name(
                             wsi, (const unsigned char *)"allow:", (const unsigned char *)allow,
                             (int)strlen(allow), &p, end))
        goto out;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end))
        goto out;
    if (lws_finalize_http_header(wsi, &p, end))
        goto out;
    if (!head_only && len > 0) {
        memcpy(p, body, len);
        p += len;
    }
    if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL) != (int)(p - start))
        goto out;
    if (after == CLOSE_NOW)
        rc = -1;
    else
        rc = lws_http_transaction_completed(wsi) ? -1 : 0;
out:
    free(buf);
    return rc;
}

static int respond_error(struct lws *wsi, const conn *c, int status, const char *text,
                         const char *allow, enum after after)
{
    return respond(wsi, c, status, TEXT_PLAIN, text, strlen(text), allow, after);
}

/* The listener a connection arrived on. lws may rebind a request to another
 * vhost by its Host header (name-based virtual hosting among vhosts on one
 * port), so the vhost alone is not trusted: the socket's own family and port
 * must match the listener's, or the request is refused. No header can then
 * lead a TCP request to the control routes. */
static http_listener *conn_listener(struct lws *wsi)
{
    http_listener *l = lws_vhost_user(lws_get_vhost(wsi));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = lws_get_socket_fd(wsi);

    if (l == NULL || fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return NULL;
    if (l->is_unix)
        return ss.ss_family == AF_UNIX ? l : NULL;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port) == http_listener_port(l) ? l : NULL;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == http_listener_port(l) ? l : NULL;
    return NULL;
}

/* During an asynchronous answer: has the client gone? The socket is read
 * here, lws is not reading it (see dispatch()). A client may send a stray
 * CRLF after its request; anything more while it is being answered breaks
 * the one-request-per-streamed-answer rule and drops it. Returns 0 while the
 * client is there and behaves, -1 to close. */
static int probe_client(struct lws *wsi, conn *c)
{
    char buf[64];
    ssize_t n = recv(lws_get_socket_fd(wsi), buf, sizeof buf, MSG_DONTWAIT);

    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (n == 0)
        return -1;
    c->stray += (size_t)n;
    return c->stray > 2 ? -1 : 0;
}

/* Runs the route's handler for the complete request in c. */
static int dispatch(struct lws *wsi, conn *c, http_listener *l)
{
    const http_route *r = c->route;
    http_request req = {
        .method = c->method,
        .path = c->path,
        .body = c->body != NULL ? c->body : "",
        .body_len = c->body_len,
        .listener = l->name,
    };

    c->state = CONN_IDLE;
    if (r->afn != NULL) {
        int rc = http_stream_spawn(l->srv, wsi, c->http11, r, &req, &c->stream);
        if (rc == -1)
            return respond_error(wsi, c, 503, "busy: too many requests in progress\n", NULL, CLOSE);
        if (rc < 0)
            return respond_error(wsi, c, 500, "cannot start the request\n", NULL, CLOSE);
        c->state = CONN_ASYNC;
        /* The answer may take minutes and go quiet between lines; the
         * worker's own deadline bounds it. lws 4.1 does not read an h1
         * connection inside a transaction, so it would not notice the client
         * leaving (and spins while the socket stays readable; switching
         * reading off stops its writes too). probe_client() looks instead,
         * on a short timer. */
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        lws_set_timer_usecs(wsi, PROBE_US);
        return 0;
    }

    http_response resp = {.status = 200};
    int rc;
    if (r->fn(&req, &resp, r->user) < 0) {
        free(resp.body);
        util_warn("http: %s %s on %s: handler failed", c->method, c->path, l->name);
        return respond_error(wsi, c, 500, "internal error\n", NULL, CLOSE);
    }
    rc = respond(wsi, c, resp.status, resp.content_type, resp.body, resp.body_len, NULL, KEEP);
    free(resp.body);
    return rc;
}

/* Parses a Content-Length value strictly: digits only, no sign, no
 * overflow. Returns 0 and *out, or -1. */
static int parse_length(const char *s, size_t *out)
{
    size_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > ((size_t)-1 - 9) / 10)
            return -1;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* How the request says its body is framed. */
enum framing {
    NO_BODY,
    LENGTH,    /* a valid Content-Length > 0 */
    UNTRUSTED, /* chunked, a bad length, or a POST/PUT/PATCH without one */
};

static enum framing request_framing(struct lws *wsi, int meth, size_t *len)
{
    char buf[32];

    *len = 0;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return UNTRUSTED;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
        if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 ||
            parse_length(buf, len) != 0)
            return UNTRUSTED;
        return *len > 0 ? LENGTH : NO_BODY;
    }
    /* lws would wait for up to 100 MB of body from these. */
    if (meth == LWSHUMETH_POST || meth == LWSHUMETH_PUT || meth == LWSHUMETH_PATCH)
        return UNTRUSTED;
    return NO_BODY;
}

/* Seconds on the monotonic clock, as body_since keeps them. */
static unsigned now_s(void)
{
    return (unsigned)(util_mono_ms() / 1000);
}

/* A request's headers are complete: route it, refuse it, or wait for its
 * body. */
static int on_request(struct lws *wsi, conn *c, const char *uri, size_t uri_len)
{
    http_listener *l = conn_listener(wsi);
    const http_route *r, *hit = NULL;
    char *uri_ptr, allow[64], ver[16];
    int meth, uri_n, path_known = 0;
    enum framing framing;
    enum after err_after;
    size_t body_len;

    /* A new request while a stream answers would interleave two answers on
     * one connection: pipelining behind a streamed answer is refused. */
    if (c->state == CONN_ASYNC)
        return -1;
    conn_release(c);
    meth = lws_http_get_uri_and_method(wsi, &uri_ptr, &uri_n);
    if (meth < 0 || meth >= (int)(sizeof method_names / sizeof *method_names))
        return respond_error(wsi, c, 400, "bad request\n", NULL, CLOSE_NOW);
    c->method = method_names[meth];

    /* Framing first: it decides how an error answer may end. A body is read
     * (or dropped after an error answer, so the client sees the answer and
     * not a reset) only on a Unix listener, only when its length is known
     * and bounded. lws restarts its timeout on every piece of body, so on
     * TCP, open to the whole cluster, no body is ever waited for. */
    framing = request_framing(wsi, meth, &body_len);
    err_after = CLOSE;
    if (framing == UNTRUSTED ||
        (framing == LENGTH && (l == NULL || !l->is_unix || body_len > 8 * l->srv->cfg.max_body)))
        err_after = CLOSE_NOW;

    if (l == NULL) {
        util_warn("http: request arrived on a connection that matches no listener; refused");
        return respond_error(wsi, c, 404, "not found\n", NULL, err_after);
    }
    if (uri == NULL || uri_len == 0 || uri_len > HTTP_MAX_PATH)
        return respond_error(wsi, c, 404, "not found\n", NULL, err_after);

    allow[0] = '\0';
    for (r = l->routes; r != NULL; r = r->next) {
        if (strlen(r->path) != uri_len || memcmp(r->path, uri, uri_len) != 0)
            continue;
        path_known = 1;
        if (strcmp(r->method, c->method) == 0)
            hit = r;
        if (strlen(allow) + strlen(r->method) + 3 < sizeof allow) {
            if (allow[0] != '\0')
                strcat(allow, ", ");
            strcat(allow, r->method);
        }
    }
    if (hit == NULL)
        return path_known ? respond_error(wsi, c, 405, "method not allowed\n", allow, err_after)
                          : respond_error(wsi, c, 404, "not found\n", NULL, err_after);

    if (framing == UNTRUSTED)
        return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
                       lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0
                   ? respond_error(wsi, c, 400, "bad or chunked request body\n", NULL, CLOSE_NOW)
                   : respond_error(wsi, c, 411, "content-length required\n", NULL, CLOSE_NOW);
    if (framing == LENGTH && !l->is_unix)
        return respond_error(wsi, c, 400, "request bodies are not accepted here\n", NULL,
                             CLOSE_NOW);
    if (body_len > l->srv->cfg.max_body)
        return respond_error(wsi, c, 413, "request body too large\n", NULL, err_after);

    c->http11 =
        lws_hdr_copy(wsi, ver, sizeof ver, WSI_TOKEN_HTTP) > 0 && strcmp(ver, "HTTP/1.1") == 0;
    c->route = hit;
    c->path = strndup(uri, uri_len);
    if (c->path == NULL)
        return -1;
    if (framing == NO_BODY)
        return dispatch(wsi, c, l);
    c->body = malloc(body_len + 1);
    if (c->body == NULL)
        return -1;
    c->body_want = body_len;
    c->body_since = now_s();
    c->state = CONN_BODY;
    return 0;
}

static int on_body(struct lws *wsi, conn *c, const void *in, size_t len)
{
    http_listener *l = lws_vhost_user(lws_get_vhost(wsi));

    if (c->state != CONN_BODY)
        return 0;
    /* lws restarts its timeout on every piece: bound the whole body here. */
    if (l == NULL || now_s() - c->body_since > l->srv->cfg.idle_timeout_s)
        return -1;
    /* lws delivers no more than the announced length; checked anyway. */
    if (len > c->body_want - c->body_len)
        return -1;
    memcpy(c->body + c->body_len, in, len);
    c->body_len += len;
    c->body[c->body_len] = '\0';
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return c == NULL ? -1 : on_request(wsi, c, in, len);
    case LWS_CALLBACK_HTTP_BODY:
        return c == NULL ? -1 : on_body(wsi, c, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (c == NULL)
            return -1;
        if (c->state != CONN_BODY)
            return 0; /* the POST with "content-length: 0" was answered already */
        if (c->body_len != c->body_want)
            return -1;
        {
            http_listener *l = conn_listener(wsi);
            return l == NULL ? -1 : dispatch(wsi, c, l);
        }
    case LWS_CALLBACK_TIMER:
        if (c == NULL || c->state != CONN_ASYNC)
            return 0;
        if (probe_client(wsi, c) != 0)
            return -1;
        lws_set_timer_usecs(wsi, PROBE_US);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (c != NULL && c->state == CONN_ASYNC && c->stream != NULL)
            return http_stream_pump(c->stream, wsi);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        http_server *srv = lws_context_user(lws_get_context(wsi));
        if (srv != NULL)
            http_streams_poke(srv);
        return 0;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        /* Neither websockets nor h2c are offered: say so and hang up. */
        conn none = {.state = CONN_IDLE};
        respond_error(wsi, &none, 400, "protocol upgrades are not supported\n", NULL, CLOSE_NOW);
        return -1;
    }
    case LWS_CALLBACK_RAW_ADOPT:
    case LWS_CALLBACK_RAW_RX:
        /* CONNECT makes lws turn the connection raw; nothing is served raw. */
        return -1;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        conn_release(c);
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols http_protocols[] = {
    {"berth-http", callback, sizeof(conn), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int http_method_routable(const char *method)
{
    size_t i;

    for (i = 0; i < sizeof method_names / sizeof *method_names; i++)
        if (strcmp(method, method_names[i]) == 0 && strcmp(method, "CONNECT") != 0)
            return 1;
    return 0;
}
