/* The TLS transport's client certificate against a loopback OpenSSL server
 * that requires one signed by a test CA and answers every call with the
 * common name it saw: without a certificate the handshake is refused and
 * the error says so; the certificate is presented from files and from
 * memory; files laid out as the kubelet mounts a Secret are loaded again
 * when the kubelet swaps in a new version, from the next connection on,
 * while a connection already open keeps its certificate; a new version
 * that does not load (a certificate with another's key) leaves the last
 * good one in use until a good one comes; a renewed CA file is trusted
 * from the next connection on; and two threads connecting while a third
 * swaps versions all the time always present a whole certificate. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "kafka/conn.h"
#include "kafka/proto.h"
#include "kafka/tls.h"
#include "support/loopback.h"
#include "support/pki.h"
#include "support/tmpdir.h"

#define CALL_MS 10000
#define CN_MAX  64

/* ---- the server ---- */

/* Serves every connection on its own thread until stopped; a connection
 * whose client presents no certificate the CA signed is refused in the
 * handshake. */
typedef struct server {
    int lfd, port;
    SSL_CTX *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int live; /* connection threads still running */
} server;

typedef struct server_conn {
    server *s;
    int fd;
} server_conn;

/* Answers each request with the client certificate's common name as the
 * body, until the client goes. */
static void answer_calls(SSL *ssl, const char *cn)
{
    unsigned char hdr[12], reply[8 + CN_MAX], skip[256];
    size_t len = strlen(cn), put;
    uint32_t size;

    while (pki_ssl_read_all(ssl, hdr, sizeof hdr) == 0) {
        size = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
        for (size_t left = size - 8; left > 0;) {
            size_t n = left < sizeof skip ? left : sizeof skip;
            if (pki_ssl_read_all(ssl, skip, n) < 0)
                return;
            left -= n;
        }
        size = (uint32_t)(4 + len);
        reply[0] = (unsigned char)(size >> 24);
        reply[1] = (unsigned char)(size >> 16);
        reply[2] = (unsigned char)(size >> 8);
        reply[3] = (unsigned char)size;
        memcpy(reply + 4, hdr + 8, 4); /* response header v0: correlation id */
        memcpy(reply + 8, cn, len);
        if (SSL_write_ex(ssl, reply, 8 + len, &put) != 1)
            return;
    }
}

static void *serve_conn(void *arg)
{
    server_conn *sc = arg;
    server *s = sc->s;
    SSL *ssl = SSL_new(s->ctx);
    char cn[CN_MAX] = "";
    struct timeval tv = {2, 0};

    SSL_set_fd(ssl, sc->fd);
    if (SSL_accept(ssl) == 1) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_get0_peer_certificate(ssl)),
                                  NID_commonName, cn, sizeof cn);
        answer_calls(ssl, cn);
    } else {
        /* The refusal's alert is on its way; a close now, with the
         * client's request unread, would reset the connection before the
         * client reads it. So wait for the client to go. */
        shutdown(sc->fd, SHUT_WR);
        setsockopt(sc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        while (read(sc->fd, cn, sizeof cn) > 0)
            ;
    }
    SSL_free(ssl);
    close(sc->fd);
    free(sc);
    ERR_clear_error();
    pthread_mutex_lock(&s->lock);
    if (--s->live == 0)
        pthread_cond_signal(&s->idle);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void *serve(void *arg)
{
    server *s = arg;
    pthread_t t;
    int fd;

    while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
        server_conn *sc = malloc(sizeof *sc);

        sc->s = s;
        sc->fd = fd;
        pthread_mutex_lock(&s->lock);
        s->live++;
        pthread_mutex_unlock(&s->lock);
        pthread_create(&t, NULL, serve_conn, sc);
        pthread_detach(t);
    }
    return NULL;
}

/* A server with certificate and key (PEM) that requires a client
 * certificate signed by client_ca. */
