/* A broker connection over a non-blocking socket; see conn.h. */
#include "kafka/conn.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kafka/frame.h"
#include "kafka/proto.h"
#include "util/clock.h"

struct kafka_conn {
    int fd;
    char *addr;      /* as given, for messages */
    char *host;      /* without port or brackets */
    char *client_id; /* owned copy */
    size_t max_frame;
    int32_t next_correlation;
    int broken;          /* a call failed mid-stream: no further calls */
    int closed_by_peer;  /* that failure was the broker closing or resetting it */
    util_err broken_why; /* that call's error, for later callers */
    const kafka_transport *transport;
    void *tstate;
    kafka_writer out;  /* reused across calls */
    unsigned char *in; /* the last response frame */
    size_t in_cap;
};

/* ---- plaintext transport ---- */

static kafka_io plain_read(void *state, int fd, void *buf, size_t n, size_t *done, util_err *err)
{
    ssize_t got;

    (void)state;
    *done = 0;
    do
        got = recv(fd, buf, n, 0);
    while (got < 0 && errno == EINTR);
    if (got > 0) {
        *done = (size_t)got;
        return KAFKA_IO_OK;
    }
    /* A reset is the broker closing too (as tls.c reads it). */
    if (got == 0 || errno == ECONNRESET)
        return KAFKA_IO_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return KAFKA_IO_WANT_READ;
    util_err_set(err, "recv: %s", strerror(errno));
    return KAFKA_IO_ERROR;
}

static kafka_io plain_write(void *state, int fd, const void *buf, size_t n, size_t *done,
                            util_err *err)
{
    ssize_t put;

    (void)state;
    *done = 0;
    /* MSG_NOSIGNAL: a broker that went away is an error, not a SIGPIPE. */
    do
        put = send(fd, buf, n, MSG_NOSIGNAL);
    while (put < 0 && errno == EINTR);
    if (put >= 0) {
        *done = (size_t)put;
        return KAFKA_IO_OK;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return KAFKA_IO_WANT_WRITE;
    if (errno == EPIPE || errno == ECONNRESET)
        return KAFKA_IO_CLOSED;
    util_err_set(err, "send: %s", strerror(errno));
    return KAFKA_IO_ERROR;
}

static const kafka_transport plaintext = {
    .name = "plaintext",
    .read = plain_read,
    .write = plain_write,
};

/* Waits until fd is ready for what the transport wants. Returns 0 when ready
 * (or in error: the next I/O call says which), 1 at the deadline, -1 if poll
 * fails (err set). */
static int wait_fd(int fd, kafka_io want, int64_t deadline, util_err *err)
{
    struct pollfd p;
    int rc;

    p.fd = fd;
    p.events = want == KAFKA_IO_WANT_WRITE ? POLLOUT : POLLIN;
    for (;;) {
        int64_t left = deadline - util_mono_ms();
        if (left <= 0)
            return 1;
        p.revents = 0;
        rc = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return util_err_set(err, "poll: %s", strerror(errno));
    }
}

/* Waits as wait_fd does; on timeout sets err to "<what>: timed out after N
 * ms". Returns 0 when ready, -1 otherwise. */
static int wait_or_fail(int fd, kafka_io want, int64_t deadline, int timeout_ms, const char *what,
                        util_err *err)
{
    int rc = wait_fd(fd, want, deadline, err);

    if (rc == 0)
        return 0;
    if (rc > 0)
        return util_err_set(err, "%s: timed out after %d ms", what, timeout_ms);
    return util_err_prefix(err, "%s", what);
}

/* ---- connect ---- */

/* Splits "host:port" or "[v6]:port" into fresh host and port strings. */
static int split_hostport(const char *hostport, char **host, char **port, util_err *err)
{
    const char *colon, *hstart = hostport, *hend;
    size_t hlen;

    *host = *port = NULL;
    if (hostport[0] == '[') {
        hend = strchr(hostport, ']');
        if (hend == NULL || hend[1] != ':')
            return util_err_set(err, "expected [address]:port");
        hstart = hostport + 1;
        colon = hend + 1;
    } else {
        colon = strrchr(hostport, ':');
        if (colon == NULL)
            return util_err_set(err, "expected host:port");
        if (memchr(hostport, ':', (size_t)(colon - hostport)) != NULL)
            return util_err_set(err, "IPv6 addresses need brackets: [address]:port");
        hend = colon;
    }
    hlen = (size_t)(hend - hstart);
    if (hlen == 0)
        return util_err_set(err, "empty host");
    {
        const char *p = colon + 1;
        long v = 0;
        if (*p == '\0')
            return util_err_set(err, "empty port");
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || (v = v * 10 + (*p - '0')) > 65535)
                return util_err_set(err, "port '%s' is not a number from 1 to 65535", colon + 1);
        }
        if (v == 0)
            return util_err_set(err, "port 0 is not a port to connect to");
    }
    *host = strndup(hstart, hlen);
    *port = strdup(colon + 1);
    if (*host == NULL || *port == NULL) {
        free(*host);
        free(*port);
        *host = *port = NULL;
        return util_err_set(err, "out of memory");
    }
    return 0;
}

