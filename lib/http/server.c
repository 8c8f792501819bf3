/* The libwebsockets side of lib/http: the context and its listeners (one lws
 * vhost each), the per-connection request state machine, routing, and the
 * writing of synchronous answers. The worker side of asynchronous answers is
 * in stream.c. See server.h for the model. */
#include "http/server_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

/* Room reserved for the status line and headers of an answer. */
#define HEAD_ROOM 1024
/* Longest path worth routing; anything longer is a 404 without a copy. */
#define MAX_PATH   512
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
    buf = malloc(LWS_PRE + HEAD_ROOM + len);
    if (buf == NULL)
        return -1;
    start = p = buf + LWS_PRE;
    end = start + HEAD_ROOM;
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
    if (uri == NULL || uri_len == 0 || uri_len > MAX_PATH)
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

static const struct lws_protocols protocols[] = {
    {"berth-http", callback, sizeof(conn), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws logs through a process-wide hook. Its errors and warnings go to our
 * logger at debug level only: most are about a client's bad input (a flood
 * of them is a client's to cause), and every failure that matters to the
 * program comes back from our own calls with a util_err. */
static void lws_log_emit(int level, const char *line)
{
    char msg[512];
    size_t n;

    (void)level;
    snprintf(msg, sizeof msg, "%s", line);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    util_log(UTIL_LOG_DEBUG, "lws: %s", msg);
}

int http_server_new(const http_server_config *cfg, http_server **out, util_err *err)
{
    struct lws_context_creation_info info;
    http_server *srv;

    *out = NULL;
    srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return util_err_set(err, "http server: out of memory");
    if (cfg != NULL)
        srv->cfg = *cfg;
    if (srv->cfg.max_body == 0)
        srv->cfg.max_body = HTTP_DEFAULT_MAX_BODY;
    if (srv->cfg.header_max == 0)
        srv->cfg.header_max = HTTP_DEFAULT_HEADER_MAX;
    if (srv->cfg.idle_timeout_s == 0)
        srv->cfg.idle_timeout_s = HTTP_DEFAULT_IDLE_TIMEOUT;
    if (srv->cfg.max_async == 0)
        srv->cfg.max_async = HTTP_DEFAULT_MAX_ASYNC;
    if (srv->cfg.stream_queue == 0)
        srv->cfg.stream_queue = HTTP_DEFAULT_STREAM_QUEUE;
    if (srv->cfg.max_conns == 0)
        srv->cfg.max_conns = HTTP_DEFAULT_MAX_CONNS;
    if (srv->cfg.max_conns > 65535) {
        unsigned mc = srv->cfg.max_conns;
        free(srv);
        return util_err_set(err, "http server: max_conns %u over 65535", mc);
    }
    if (srv->cfg.header_max > 65535) {
        unsigned hm = srv->cfg.header_max;
        free(srv);
        return util_err_set(err, "http server: header_max %u over 65535", hm);
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* http_stream_sleep */
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, &ca);
    pthread_condattr_destroy(&ca);

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.user = srv;
    info.server_string = "berth";
    info.max_http_header_data = (unsigned short)srv->cfg.header_max;
    /* A header buffer for every connection it may hold: with fewer, clients
     * that never finish their request take them all and the next request
     * waits for their timeout. */
    info.max_http_header_pool = (unsigned short)srv->cfg.max_conns;
    info.timeout_secs = srv->cfg.idle_timeout_s;
    /* lws sizes its tables by the fd limit; a small fixed one also bounds
     * the connections (plus a few fds for listeners and the wake-up pipe). */
    info.fd_limit_per_thread = srv->cfg.max_conns + 16;
    srv->ctx = lws_create_context(&info);
    if (srv->ctx == NULL) {
        http_server_free(srv);
        return util_err_set(err, "http server: cannot create the libwebsockets context");
    }
    *out = srv;
    return 0;
}

static http_listener *listener_new(http_server *srv)
{
    http_listener *l = calloc(1, sizeof *l);

    if (l == NULL)
        return NULL;
    l->srv = srv;
    snprintf(l->vh_name, sizeof l->vh_name, "berth-%d", srv->nlisteners++);
    return l;
}

static void listener_free(http_listener *l)
{
    http_route *r, *next;

    for (r = l->routes; r != NULL; r = next) {
        next = r->next;
        free(r->method);
        free(r->path);
        free(r);
    }
    free(l->iface);
    free(l->path);
    free(l);
}

/* Creates l's vhost, which binds now. */
static int listener_bind(http_listener *l, int port, unsigned long long options)
{
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof info);
    info.vhost_name = l->vh_name;
    info.iface = l->iface;
    info.port = port;
    info.protocols = protocols;
    info.options = options | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.user = l;
    info.keepalive_timeout = (int)l->srv->cfg.idle_timeout_s;
    info.timeout_secs_ah_idle = l->srv->cfg.idle_timeout_s;
    l->vh = lws_create_vhost(l->srv->ctx, &info);
    return l->vh != NULL ? 0 : -1;
}

int http_server_listen_tcp(http_server *srv, const char *addr, int port, http_listener **out,
                           util_err *err)
{
    unsigned long long options = 0;
    http_listener *l;

    *out = NULL;
    if (port < 0 || port > 65535)
        return util_err_set(err, "listen tcp: port %d out of range", port);
    l = listener_new(srv);
    if (l == NULL)
        return util_err_set(err, "listen tcp: out of memory");
    if (addr != NULL && strcmp(addr, "") != 0 && strcmp(addr, "::") != 0) {
        l->iface = strdup(addr);
        if (l->iface == NULL) {
            listener_free(l);
            return util_err_set(err, "listen tcp: out of memory");
        }
        if (strchr(addr, ':') == NULL)
            options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    }
    if (listener_bind(l, port, options) != 0) {
        listener_free(l);
        return util_err_set(err, "listen tcp %s:%d: cannot bind (address in use or not local?)",
                            addr != NULL ? addr : "*", port);
    }
    snprintf(l->name, sizeof l->name, "tcp %s:%d", addr != NULL ? addr : "*",
             lws_get_vhost_listen_port(l->vh));
    l->next = srv->listeners;
    srv->listeners = l;
    *out = l;
    return 0;
}

/* Looks at what is at path before binding there: nothing is fine; a socket
 * nobody accepts on is stale and removed; a live socket or any other file is
 * an error. */
static int unix_path_clear(const char *path, util_err *err)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return util_err_set(err, "%s", strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode))
        return util_err_set(err, "exists and is not a socket; refusing to replace it");
    /* Non-blocking: a live server with a full backlog says EAGAIN rather
     * than making us wait. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return util_err_set(err, "socket: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EAGAIN;
    close(fd);
    if (rc)
        return util_err_set(err, "another server is listening there");
    if (unlink(path) != 0 && errno != ENOENT)
        return util_err_set(err, "removing the stale socket: %s", strerror(errno));
    util_info("http: removed stale socket %s", path);
    return 0;
}

int http_server_listen_unix(http_server *srv, const char *path, http_listener **out, util_err *err)
{
    struct sockaddr_un sa;
    struct stat st;
    http_listener *l;
    size_t plen = path != NULL ? strlen(path) : 0;

    *out = NULL;
    /* Room for the temporary name, "<path>.new", too. */
    if (plen == 0 || path[0] == '@' || plen + 4 >= sizeof sa.sun_path)
        return util_err_set(err, "listen unix '%s': empty, abstract or longer than %zu bytes",
                            path != NULL ? path : "", sizeof sa.sun_path - 5);
    if (unix_path_clear(path, err) != 0)
        return util_err_prefix(err, "listen unix %s", path);
    l = listener_new(srv);
    if (l == NULL)
        return util_err_set(err, "listen unix %s: out of memory", path);
    l->is_unix = 1;
    l->path = strdup(path);
    l->iface = malloc(plen + 5);
    if (l->path == NULL || l->iface == NULL) {
        listener_free(l);
        return util_err_set(err, "listen unix %s: out of memory", path);
    }
    snprintf(l->iface, plen + 5, "%s.new", path);
    snprintf(l->name, sizeof l->name, "unix %s", path);
    /* Bound under the temporary name, given its mode, then renamed: the
     * socket never appears at path with the umask's mode. */
    if (listener_bind(l, 0, LWS_SERVER_OPTION_UNIX_SOCK) != 0) {
        listener_free(l);
        return util_err_set(err, "listen unix %s: cannot bind", path);
    }
    if (chmod(l->iface, 0660) != 0 || rename(l->iface, l->path) != 0 || lstat(l->path, &st) != 0) {
        int e = errno;
        /* lws finishes destroying a vhost later and still reads its iface
         * then, so the listener is kept (dead) until the server is freed. */
        lws_vhost_destroy(l->vh);
        unlink(l->iface);
        l->dead = 1;
        l->next = srv->listeners;
        srv->listeners = l;
        return util_err_set(err, "listen unix %s: %s", path, strerror(e));
    }
    l->sock_dev = st.st_dev;
    l->sock_ino = st.st_ino;
    l->next = srv->listeners;
    srv->listeners = l;
    *out = l;
    return 0;
}

