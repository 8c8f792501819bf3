/* One client connection to one Kafka broker: connect with a timeout, then
 * request/response calls, each bounded by its own deadline.
 *
 * berth talks to brokers from a preStop hook and a reconcile loop, where a
 * hung broker must never hang berth: every wait here is a poll() with the
 * time left, and a connection that failed mid-call (timeout, short read,
 * wrong correlation id) refuses further calls, since its byte stream is no
 * longer in step with the broker's.
 *
 * Bytes move through a kafka_transport: plaintext here, TLS in tls.c, with
 * the framing unchanged. SASL (sasl.c) runs as ordinary calls on top. */
#ifndef BERTH_KAFKA_CONN_H
#define BERTH_KAFKA_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/codec.h"
#include "util/err.h"

#define KAFKA_CONNECT_TIMEOUT_MS_DEFAULT 10000
/* The brokers' own default limit on a request (socket.request.max.bytes). */
#define KAFKA_MAX_FRAME_DEFAULT (100u * 1024 * 1024)

/* What a transport operation achieved. */
typedef enum kafka_io {
    KAFKA_IO_OK,         /* moved *done > 0 bytes, or the handshake finished */
    KAFKA_IO_WANT_READ,  /* try again when the socket is readable */
    KAFKA_IO_WANT_WRITE, /* try again when the socket is writable */
    KAFKA_IO_CLOSED,     /* the peer closed the connection */
    KAFKA_IO_ERROR,      /* err says why */
} kafka_io;

/* How bytes cross a connected, non-blocking socket. A TLS transport keeps its
 * session in *state and maps the library's want-read/want-write onto
 * kafka_io; the connection does all the waiting and deadline keeping. */
typedef struct kafka_transport {
    const char *name; /* "plaintext", for messages */
    /* Prepares per-connection state once TCP is up; host is the name that
     * was dialled (for SNI and certificate checks). May be NULL. */
    int (*open)(void *config, int fd, const char *host, void **state, util_err *err);
    /* Runs until the handshake is done; called again after WANT_*. May be
     * NULL. */
    kafka_io (*handshake)(void *state, int fd, util_err *err);
    kafka_io (*read)(void *state, int fd, void *buf, size_t n, size_t *done, util_err *err);
    kafka_io (*write)(void *state, int fd, const void *buf, size_t n, size_t *done, util_err *err);
    /* Frees state; the connection closes the socket. May be NULL. */
    void (*close)(void *state);
} kafka_transport;

typedef struct kafka_conn_opts {
    int connect_timeout_ms;           /* TCP connect + handshake; 0: the default */
    size_t max_frame_bytes;           /* largest response accepted; 0: the default */
    const char *client_id;            /* sent in every header; NULL: "berth" */
    const kafka_transport *transport; /* NULL: plaintext */
    void *transport_config;           /* handed to transport->open */
} kafka_conn_opts;

typedef struct kafka_conn kafka_conn;

/* One request to send: the body only; the connection adds the frame and the
 * header (whose versions follow from api_key and flexible). */
typedef struct kafka_request {
    int16_t api_key;
    int16_t api_version;
    int flexible; /* is api_version one of the API's flexible versions? */
    const void *body;
    size_t body_len;
} kafka_request;

/* Connects to "host:port" ("[v6addr]:port" for IPv6 literals), trying each
 * address the name resolves to until one answers within the connect timeout
 * (name resolution itself is not bounded). opts may be NULL for defaults.
 * On success *out is a connection for kafka_conn_free. */
int kafka_conn_new(const char *hostport, const kafka_conn_opts *opts, kafka_conn **out,
                   util_err *err) UTIL_MUST_CHECK;

/* Closes the socket and frees c. */
void kafka_conn_free(kafka_conn *c);

/* The "host:port" c was opened with; borrowed from c. */
const char *kafka_conn_addr(const kafka_conn *c);

/* 1 once a call on c failed because the broker closed or reset the
 * connection (rather than a timeout or a bad answer), else 0. A broker
 * process that ends closes every connection to it, so on a connection held
 * open this tells that the process which answered it is gone. */
int kafka_conn_closed_by_peer(const kafka_conn *c);

/* The socket under c, so that a caller holding c open between calls can
 * wait for it to turn readable (poll, beside fds of its own); borrowed
 * from c until kafka_conn_free. Never read or write it directly: when it
 * turns readable, call kafka_conn_idle_read. */
int kafka_conn_fd(const kafka_conn *c);

/* Between calls, once c's socket polled readable: takes in what arrived,
 * without waiting. No answer is due while no call runs, so the only news
 * it can bring is the broker closing. Returns 1 when the broker closed or
 * reset c (kafka_conn_closed_by_peer says 1 from then on); 0 when nothing
 * reached c's caller (part of a record, or a TLS record of the session's
 * own, such as a session ticket): wait again; -1 with err for bytes no
 * call asked for, or a failed read. After 1 or -1, c refuses calls. */
int kafka_conn_idle_read(kafka_conn *c, util_err *err) UTIL_MUST_CHECK;

/* 1 when nothing listens at hostport: every address it resolves to refuses
 * a TCP connection (ECONNREFUSED) within timeout_ms. 0 when one accepts, or
 * when it cannot be told (no answer in time, name not resolved). Opens and
 * closes plain TCP connections only; sends nothing. */
int kafka_conn_refused(const char *hostport, int timeout_ms);

/* Sends req and waits for its response, all within timeout_ms (> 0). On
 * success *resp is the response body after its header, borrowed from c until
 * the next call or kafka_conn_free. Any failure leaves c unusable. */
int kafka_conn_call(kafka_conn *c, const kafka_request *req, int timeout_ms, kafka_bytes *resp,
                    util_err *err) UTIL_MUST_CHECK;

#endif
