/* The server of lib/http: the libwebsockets context, its listeners (one lws
 * vhost each, on TCP or a Unix socket), their routes, and the service loop
 * with its start and stop. What happens on a connection is in request.c;
 * the worker side of asynchronous answers in stream.c. See server.h for
 * the model. */
#include "http/server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

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

    lws_set_log_level(LLL_ERR | LLL_WARN, util_log_lws);
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
    info.protocols = http_protocols;
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

    if (!http_method_routable(method))
        return util_err_set(err, "route %s %s on %s: unknown method", method, path, l->name);
    if (path[0] != '/' || strlen(path) > HTTP_MAX_PATH)
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