int http_listener_port(const http_listener *l)
{
    if (l->is_unix)
        return -1;
    return lws_get_vhost_listen_port(l->vh);
}

static int route_add(http_listener *l, const char *method, const char *path, http_handler_fn fn,
                     http_async_fn afn, void *user, util_err *err)
{
    http_route *r;
    size_t i;
    int known = 0;

    for (i = 0; i < sizeof method_names / sizeof *method_names; i++)
        if (strcmp(method, method_names[i]) == 0 && strcmp(method, "CONNECT") != 0)
            known = 1;
    if (!known)
        return util_err_set(err, "route %s %s on %s: unknown method", method, path, l->name);
    if (path[0] != '/' || strlen(path) > MAX_PATH)
        return util_err_set(err, "route %s %s on %s: path must start with '/' and be short", method,
                            path, l->name);
    if (!l->is_unix && strcmp(method, "GET") != 0)
        return util_err_set(err, "route %s %s on %s: the TCP listener is read-only (GET only)",
                            method, path, l->name);
    for (r = l->routes; r != NULL; r = r->next)
        if (strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0)
            return util_err_set(err, "route %s %s on %s: already registered", method, path,
                                l->name);
    r = calloc(1, sizeof *r);
    if (r == NULL || (r->method = strdup(method)) == NULL || (r->path = strdup(path)) == NULL) {
        if (r != NULL)
            free(r->method);
        free(r);
        return util_err_set(err, "route %s %s: out of memory", method, path);
    }
    r->fn = fn;
    r->afn = afn;
    r->user = user;
    r->next = l->routes;
    l->routes = r;
    return 0;
}