/* Connects one address; returns the socket or -1 with err. */
static int connect_one(const struct addrinfo *ai, const char *given, int64_t deadline,
                       int timeout_ms, util_err *err)
{
    char name[NI_MAXHOST + NI_MAXSERV + 8], h[NI_MAXHOST], s[NI_MAXSERV];
    int fd, one = 1, soerr = 0;
    socklen_t len = sizeof soerr;

    /* Messages name the address tried ("[::1]:9092: ") unless it is the one
     * given. */
    name[0] = '\0';
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        snprintf(name, sizeof name, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, s);
        if (strcmp(name, given) == 0)
            name[0] = '\0';
        else
            strcat(name, ": ");
    }

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return util_err_set(err, "%ssocket: %s", name, strerror(errno));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            util_err_set(err, "%sconnect: %s", name, strerror(errno));
            close(fd);
            return -1;
        }
        if (wait_or_fail(fd, KAFKA_IO_WANT_WRITE, deadline, timeout_ms, "connect", err) < 0) {
            if (name[0] != '\0')
                util_err_prefix(err, "%.*s", (int)strlen(name) - 2, name);
            close(fd);
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr != 0) {
            util_err_set(err, "%sconnect: %s", name, strerror(soerr));
            close(fd);
            return -1;
        }
    }
    /* Requests are small and each waits for its answer: no Nagle. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int transport_start(kafka_conn *c, const kafka_conn_opts *opts, int64_t deadline,
                           int timeout_ms, util_err *err)
{
    const kafka_transport *t = c->transport;

    if (t->open != NULL &&
        t->open(opts ? opts->transport_config : NULL, c->fd, c->host, &c->tstate, err) < 0)
        return util_err_prefix(err, "%s", t->name);
    if (t->handshake == NULL)
        return 0;
    for (;;) {
        kafka_io io = t->handshake(c->tstate, c->fd, err);
        if (io == KAFKA_IO_OK)
            return 0;
        if (io == KAFKA_IO_CLOSED)
            return util_err_set(err, "%s handshake: connection closed by the broker", t->name);
        if (io == KAFKA_IO_ERROR)
            return util_err_prefix(err, "%s handshake", t->name);
        if (wait_or_fail(c->fd, io, deadline, timeout_ms, "handshake", err) < 0)
            return util_err_prefix(err, "%s", t->name);
    }
}

int kafka_conn_new(const char *hostport, const kafka_conn_opts *opts, kafka_conn **out,
                   util_err *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    char *port = NULL;
    kafka_conn *c;
    int timeout_ms, rc;
    int64_t deadline;

    *out = NULL;
    timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                                                      : KAFKA_CONNECT_TIMEOUT_MS_DEFAULT;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return util_err_set(err, "broker %s: out of memory", hostport);
    c->fd = -1;
    c->transport = opts && opts->transport ? opts->transport : &plaintext;
    c->max_frame = opts && opts->max_frame_bytes ? opts->max_frame_bytes : KAFKA_MAX_FRAME_DEFAULT;
    c->next_correlation = 1;
    kafka_writer_init(&c->out);
    c->addr = strdup(hostport);
    c->client_id = strdup(opts && opts->client_id ? opts->client_id : "berth");
    if (c->addr == NULL || c->client_id == NULL) {
        kafka_conn_free(c);
        return util_err_set(err, "broker %s: out of memory", hostport);
    }
    if (split_hostport(hostport, &c->host, &port, err) < 0) {
        kafka_conn_free(c);
        return util_err_prefix(err, "broker '%s'", hostport);
    }

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(c->host, port, &hints, &res);
    free(port);
    if (rc != 0) {
        util_err_set(err, "broker %s: resolve '%s': %s", hostport, c->host, gai_strerror(rc));
        kafka_conn_free(c);
        return -1;
    }
    deadline = util_mono_ms() + timeout_ms;
    for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next)
        c->fd = connect_one(ai, hostport, deadline, timeout_ms, err);
    freeaddrinfo(res);
    if (res == NULL)
        util_err_set(err, "resolve '%s': no address", c->host);
    if (c->fd < 0) {
        util_err_prefix(err, "broker %s", hostport);
        kafka_conn_free(c);
        return -1;
    }
    if (transport_start(c, opts, deadline, timeout_ms, err) < 0) {
        util_err_prefix(err, "broker %s", hostport);
        kafka_conn_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void kafka_conn_free(kafka_conn *c)
{
    if (c == NULL)
        return;
    if (c->transport != NULL && c->transport->close != NULL && c->tstate != NULL)
        c->transport->close(c->tstate);
    if (c->fd >= 0)
        close(c->fd);
    kafka_writer_release(&c->out);
    free(c->in);
    free(c->addr);
    free(c->host);
    free(c->client_id);
    free(c);
}

const char *kafka_conn_addr(const kafka_conn *c)
{
    return c->addr;
}

int kafka_conn_closed_by_peer(const kafka_conn *c)
{
    return c->closed_by_peer;
}

int kafka_conn_fd(const kafka_conn *c)
{
    return c->fd;
}

/* Leaves c refusing calls, for why (prefixed with its address). */
static void break_conn(kafka_conn *c, util_err *why)
{
    util_err_prefix(why, "broker %s", c->addr);
    c->broken = 1;
    c->broken_why = *why;
}

