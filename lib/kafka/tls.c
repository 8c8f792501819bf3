/* The OpenSSL transport; see tls.h.
 *
 * OpenSSL reads and writes the socket through a small BIO of our own rather
 * than its socket BIO, so that writes use send(MSG_NOSIGNAL) like the
 * plaintext transport: a broker that goes away is an error, never a SIGPIPE
 * in the sidecar. */
#include "kafka/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct kafka_tls {
    SSL_CTX *ctx;
    BIO_METHOD *bio; /* the MSG_NOSIGNAL socket BIO */
    char *server_name;
};

/* Per-connection state. The BIO's data points at fd. */
typedef struct tls_state {
    SSL *ssl;
    int fd;
    char *name; /* the name verified, for messages */
} tls_state;

/* ---- the socket BIO ---- */

static int bio_write(BIO *b, const char *buf, int n)
{
    const int *fd = BIO_get_data(b);
    ssize_t put;

    BIO_clear_retry_flags(b);
    do
        put = send(*fd, buf, (size_t)n, MSG_NOSIGNAL);
    while (put < 0 && errno == EINTR);
    if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(b);
    return (int)put;
}

static int bio_read(BIO *b, char *buf, int n)
{
    const int *fd = BIO_get_data(b);
    ssize_t got;

    BIO_clear_retry_flags(b);
    do
        got = recv(*fd, buf, (size_t)n, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(b);
    return (int)got;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    /* Nothing is buffered here, so a flush is done at once; no other
     * control is supported. */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* ---- errors ---- */

/* Empties OpenSSL's error queue into err as "what: reason" (the first
 * queued error is the cause; later ones are context). */
static int ssl_fail(util_err *err, const char *what)
{
    unsigned long e = ERR_get_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    char buf[256];

    if (e != 0 && reason == NULL) {
        ERR_error_string_n(e, buf, sizeof buf);
        reason = buf;
    }
    ERR_clear_error();
    if (reason == NULL)
        return util_err_set(err, "%s", what);
    return util_err_set(err, "%s: %s", what, reason);
}

/* ssl_fail for a file setting: "TLS: ca_file '/x': no certificate or crl
 * found". */
static int ssl_fail_file(util_err *err, const char *setting, const char *path)
{
    char what[320];

    snprintf(what, sizeof what, "TLS: %s '%s'", setting, path);
    return ssl_fail(err, what);
}

/* Readable files give clearer messages than OpenSSL's "system library". */
static int check_file(const char *what, const char *path, util_err *err)
{
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return util_err_set(err, "%s '%s': %s", what, path, strerror(errno));
    fclose(f);
    return 0;
}

/* ---- kafka_tls ---- */

int kafka_tls_new(const kafka_tls_opts *opts, kafka_tls **out, util_err *err)
{
    kafka_tls *t;

    *out = NULL;
    if ((opts->cert_file == NULL) != (opts->key_file == NULL))
        return util_err_set(err, "TLS: a client certificate needs both cert_file and key_file");
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return util_err_set(err, "TLS: out of memory");
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_client_method());
    t->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "berth socket");
    if (opts->server_name != NULL)
        t->server_name = strdup(opts->server_name);
    if (t->ctx == NULL || t->bio == NULL || (opts->server_name != NULL && t->server_name == NULL)) {
        ssl_fail(err, "TLS: setting up");
        goto fail;
    }
    BIO_meth_set_write(t->bio, bio_write);
    BIO_meth_set_read(t->bio, bio_read);
    BIO_meth_set_ctrl(t->bio, bio_ctrl);
    BIO_meth_set_create(t->bio, bio_create);

    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    /* conn.c resumes a write with the rest of its buffer, maybe moved. */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (opts->ca_file != NULL) {
        if (check_file("TLS: ca_file", opts->ca_file, err) < 0)
            goto fail;
        if (SSL_CTX_load_verify_locations(t->ctx, opts->ca_file, NULL) != 1) {
            ssl_fail_file(err, "ca_file", opts->ca_file);
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        ssl_fail(err, "TLS: loading the default CA paths");
        goto fail;
    }
    if (opts->cert_file != NULL) {
        if (check_file("TLS: cert_file", opts->cert_file, err) < 0 ||
            check_file("TLS: key_file", opts->key_file, err) < 0)
            goto fail;
        if (SSL_CTX_use_certificate_chain_file(t->ctx, opts->cert_file) != 1) {
            ssl_fail_file(err, "cert_file", opts->cert_file);
            goto fail;
        }
        /* A key that is not the certificate's fails here already ("key
         * values mismatch"). */
        if (SSL_CTX_use_PrivateKey_file(t->ctx, opts->key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1) {
            ssl_fail_file(err, "key_file", opts->key_file);
            goto fail;
        }
    }
    *out = t;
    return 0;
fail:
    kafka_tls_free(t);
    return -1;
}

void kafka_tls_free(kafka_tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    BIO_meth_free(t->bio);
    free(t->server_name);
    free(t);
}

/* ---- the transport ---- */

static void tls_close(void *state)
{
    tls_state *s = state;

    if (s == NULL)
        return;
    SSL_free(s->ssl); /* frees the BIO too */
    free(s->name);
    free(s);
}

static int tls_open(void *config, int fd, const char *host, void **state, util_err *err)
{
    kafka_tls *t = config;
    tls_state *s;
    const char *name;
    unsigned char addr[16];
    BIO *bio;
    int is_ip;

    *state = NULL;
    if (t == NULL)
        return util_err_set(err, "no kafka_tls given as transport_config");
    name = t->server_name != NULL ? t->server_name : host;
    is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return util_err_set(err, "out of memory");
    s->fd = fd;
    s->name = strdup(name);
    ERR_clear_error();
    s->ssl = SSL_new(t->ctx);
    bio = s->ssl != NULL ? BIO_new(t->bio) : NULL;
    if (s->name == NULL || bio == NULL) {
        ssl_fail(err, "setting up the session");
        tls_close(s);
        return -1;
    }
    BIO_set_data(bio, &s->fd);
    SSL_set_bio(s->ssl, bio, bio);
    SSL_set_connect_state(s->ssl);
    /* The certificate must name what was dialled: a DNS name (also sent as
     * SNI) or an IP address, which certificates carry in their own field. */
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name) != 1
              : (SSL_set_tlsext_host_name(s->ssl, name) != 1 || SSL_set1_host(s->ssl, name) != 1)) {
        ssl_fail(err, "server name");
        util_err_prefix(err, "'%s'", name);
        tls_close(s);
        return -1;
    }
    *state = s;
    return 0;
}