int http_listener_route(http_listener *l, const char *method, const char *path, http_handler_fn fn,
                        void *user, util_err *err)
{
    return route_add(l, method, path, fn, NULL, user, err);
}

int http_listener_route_async(http_listener *l, const char *method, const char *path,
                              http_async_fn fn, void *user, util_err *err)
{
    return route_add(l, method, path, NULL, fn, user, err);
}

int http_server_run(http_server *srv, util_err *err)
{
    int rc = 0;

    while (!atomic_load(&srv->stopping)) {
        if (lws_service(srv->ctx, 0) < 0) {
            rc = util_err_set(err, "http server: event loop failed");
            break;
        }
    }
    http_streams_cancel_all(srv);
    return rc;
}

void http_server_stop(http_server *srv)
{
    atomic_store(&srv->stopping, 1);
    lws_cancel_service(srv->ctx);
}

void http_server_free(http_server *srv)
{
    http_listener *l, *next;
    struct stat st;

    if (srv == NULL)
        return;
    atomic_store(&srv->stopping, 1);
    /* Workers first: they wake the loop through the context, so it must
     * outlive them. Destroying the context then closes every connection,
     * which releases the streams. */
    http_streams_join_all(srv);
    if (srv->ctx != NULL)
        lws_context_destroy(srv->ctx);
    http_streams_free_all(srv);
    for (l = srv->listeners; l != NULL; l = next) {
        next = l->next;
        if (l->is_unix && !l->dead && lstat(l->path, &st) == 0 && st.st_dev == l->sock_dev &&
            st.st_ino == l->sock_ino)
            unlink(l->path);
        listener_free(l);
    }
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}
