/* The OpenSSL transport; see tls.h.
 *
 * OpenSSL reads and writes the socket through a small BIO of our own rather
 * than its socket BIO, so that writes use send(MSG_NOSIGNAL) like the
 * plaintext transport: a broker that goes away is an error, never a SIGPIPE
 * in the sidecar.
 *
 * A kafka_tls holds one SSL_CTX at a time. Settings read from files are
 * reloaded into a new SSL_CTX when the files change (a renewed certificate
 * in a mounted Secret); the swap happens under the kafka_tls's mutex, where
 * each new connection also takes its SSL from the current SSL_CTX. SSL_new
 * takes a reference to the SSL_CTX and SSL_free drops it, so the old
 * SSL_CTX, freed here at the swap, lives on until the last connection made
 * from it is closed. No session is ever resumed (a client SSL_CTX caches
 * none, and none is set), so every handshake presents the certificate of
 * the SSL_CTX it was made from. */
#include "kafka/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util/ossl.h"
#include "util/str.h"

/* The files a kafka_tls may be loaded from, as indexes of its arrays. */
enum { TLS_CA, TLS_CERT, TLS_KEY, TLS_NFILES };

/* What stat said of a file: enough to tell that the file at a path was
 * replaced (another inode, as after the kubelet's symbolic link swap) or
 * rewritten in place (size, times). A rewrite in place to the same size
 * within one tick of the file system's clock would pass unseen until the
 * next change; the kubelet never rewrites in place. */
typedef struct tls_stamp {
    int err; /* errno of a failed stat, else 0 */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} tls_stamp;

struct kafka_tls {
    BIO_METHOD *bio; /* the MSG_NOSIGNAL socket BIO */
    char *server_name;
    /* Owned copies of the settings, kept only when some are files (to load
     * them again); the key is wiped when freed. */
    char *file[TLS_NFILES], *pem[TLS_NFILES];
    bool watch; /* some setting is a file */
    pthread_mutex_t lock;
    /* Under lock: the settings in use, and the files' stamps taken just
     * before they were read. */
    SSL_CTX *ctx;
    tls_stamp stamp[TLS_NFILES];
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

/* Readable files give clearer messages than OpenSSL's "system library". */
static int check_file(const char *what, const char *path, util_err *err)
{
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return util_err_set(err, "%s '%s': %s", what, path, strerror(errno));
    fclose(f);
    return 0;
}

/* ---- loading settings into an SSL_CTX ---- */

/* Adds every certificate and CRL of the PEM text to ctx's trust store, as
 * SSL_CTX_load_verify_locations does from a file. */
static int load_ca_pem(SSL_CTX *ctx, const char *pem, util_err *err)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    BIO *b = BIO_new_mem_buf(pem, -1);
    STACK_OF(X509_INFO) *infos =
        b != NULL ? PEM_X509_INFO_read_bio(b, NULL, util_ossl_no_password, NULL) : NULL;
    int found = 0, rc = 0;

    if (infos == NULL)
        rc = util_ossl_fail(err, "TLS: ca_pem");
    for (int i = 0; rc == 0 && i < sk_X509_INFO_num(infos); i++) {
        const X509_INFO *xi = sk_X509_INFO_value(infos, i);

        if ((xi->x509 != NULL && X509_STORE_add_cert(store, xi->x509) != 1) ||
            (xi->crl != NULL && X509_STORE_add_crl(store, xi->crl) != 1))
            rc = util_ossl_fail(err, "TLS: ca_pem");
        found += (xi->x509 != NULL) + (xi->crl != NULL);
    }
    if (rc == 0 && found == 0)
        rc = util_err_set(err, "TLS: ca_pem: no certificate or crl found");
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(b);
    return rc;
}

/* The private key PEM b holds, as the certificate's key; what names the
 * setting for err. OpenSSL's own reasons for a key it cannot read say
 * little ("unsupported", "interrupted or cancelled" for an encrypted one),
 * hence the sentence before them. */
static int use_key(SSL_CTX *ctx, BIO *b, const char *what, util_err *err)
{
    EVP_PKEY *key =
        b != NULL ? PEM_read_bio_PrivateKey(b, NULL, util_ossl_no_password, NULL) : NULL;
    char why[400];
    int rc = 0;

    if (key == NULL) {
        snprintf(why, sizeof why, "%s: no unencrypted PEM private key", what);
        return util_ossl_fail(err, "%s", why);
    }
    /* A key that is not the certificate's fails here ("key values
     * mismatch"). */
    if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
        rc = util_ossl_fail(err, "%s", what);
    EVP_PKEY_free(key);
    return rc;
}

/* The client identity from PEM text, as SSL_CTX_use_certificate_chain_file
 * and SSL_CTX_use_PrivateKey_file load it from files: the first
 * certificate is the client's, any after it the chain sent with it. */