static void server_start(server *s, const char *cert, const char *key, const char *client_ca)
{
    memset(s, 0, sizeof *s);
    s->ctx = pki_server_ctx(cert, key, client_ca);
    SSL_CTX_set_num_tickets(s->ctx, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->lfd = lo_listen(64, &s->port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

/* Stops accepting and waits for every connection's thread (each ends when
 * its client has gone). */
static void server_stop(server *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    pthread_mutex_lock(&s->lock);
    while (s->live > 0)
        pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    SSL_CTX_free(s->ctx);
}

/* ---- the client ---- */

static int conn_open(kafka_tls *t, const server *s, kafka_conn **c, util_err *err)
{
    kafka_conn_opts co = {.transport = &kafka_tls_transport, .transport_config = t};
    char addr[64];

    snprintf(addr, sizeof addr, "127.0.0.1:%d", s->port);
    return kafka_conn_new(addr, &co, c, err);
}

/* One call on c: the common name the server saw, in cn. */
static int conn_cn(kafka_conn *c, char *cn, size_t size, util_err *err)
{
    static const unsigned char body[] = {0, 0, 0, 0};
    kafka_request req = {KAFKA_API_METADATA, 4, 0, body, sizeof body};
    kafka_bytes resp;

    if (kafka_conn_call(c, &req, CALL_MS, &resp, err) < 0)
        return -1;
    snprintf(cn, size, "%.*s", (int)resp.len, (const char *)resp.ptr);
    return 0;
}

/* A new connection through t, one call on it, closed: as the sidecar's
 * readiness check and drain connect. The common name the server saw, in
 * cn. */
static int call_cn(kafka_tls *t, const server *s, char *cn, size_t size, util_err *err)
{
    kafka_conn *c = NULL;
    int rc = conn_open(t, s, &c, err);

    if (rc == 0)
        rc = conn_cn(c, cn, size, err);
    kafka_conn_free(c);
    return rc;
}

/* Fails unless a new connection through t is seen as want. */
static void expect_cn(kafka_tls *t, const server *s, const char *want)
{
    char cn[CN_MAX];
    util_err err;

    ck_assert_msg(call_cn(t, s, cn, sizeof cn, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cn, want);
}

/* ---- a Secret volume, as the kubelet writes it ---- */

/* dir/..data links to the directory of the current version, and each file
 * links to its name under ..data; a new version is a new directory, then
 * one rename of a new link over ..data, then the old directory goes. */
typedef struct secret_vol {
    char *dir;
    int version;
    pthread_mutex_t lock; /* one swap at a time */
} secret_vol;

static const char *const secret_files[] = {"ca.crt", "tls.crt", "tls.key"};

static void secret_put(secret_vol *v, const char *ca, const char *crt, const char *key)
{
    const char *content[] = {ca, crt, key};
    char name[64], path[512], old[512], link[512];

    pthread_mutex_lock(&v->lock);
    v->version++;
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "..v%d/%s", v->version, secret_files[i]);
        tmpdir_writef(v->dir, name, "%s", content[i]);
    }
    snprintf(name, sizeof name, "..v%d", v->version);
    snprintf(link, sizeof link, "%s/..data_tmp", v->dir);
    ck_assert_int_eq(symlink(name, link), 0);
    snprintf(path, sizeof path, "%s/..data", v->dir);
    ck_assert_int_eq(rename(link, path), 0);
    if (v->version == 1) {
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "..data/%s", secret_files[i]);
            snprintf(path, sizeof path, "%s/%s", v->dir, secret_files[i]);
            ck_assert_int_eq(symlink(name, path), 0);
        }
    } else {
        for (int i = 0; i < 3; i++) {
            snprintf(old, sizeof old, "%s/..v%d/%s", v->dir, v->version - 1, secret_files[i]);
            ck_assert_int_eq(unlink(old), 0);
        }
        snprintf(old, sizeof old, "%s/..v%d", v->dir, v->version - 1);
        ck_assert_int_eq(rmdir(old), 0);
    }
    pthread_mutex_unlock(&v->lock);
}

/* ---- fixtures ---- */

/* The server's certificate (self-signed, "localhost") is the client's CA
 * bundle; the client CA signs identities a, b, c. */
static char *dir, *srv_cert, *srv_key, *other_cert, *other_key, *client_ca, *client_ca_key;
static char *a_cert, *a_key, *b_cert, *b_key, *c_cert, *c_key;
static secret_vol vol;
static char *ca_path, *crt_path, *key_path;

static void setup(void)
{
    pki_self_signed("localhost", &srv_cert, &srv_key);
    pki_self_signed("someone else", &other_cert, &other_key);
    pki_self_signed("berth test client CA", &client_ca, &client_ca_key);
    pki_issue_client(client_ca, client_ca_key, "client-a", NULL, &a_cert, &a_key);
    pki_issue_client(client_ca, client_ca_key, "client-b", NULL, &b_cert, &b_key);
    pki_issue_client(client_ca, client_ca_key, "client-c", "berth", &c_cert, &c_key);
    dir = tmpdir_new();
    vol.dir = tmpdir_path(dir, "secret");
    ck_assert_int_eq(mkdir(vol.dir, 0700), 0);
    vol.version = 0;
    pthread_mutex_init(&vol.lock, NULL);
    ca_path = tmpdir_path(vol.dir, "ca.crt");
    crt_path = tmpdir_path(vol.dir, "tls.crt");
    key_path = tmpdir_path(vol.dir, "tls.key");
}