int kafka_conn_idle_read(kafka_conn *c, util_err *err)
{
    unsigned char byte;
    size_t done = 0;
    util_err e;
    kafka_io io;

    if (c->broken) {
        if (c->closed_by_peer)
            return 1;
        return util_err_set(err, "%s", c->broken_why.msg);
    }
    util_err_clear(&e);
    /* One byte at most: anything a call did not ask for is a fault anyway. */
    io = c->transport->read(c->tstate, c->fd, &byte, 1, &done, &e);
    switch (io) {
    case KAFKA_IO_WANT_READ:
        return 0;
    case KAFKA_IO_CLOSED:
        c->closed_by_peer = 1;
        util_err_set(&e, "connection closed by the broker while idle");
        break_conn(c, &e);
        return 1;
    case KAFKA_IO_OK:
        util_err_set(&e, "sent bytes while no call was running");
        break;
    case KAFKA_IO_WANT_WRITE:
        util_err_set(&e, "%s session wants to write while idle", c->transport->name);
        break;
    case KAFKA_IO_ERROR:
        util_err_prefix(&e, "while idle");
        break;
    }
    break_conn(c, &e);
    return util_err_set(err, "%s", e.msg);
}

/* Does ai refuse a connection? 1 refused, 0 accepted or undecided. */
static int refuses(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int soerr = 0, refused = 0;
    socklen_t len = sizeof soerr;

    if (fd < 0)
        return 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno == ECONNREFUSED) {
            refused = 1;
        } else if ((errno == EINPROGRESS || errno == EINTR) &&
                   wait_fd(fd, KAFKA_IO_WANT_WRITE, deadline, NULL) == 0 &&
                   getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0) {
            refused = soerr == ECONNREFUSED;
        }
    }
    close(fd);
    return refused;
}

int kafka_conn_refused(const char *hostport, int timeout_ms)
{
    struct addrinfo hints, *res = NULL, *ai;
    char *host = NULL, *port = NULL;
    int64_t deadline = util_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);
    int refused = 0;

    if (split_hostport(hostport, &host, &port, NULL) < 0)
        return 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) == 0) {
        refused = res != NULL;
        for (ai = res; ai != NULL && refused; ai = ai->ai_next)
            refused = refuses(ai, deadline);
        freeaddrinfo(res);
    }
    free(host);
    free(port);
    return refused;
}

/* ---- calls ---- */

/* Moves all n bytes one way before the deadline. what names the step for
 * messages ("sending the request"). */
static int transfer(kafka_conn *c, int sending, void *buf, size_t n, int64_t deadline,
                    int timeout_ms, const char *what, util_err *err)
{
    size_t off = 0;

    while (off < n) {
        size_t done = 0;
        kafka_io io =
            sending ? c->transport->write(c->tstate, c->fd, (char *)buf + off, n - off, &done, err)
                    : c->transport->read(c->tstate, c->fd, (char *)buf + off, n - off, &done, err);
        switch (io) {
        case KAFKA_IO_OK:
            off += done;
            break;
        case KAFKA_IO_WANT_READ:
        case KAFKA_IO_WANT_WRITE:
            if (wait_or_fail(c->fd, io, deadline, timeout_ms, what, err) < 0)
                return -1;
            break;
        case KAFKA_IO_CLOSED:
            c->closed_by_peer = 1;
            return util_err_set(err, "%s: connection closed by the broker", what);
        case KAFKA_IO_ERROR:
            return util_err_prefix(err, "%s", what);
        }
    }
    return 0;
}