static int load_identity_pem(SSL_CTX *ctx, const char *cert_pem, const char *key_pem, util_err *err)
{
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509_AUX(b, NULL, util_ossl_no_password, NULL) : NULL;
    X509 *ca;
    unsigned long e;
    int rc = -1;

    if (x == NULL || SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_clear_chain_certs(ctx) != 1) {
        util_ossl_fail(err, "TLS: cert_pem");
        goto out;
    }
    while ((ca = PEM_read_bio_X509(b, NULL, util_ossl_no_password, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            util_ossl_fail(err, "TLS: cert_pem: chain");
            goto out;
        }
    }
    /* The chain ends where the text does, which PEM reports as "no start
     * line"; any other error is a broken certificate in it. */
    e = ERR_peek_last_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        util_ossl_fail(err, "TLS: cert_pem: chain");
        goto out;
    }
    ERR_clear_error();
    BIO_free(b);
    b = BIO_new_mem_buf(key_pem, -1);
    rc = use_key(ctx, b, "TLS: key_pem", err);
out:
    X509_free(x);
    BIO_free(b);
    return rc;
}

/* The CAs to verify the broker with: ca_pem, ca_file, or the system's. */
static int load_trust(SSL_CTX *ctx, const kafka_tls_opts *o, util_err *err)
{
    if (o->ca_pem != NULL)
        return load_ca_pem(ctx, o->ca_pem, err);
    if (o->ca_file == NULL) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return util_ossl_fail(err, "TLS: loading the default CA paths");
        return 0;
    }
    if (check_file("TLS: ca_file", o->ca_file, err) < 0)
        return -1;
    if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1)
        return util_ossl_fail(err, "TLS: ca_file '%s'", o->ca_file);
    return 0;
}

/* The client certificate, if any: from PEM or from files. */
static int load_identity(SSL_CTX *ctx, const kafka_tls_opts *o, util_err *err)
{
    char what[320];
    BIO *b;
    int rc;

    if (o->cert_pem != NULL)
        return load_identity_pem(ctx, o->cert_pem, o->key_pem, err);
    if (o->cert_file == NULL)
        return 0;
    if (check_file("TLS: cert_file", o->cert_file, err) < 0 ||
        check_file("TLS: key_file", o->key_file, err) < 0)
        return -1;
    if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1)
        return util_ossl_fail(err, "TLS: cert_file '%s'", o->cert_file);
    snprintf(what, sizeof what, "TLS: key_file '%s'", o->key_file);
    b = BIO_new_file(o->key_file, "r");
    rc = use_key(ctx, b, what, err);
    BIO_free(b);
    return rc;
}

/* A new SSL_CTX with the trust and identity o names (o was checked), or
 * NULL with err naming the setting that failed. */