static void teardown(void)
{
    char *pems[] = {srv_cert, srv_key,  other_cert, other_key, client_ca, client_ca_key,
                    a_cert,   a_key,    b_cert,     b_key,     c_cert,    c_key,
                    ca_path,  crt_path, key_path,   vol.dir};

    for (size_t i = 0; i < sizeof pems / sizeof pems[0]; i++)
        free(pems[i]);
    pthread_mutex_destroy(&vol.lock);
    tmpdir_remove(dir);
}

static kafka_tls *tls_from_files(void)
{
    kafka_tls_opts o = {.ca_file = ca_path,
                        .cert_file = crt_path,
                        .key_file = key_path,
                        .server_name = "localhost"};
    kafka_tls *t = NULL;
    util_err err;

    ck_assert_msg(kafka_tls_new(&o, &t, &err) == 0, "%s", err.msg);
    return t;
}

/* ---- tests ---- */

START_TEST(a_required_client_certificate_comes_from_files_or_memory)
{
    kafka_tls_opts none = {.ca_pem = srv_cert, .server_name = "localhost"};
    kafka_tls_opts mem = {
        .ca_pem = srv_cert, .cert_pem = b_cert, .key_pem = b_key, .server_name = "localhost"};
    kafka_tls *t = NULL;
    server s;
    char cn[CN_MAX];
    util_err err;

    server_start(&s, srv_cert, srv_key, client_ca);
    /* TLS 1.3 finishes the client's side of the handshake first: the
     * server's refusal arrives as an alert at the first read. */
    ck_assert_msg(kafka_tls_new(&none, &t, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(call_cn(t, &s, cn, sizeof cn, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate required") != NULL, "%s", err.msg);
    kafka_tls_free(t);

    secret_put(&vol, srv_cert, a_cert, a_key);
    t = tls_from_files();
    expect_cn(t, &s, "client-a");
    kafka_tls_free(t);

    ck_assert_msg(kafka_tls_new(&mem, &t, &err) == 0, "%s", err.msg);
    expect_cn(t, &s, "client-b");
    expect_cn(t, &s, "client-b");
    kafka_tls_free(t);

    /* A certificate of a CA the server does not trust is refused too. */
    mem.cert_pem = other_cert;
    mem.key_pem = other_key;
    ck_assert_msg(kafka_tls_new(&mem, &t, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(call_cn(t, &s, cn, sizeof cn, &err), -1);
    ck_assert_msg(strstr(err.msg, "unknown ca") != NULL, "%s", err.msg);
    kafka_tls_free(t);
    server_stop(&s);
}
END_TEST

/* A connection open across a swap keeps the certificate it was made with:
 * the old SSL_CTX, freed by the swap, lives on in the connection. */
START_TEST(a_renewed_certificate_is_used_from_the_next_connection)
{
    kafka_tls *t;
    kafka_conn *held = NULL;
    server s;
    char cn[CN_MAX];
    util_err err;

    server_start(&s, srv_cert, srv_key, client_ca);
    secret_put(&vol, srv_cert, a_cert, a_key);
    t = tls_from_files();
    ck_assert_msg(conn_open(t, &s, &held, &err) == 0, "%s", err.msg);
    ck_assert_msg(conn_cn(held, cn, sizeof cn, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cn, "client-a");
    expect_cn(t, &s, "client-a");

    secret_put(&vol, srv_cert, b_cert, b_key);
    expect_cn(t, &s, "client-b");
    ck_assert_msg(conn_cn(held, cn, sizeof cn, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cn, "client-a");
    kafka_conn_free(held);

    /* A new certificate with another's key does not load: b stays. */
    secret_put(&vol, srv_cert, c_cert, b_key);
    expect_cn(t, &s, "client-b");
    expect_cn(t, &s, "client-b");
    /* Nor does a half-written one. */
    secret_put(&vol, srv_cert, "-----BEGIN CERTIFICATE-----\nMIIB", c_key);
    expect_cn(t, &s, "client-b");
    secret_put(&vol, srv_cert, c_cert, c_key);
    expect_cn(t, &s, "client-c");

    /* A file gone (the volume unmounted): c stays. */
    ck_assert_int_eq(unlink(crt_path), 0);
    expect_cn(t, &s, "client-c");
    kafka_tls_free(t);
    server_stop(&s);
}
END_TEST

START_TEST(a_renewed_ca_file_is_trusted_from_the_next_connection)
{
    kafka_tls *t;
    server s;
    char cn[CN_MAX];
    util_err err;

    server_start(&s, srv_cert, srv_key, client_ca);
    secret_put(&vol, other_cert, a_cert, a_key);
    t = tls_from_files();
    ck_assert_int_eq(call_cn(t, &s, cn, sizeof cn, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate verify failed") != NULL, "%s", err.msg);
    /* The bundle during a CA rotation: the old CA and the new. */
    {
        size_t n = strlen(other_cert) + strlen(srv_cert) + 1;
        char *both = malloc(n);

        snprintf(both, n, "%s%s", other_cert, srv_cert);
        secret_put(&vol, both, a_cert, a_key);
        free(both);
    }
    expect_cn(t, &s, "client-a");
    kafka_tls_free(t);
    server_stop(&s);
}
END_TEST

/* ---- connections while the files change ---- */

#define CONNECTORS    2
#define CALLS_EACH    60
#define ROTATIONS_MAX 100000

typedef struct race {
    kafka_tls *t;
    const server *s;
    atomic_int done;  /* connectors finished */
    atomic_int swaps; /* versions put by the rotator */
    int failures;     /* under lock */
    int seen[3];      /* calls seen as a, b, c; under lock */
    util_err first;   /* the first failure; under lock */
    pthread_mutex_t lock;
} race;

static void *connector(void *arg)
{
    race *r = arg;
    char cn[CN_MAX];
    util_err err;

    for (int i = 0; i < CALLS_EACH; i++) {
        int rc = call_cn(r->t, r->s, cn, sizeof cn, &err);

        pthread_mutex_lock(&r->lock);
        if (rc < 0 || strncmp(cn, "client-", 7) != 0 || cn[7] < 'a' || cn[7] > 'c') {
            if (r->failures++ == 0)
                util_err_set(&r->first, "call %d: %s", i, rc < 0 ? err.msg : cn);
        } else {
            r->seen[cn[7] - 'a']++;
        }
        pthread_mutex_unlock(&r->lock);
    }
    atomic_fetch_add(&r->done, 1);
    return NULL;
}

/* Swaps in a, a mismatched pair, b, a half-written certificate, c, and
 * again, until the connectors are done. */
static void *rotator(void *arg)
{
    race *r = arg;

    while (atomic_load(&r->done) < CONNECTORS && atomic_load(&r->swaps) < ROTATIONS_MAX) {
        switch (atomic_fetch_add(&r->swaps, 1) % 5) {
        case 0:
            secret_put(&vol, srv_cert, a_cert, a_key);
            break;
        case 1:
            secret_put(&vol, srv_cert, a_cert, b_key);
            break;
        case 2:
            secret_put(&vol, srv_cert, b_cert, b_key);
            break;
        case 3:
            secret_put(&vol, srv_cert, "-----BEGIN CERTIFICATE-----\nMIIB", c_key);
            break;
        default:
            secret_put(&vol, srv_cert, c_cert, c_key);
            break;
        }
        usleep(500);
    }
    return NULL;
}

START_TEST(connections_in_two_threads_while_the_files_rotate)
{
    race r = {.failures = 0};
    pthread_t conns[CONNECTORS], rot;
    server s;

    server_start(&s, srv_cert, srv_key, client_ca);
    secret_put(&vol, srv_cert, a_cert, a_key);
    r.t = tls_from_files();
    r.s = &s;
    pthread_mutex_init(&r.lock, NULL);
    ck_assert_int_eq(pthread_create(&rot, NULL, rotator, &r), 0);
    for (int i = 0; i < CONNECTORS; i++)
        ck_assert_int_eq(pthread_create(&conns[i], NULL, connector, &r), 0);
    for (int i = 0; i < CONNECTORS; i++)
        pthread_join(conns[i], NULL);
    pthread_join(rot, NULL);
    ck_assert_msg(r.failures == 0, "%d of %d calls failed; first: %s", r.failures,
                  CONNECTORS * CALLS_EACH, r.first.msg);
    ck_assert_int_eq(r.seen[0] + r.seen[1] + r.seen[2], CONNECTORS * CALLS_EACH);
    /* The rotation went on throughout, and more than one identity was
     * seen. */
    ck_assert_int_ge(atomic_load(&r.swaps), 5);
    ck_assert_int_ge((r.seen[0] > 0) + (r.seen[1] > 0) + (r.seen[2] > 0), 2);
    /* Once it stops at a good version, that one is used. */
    secret_put(&vol, srv_cert, b_cert, b_key);
    expect_cn(r.t, &s, "client-b");
    pthread_mutex_destroy(&r.lock);
    kafka_tls_free(r.t);
    server_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_tls_client_cert");
    TCase *tc = tcase_create("client_cert");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_required_client_certificate_comes_from_files_or_memory);
    tcase_add_test(tc, a_renewed_certificate_is_used_from_the_next_connection);
    tcase_add_test(tc, a_renewed_ca_file_is_trusted_from_the_next_connection);
    tcase_add_test(tc, connections_in_two_threads_while_the_files_rotate);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