/* Reads one whole frame into c->in; returns its size through *len. */
static int recv_frame(kafka_conn *c, int64_t deadline, int timeout_ms, size_t *len, util_err *err)
{
    unsigned char prefix[4];
    size_t size;

    if (transfer(c, 0, prefix, 4, deadline, timeout_ms, "waiting for the response", err) < 0)
        return -1;
    if (kafka_frame_size(prefix, c->max_frame, &size, err) < 0)
        return util_err_prefix(err, "response");
    if (size > c->in_cap || c->in == NULL) {
        unsigned char *nb = realloc(c->in, size ? size : 1);
        if (nb == NULL)
            return util_err_set(err, "response of %zu bytes: out of memory", size);
        c->in = nb;
        c->in_cap = size ? size : 1;
    }
    if (transfer(c, 0, c->in, size, deadline, timeout_ms, "reading the response", err) < 0)
        return -1;
    *len = size;
    return 0;
}

/* One call. Sets *desync once bytes may have crossed the wire, so that a
 * failure from then on leaves the stream out of step. */
static int call(kafka_conn *c, const kafka_request *req, int timeout_ms, kafka_bytes *resp,
                int *desync, util_err *err)
{
    kafka_request_header h;
    kafka_reader r;
    int req_hv, resp_hv;
    int32_t corr;
    size_t start, len = 0;
    int64_t deadline = util_mono_ms() + timeout_ms;

    *desync = 0;
    if (c->broken)
        return util_err_set(err, "connection unusable after an earlier failure: %s",
                            c->broken_why.msg);
    if (timeout_ms <= 0)
        return util_err_set(err, "timeout must be positive, not %d ms", timeout_ms);

    kafka_header_versions(req->api_key, req->flexible, &req_hv, &resp_hv);
    h.api_key = req->api_key;
    h.api_version = req->api_version;
    h.correlation_id = c->next_correlation;
    h.client_id = c->client_id;
    /* Wraps within the positive range; a wrapped id cannot be confused with
     * one still in flight, since calls are one at a time. */
    c->next_correlation = c->next_correlation == INT32_MAX ? 1 : c->next_correlation + 1;

    kafka_writer_reset(&c->out);
    start = kafka_frame_begin(&c->out);
    kafka_put_request_header(&c->out, req_hv, &h);
    kafka_put_raw(&c->out, req->body, req->body_len);
    kafka_frame_end(&c->out, start);
    if (kafka_writer_status(&c->out, err) < 0)
        return -1; /* nothing sent: the connection is still in step */

    *desync = 1;
    if (transfer(c, 1, c->out.buf, c->out.len, deadline, timeout_ms, "sending the request", err) <
        0)
        return -1;
    if (recv_frame(c, deadline, timeout_ms, &len, err) < 0)
        return -1;
    kafka_reader_init(&r, c->in, len, err);
    if (kafka_read_response_header(&r, resp_hv, &corr) < 0)
        return util_err_prefix(err, "response");
    if (corr != h.correlation_id)
        return util_err_set(err, "response correlation id %ld, expected %ld", (long)corr,
                            (long)h.correlation_id);
    *desync = 0;
    resp->ptr = c->in + r.pos;
    resp->len = kafka_reader_remaining(&r);
    return 0;
}

int kafka_conn_call(kafka_conn *c, const kafka_request *req, int timeout_ms, kafka_bytes *resp,
                    util_err *err)
{
    const char *api = kafka_api_name(req->api_key);
    util_err e;
    int desync;

    resp->ptr = NULL;
    resp->len = 0;
    util_err_clear(&e);
    if (call(c, req, timeout_ms, resp, &desync, &e) == 0)
        return 0;
    if (desync) {
        c->broken = 1;
        c->broken_why = e;
    }
    if (strcmp(api, "unknown") == 0)
        util_err_prefix(&e, "broker %s: API key %d v%d", c->addr, req->api_key, req->api_version);
    else
        util_err_prefix(&e, "broker %s: %s v%d", c->addr, api, req->api_version);
    return util_err_set(err, "%s", e.msg);
}