static SSL_CTX *ctx_build(const kafka_tls_opts *o, util_err *err)
{
    SSL_CTX *ctx;

    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        util_ossl_fail(err, "TLS: setting up");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* conn.c resumes a write with the rest of its buffer, maybe moved. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(ctx, util_ossl_no_password);
    if (load_trust(ctx, o, err) < 0 || load_identity(ctx, o, err) < 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Settings that contradict each other: each of CA, certificate and key
 * comes from a file or from memory, and the certificate with its key. */
static int check_opts(const kafka_tls_opts *o, util_err *err)
{
    if (o->ca_file != NULL && o->ca_pem != NULL)
        return util_err_set(err, "TLS: ca_file and ca_pem both given; give one");
    if (o->cert_file != NULL && o->cert_pem != NULL)
        return util_err_set(err, "TLS: cert_file and cert_pem both given; give one");
    if (o->key_file != NULL && o->key_pem != NULL)
        return util_err_set(err, "TLS: key_file and key_pem both given; give one");
    if ((o->cert_file == NULL) != (o->key_file == NULL))
        return util_err_set(err, "TLS: a client certificate needs both cert_file and key_file");
    if ((o->cert_pem == NULL) != (o->key_pem == NULL))
        return util_err_set(err, "TLS: a client certificate needs both cert_pem and key_pem");
    return 0;
}

/* ---- watching the files ---- */

static void stamp_files(const kafka_tls *t, tls_stamp stamp[TLS_NFILES])
{
    struct stat st;

    memset(stamp, 0, TLS_NFILES * sizeof *stamp);
    for (int i = 0; i < TLS_NFILES; i++) {
        if (t->file[i] == NULL)
            continue;
        /* stat follows the links of a mounted Secret to the file of the
         * current version. */
        if (stat(t->file[i], &st) != 0) {
            stamp[i].err = errno;
            continue;
        }
        stamp[i].dev = st.st_dev;
        stamp[i].ino = st.st_ino;
        stamp[i].size = st.st_size;
        stamp[i].mtime = st.st_mtim;
        stamp[i].ctime = st.st_ctim;
    }
}

static bool stamps_equal(const tls_stamp *a, const tls_stamp *b)
{
    for (int i = 0; i < TLS_NFILES; i++)
        if (a[i].err != b[i].err || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
            a[i].size != b[i].size || a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
            a[i].mtime.tv_nsec != b[i].mtime.tv_nsec || a[i].ctime.tv_sec != b[i].ctime.tv_sec ||
            a[i].ctime.tv_nsec != b[i].ctime.tv_nsec)
            return false;
    return true;
}

/* The settings t keeps, as kafka_tls_opts borrowed from t. */
static kafka_tls_opts kept_opts(const kafka_tls *t)
{
    kafka_tls_opts o = {.ca_file = t->file[TLS_CA],
                        .cert_file = t->file[TLS_CERT],
                        .key_file = t->file[TLS_KEY],
                        .ca_pem = t->pem[TLS_CA],
                        .cert_pem = t->pem[TLS_CERT],
                        .key_pem = t->pem[TLS_KEY]};

    return o;
}

/* Loads the files again into a new t->ctx if any of them changed since
 * they were loaded; called with t->lock held, before each new connection.
 *
 * The stamps are taken before the files are read, so a change made while
 * they are read shows at the next connection and loads again, rather than
 * passing for seen. Files that do not load, typically a pair caught half
 * way through its replacement (the new certificate, the old key), leave
 * the old SSL_CTX in use and the old stamps in place, so the next
 * connection tries again: the old certificate is still valid for a while,
 * and refusing connections meanwhile would turn a moment's inconsistency
 * into an outage. The failure is not reported: this runs inside a
 * connection, which it must not fail, and library code does not log. */
static void reload_if_changed(kafka_tls *t)
{
    tls_stamp now[TLS_NFILES];
    kafka_tls_opts o;
    SSL_CTX *ctx;
    util_err ignored;

    stamp_files(t, now);
    if (stamps_equal(now, t->stamp))
        return;
    o = kept_opts(t);
    ctx = ctx_build(&o, &ignored);
    if (ctx == NULL)
        return;
    /* Connections made from the old one keep their own references. */
    SSL_CTX_free(t->ctx);
    t->ctx = ctx;
    memcpy(t->stamp, now, sizeof now);
}

/* ---- kafka_tls ---- */

/* *to = a copy of from (NULL stays NULL); -1 when out of memory. */
static int dup_setting(char **to, const char *from)
{
    *to = util_strdup(from);
    return from != NULL && *to == NULL ? -1 : 0;
}

int kafka_tls_new(const kafka_tls_opts *opts, kafka_tls **out, util_err *err)
{
    kafka_tls *t;

    *out = NULL;
    if (check_opts(opts, err) < 0)
        return -1;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return util_err_set(err, "TLS: out of memory");
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return util_err_set(err, "TLS: out of memory");
    }
    ERR_clear_error();
    t->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "berth socket");
    if (t->bio == NULL || dup_setting(&t->server_name, opts->server_name) < 0) {
        util_ossl_fail(err, "TLS: setting up");
        goto fail;
    }
    BIO_meth_set_write(t->bio, bio_write);
    BIO_meth_set_read(t->bio, bio_read);
    BIO_meth_set_ctrl(t->bio, bio_ctrl);
    BIO_meth_set_create(t->bio, bio_create);

    /* Settings all in memory never change; with a file among them, all
     * are kept to build the next SSL_CTX from. */
    t->watch = opts->ca_file != NULL || opts->cert_file != NULL;
    if (t->watch && (dup_setting(&t->file[TLS_CA], opts->ca_file) < 0 ||
                     dup_setting(&t->file[TLS_CERT], opts->cert_file) < 0 ||
                     dup_setting(&t->file[TLS_KEY], opts->key_file) < 0 ||
                     dup_setting(&t->pem[TLS_CA], opts->ca_pem) < 0 ||
                     dup_setting(&t->pem[TLS_CERT], opts->cert_pem) < 0 ||
                     dup_setting(&t->pem[TLS_KEY], opts->key_pem) < 0)) {
        util_err_set(err, "TLS: out of memory");
        goto fail;
    }
    stamp_files(t, t->stamp);
    t->ctx = ctx_build(opts, err);
    if (t->ctx == NULL)
        goto fail;
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
    for (int i = 0; i < TLS_NFILES; i++)
        free(t->file[i]);
    if (t->pem[TLS_KEY] != NULL)
        OPENSSL_cleanse(t->pem[TLS_KEY], strlen(t->pem[TLS_KEY]));
    for (int i = 0; i < TLS_NFILES; i++)
        free(t->pem[i]);
    pthread_mutex_destroy(&t->lock);
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
    /* The check for new files and taking the session from the SSL_CTX in
     * use go together, so no session is made from one being freed. */
    pthread_mutex_lock(&t->lock);
    if (t->watch)
        reload_if_changed(t);
    s->ssl = SSL_new(t->ctx);
    pthread_mutex_unlock(&t->lock);
    bio = s->ssl != NULL ? BIO_new(t->bio) : NULL;
    if (s->name == NULL || bio == NULL) {
        util_ossl_fail(err, "setting up the session");
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
        util_ossl_fail(err, "server name");
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
    util_ossl_fail(err, "%s", what);
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