/* Maps the outcome of an SSL call (rc from it) onto kafka_io. */
static kafka_io tls_result(tls_state *s, int rc, const char *what, util_err *err)
{
    int e = SSL_get_error(s->ssl, rc);
    unsigned long q;

    switch (e) {
    case SSL_ERROR_WANT_READ:
        return KAFKA_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return KAFKA_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return KAFKA_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
                return KAFKA_IO_CLOSED;
            util_err_set(err, "%s: %s", what, strerror(errno));
            return KAFKA_IO_ERROR;
        }
        break;
    default:
        break;
    }
    q = ERR_peek_error();
    if (ERR_GET_LIB(q) == ERR_LIB_SSL && ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return KAFKA_IO_CLOSED;
    }
    ssl_fail(err, what);
    return KAFKA_IO_ERROR;
}

static kafka_io tls_handshake(void *state, int fd, util_err *err)
{
    tls_state *s = state;
    long verify;
    kafka_io io;
    int rc;

    (void)fd;
    ERR_clear_error();
    errno = 0;
    rc = SSL_do_handshake(s->ssl);
    if (rc == 1)
        return KAFKA_IO_OK;
    io = tls_result(s, rc, "handshake", err);
    verify = SSL_get_verify_result(s->ssl);
    if (io == KAFKA_IO_ERROR && verify != X509_V_OK) {
        /* The queue says only "certificate verify failed"; the verify
         * result says what was wrong with it. */
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
            util_err_set(err, "certificate verify failed: %s: the certificate does not name '%s'",
                         X509_verify_cert_error_string(verify), s->name);
        else
            util_err_set(err, "certificate verify failed: %s",
                         X509_verify_cert_error_string(verify));
    }
    return io;
}

static kafka_io tls_read(void *state, int fd, void *buf, size_t n, size_t *done, util_err *err)
{
    tls_state *s = state;
    int rc;

    (void)fd;
    *done = 0;
    ERR_clear_error();
    errno = 0;
    rc = SSL_read_ex(s->ssl, buf, n, done);
    if (rc == 1)
        return KAFKA_IO_OK;
    return tls_result(s, rc, "TLS read", err);
}

static kafka_io tls_write(void *state, int fd, const void *buf, size_t n, size_t *done,
                          util_err *err)
{
    tls_state *s = state;
    int rc;

    (void)fd;
    *done = 0;
    ERR_clear_error();
    errno = 0;
    rc = SSL_write_ex(s->ssl, buf, n, done);
    if (rc == 1)
        return KAFKA_IO_OK;
    return tls_result(s, rc, "TLS write", err);
}

const kafka_transport kafka_tls_transport = {
    .name = "TLS",
    .open = tls_open,
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .close = tls_close,
};
