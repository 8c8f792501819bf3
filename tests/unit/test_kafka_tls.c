/* The TLS transport against an OpenSSL server on loopback: a call crosses
 * TLS whole, large frames included (partial reads and writes); a server
 * whose certificate the CA file does not vouch for, or that does not carry
 * the name dialled, is refused in the handshake with OpenSSL's reason; a
 * server that requires a client certificate accepts the configured one and
 * refuses a client without; a peer that closes mid-call is reported as
 * such, and so is one that ends (close_notify or a bare TCP close) while
 * the connection is held idle, where a session ticket is no news; bad file
 * settings are named, and so are bad settings in memory (PEM) and ones
 * that give a thing both ways. The server here speaks only framing (it
 * answers each request with its correlation id and a fixed body): what is
 * under test is the transport, not a broker. Client certificates from a
 * CA, and their renewal, are test_kafka_tls_client_cert's. */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "kafka/conn.h"
#include "kafka/proto.h"
#include "kafka/tls.h"
#include "support/loopback.h"
#include "support/pki.h"
#include "support/tmpdir.h"

#define CALL_MS   10000
#define BIG_REPLY (300 * 1024)

/* One server connection's settings and outcome. */
typedef struct server {
    int lfd;
    int port;
    const char *cert_pem, *key_pem;
    const char *client_ca_pem; /* non-NULL: require a client certificate it signed */
    int close_after_request;   /* read the request, then hang up */
    size_t reply_len;
    /* After the reply, two steps, each once the test writes a byte to go[1]:
     * a session ticket, then the end (close_notify unless bare_close). */
    int idle_steps, bare_close;
    int go[2];
    pthread_t thread;
} server;

/* The idle steps (server.idle_steps): a session ticket nobody asked for,
 * then the end; -1 to end bare, without close_notify. */
static int idle_step(server *s, SSL *ssl)
{
    char c;

    if (read(s->go[0], &c, 1) != 1 || SSL_new_session_ticket(ssl) != 1 ||
        SSL_do_handshake(ssl) != 1 || read(s->go[0], &c, 1) != 1)
        return -1;
    return s->bare_close ? -1 : 0;
}

/* Accepts one connection, answers one request. Failures just end it: the
 * client's view is what the tests check. */
static void *serve(void *arg)
{
    server *s = arg;
    SSL_CTX *ctx = pki_server_ctx(s->cert_pem, s->key_pem, s->client_ca_pem);
    unsigned char hdr[12], *body = NULL, *reply = NULL;
    uint32_t size;
    SSL *ssl = NULL;
    int fd;

    fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        goto out;
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1)
        goto out;
    /* size, api_key, api_version, correlation_id */
    if (pki_ssl_read_all(ssl, hdr, sizeof hdr) < 0)
        goto out;
    size = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    body = malloc(size);
    if (body == NULL || size < 8 || pki_ssl_read_all(ssl, body, size - 8) < 0)
        goto out;
    if (s->close_after_request)
        goto out;
    reply = calloc(1, 8 + s->reply_len);
    size = (uint32_t)(4 + s->reply_len);
    reply[0] = (unsigned char)(size >> 24);
    reply[1] = (unsigned char)(size >> 16);
    reply[2] = (unsigned char)(size >> 8);
    reply[3] = (unsigned char)size;
    memcpy(reply + 4, hdr + 8, 4); /* response header v0: correlation id */
    memset(reply + 8, 'k', s->reply_len);
    {
        size_t off = 0, put;
        while (off < 8 + s->reply_len &&
               SSL_write_ex(ssl, reply + off, 8 + s->reply_len - off, &put) == 1)
            off += put;
    }
    if (s->idle_steps && idle_step(s, ssl) < 0)
        goto out;
    SSL_shutdown(ssl);
out:
    free(body);
    free(reply);
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return NULL;
}

static void server_start(server *s)
{
    s->lfd = lo_listen(4, &s->port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    /* Unblocks an accept that no client came for. */
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

/* Files and keys shared by the tests, made once per test (forked). */
static char *dir, *ca_path, *other_path, *client_cert_path, *client_key_path;
static char *srv_cert, *srv_key, *other_cert, *other_key, *cli_cert, *cli_key;

static void setup(void)
{
    pki_self_signed("localhost", &srv_cert, &srv_key);
    pki_self_signed("someone else", &other_cert, &other_key);
    pki_self_signed("berth client", &cli_cert, &cli_key);
    dir = tmpdir_new();
    tmpdir_writef(dir, "ca.pem", "%s", srv_cert);
    tmpdir_writef(dir, "other.pem", "%s", other_cert);
    tmpdir_writef(dir, "client.pem", "%s", cli_cert);
    tmpdir_writef(dir, "client.key", "%s", cli_key);
    ca_path = tmpdir_path(dir, "ca.pem");
    other_path = tmpdir_path(dir, "other.pem");
    client_cert_path = tmpdir_path(dir, "client.pem");
    client_key_path = tmpdir_path(dir, "client.key");
}

static void teardown(void)
{
    free(ca_path);
    free(other_path);
    free(client_cert_path);
    free(client_key_path);
    free(srv_cert);
    free(srv_key);
    free(other_cert);
    free(other_key);
    free(cli_cert);
    free(cli_key);
    tmpdir_remove(dir);
}

/* Connects to s as host (with server_name), makes one call if connected,
 * and returns -1 at the first failure with err set. */
static int round_trip(server *s, const char *host, const kafka_tls_opts *o, size_t *got,
                      util_err *err)
{
    static const unsigned char body[] = {0, 0, 0, 0};
    kafka_request req = {KAFKA_API_METADATA, 4, 0, body, sizeof body};
    kafka_conn_opts co = {0};
    kafka_tls *t = NULL;
    kafka_conn *c = NULL;
    kafka_bytes resp;
    char addr[64];
    int rc;

    *got = 0;
    if (kafka_tls_new(o, &t, err) < 0)
        return -1;
    co.transport = &kafka_tls_transport;
    co.transport_config = t;
    snprintf(addr, sizeof addr, "%s:%d", host, s->port);
    rc = kafka_conn_new(addr, &co, &c, err);
    if (rc == 0) {
        rc = kafka_conn_call(c, &req, CALL_MS, &resp, err);
        if (rc == 0) {
            size_t i;
            for (i = 0; i < resp.len; i++)
                ck_assert_int_eq(resp.ptr[i], 'k');
            *got = resp.len;
        }
    }
    kafka_conn_free(c);
    kafka_tls_free(t);
    return rc;
}

START_TEST(a_call_crosses_tls_whole)
{
    server s = {0};
    kafka_tls_opts o = {0};
    util_err err;
    size_t got;

    s.cert_pem = srv_cert;
    s.key_pem = srv_key;
    s.reply_len = BIG_REPLY;
    server_start(&s);
    o.ca_file = ca_path;
    ck_assert_msg(round_trip(&s, "127.0.0.1",
                             &(kafka_tls_opts){.ca_file = ca_path, .server_name = "localhost"},
                             &got, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(got, BIG_REPLY);
    server_stop(&s);

    /* Dialled by name: the name is checked (and sent as SNI). */
    s.reply_len = 3;
    server_start(&s);
    ck_assert_msg(round_trip(&s, "localhost", &o, &got, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(got, 3);
    server_stop(&s);
}
END_TEST

START_TEST(an_unknown_ca_fails_the_handshake)
{
    server s = {0};
    kafka_tls_opts o = {.server_name = "localhost"};
    char want[128];
    util_err err;
    size_t got;

    s.cert_pem = srv_cert;
    s.key_pem = srv_key;
    server_start(&s);
    o.ca_file = other_path;
    ck_assert_int_eq(round_trip(&s, "127.0.0.1", &o, &got, &err), -1);
    snprintf(want, sizeof want,
             "broker 127.0.0.1:%d: TLS handshake: certificate verify failed: ", s.port);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "self-signed certificate") != NULL, "%s", err.msg);
    server_stop(&s);
}
END_TEST

START_TEST(a_certificate_for_another_name_fails_the_handshake)
{
    server s = {0};
    kafka_tls_opts o = {0};
    util_err err;
    size_t got;

    s.cert_pem = srv_cert;
    s.key_pem = srv_key;
    server_start(&s);
    o.ca_file = ca_path;
    o.server_name = "broker-1.example";
    ck_assert_int_eq(round_trip(&s, "127.0.0.1", &o, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "TLS handshake: certificate verify failed: hostname mismatch: "
                                  "the certificate does not name 'broker-1.example'") != NULL,
                  "%s", err.msg);
    server_stop(&s);

    /* An IP address must be in the certificate's IP field, not its CN. */
    server_start(&s);
    o.server_name = NULL;
    ck_assert_int_eq(round_trip(&s, "127.0.0.1", &o, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "the certificate does not name '127.0.0.1'") != NULL, "%s",
                  err.msg);
    server_stop(&s);
}
END_TEST

START_TEST(client_certificates_are_presented_when_configured)
{
    server s = {0};
    kafka_tls_opts o = {.server_name = "localhost"};
    util_err err;
    size_t got;

    s.cert_pem = srv_cert;
    s.key_pem = srv_key;
    s.client_ca_pem = cli_cert;
    s.reply_len = 16;
    o.ca_file = ca_path;
    server_start(&s);
    /* Without one: TLS 1.3 finishes the client's handshake first, so the
     * server's refusal may arrive at the first read. */
    ck_assert_int_eq(round_trip(&s, "127.0.0.1", &o, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate required") != NULL ||
                      strstr(err.msg, "connection closed by the broker") != NULL,
                  "%s", err.msg);
    server_stop(&s);

    server_start(&s);
    o.cert_file = client_cert_path;
    o.key_file = client_key_path;
    ck_assert_msg(round_trip(&s, "127.0.0.1", &o, &got, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(got, 16);
    server_stop(&s);
}
END_TEST

START_TEST(a_peer_that_hangs_up_mid_call_is_reported)
{
    server s = {0};
    kafka_tls_opts o = {.server_name = "localhost"};
    util_err err;
    size_t got;

    s.cert_pem = srv_cert;
    s.key_pem = srv_key;
    s.close_after_request = 1;
    o.ca_file = ca_path;
    server_start(&s);
    ck_assert_int_eq(round_trip(&s, "127.0.0.1", &o, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "Metadata v4: waiting for the response: connection closed by "
                                  "the broker") != NULL,
                  "%s", err.msg);
    server_stop(&s);
}
END_TEST

/* Waits up to ms for c's socket to turn readable, then reads it idle
 * until it has news or stays quiet for ms: what kafka_conn_idle_read
 * said last (0: only records of the session's own came, or nothing; *woke
 * says which). */
static int idle_news(kafka_conn *c, int ms, int *woke, util_err *err)
{
    struct pollfd p = {.fd = kafka_conn_fd(c), .events = POLLIN};
    int rc = 0;

    *woke = 0;
    while (rc == 0 && poll(&p, 1, ms) == 1) {
        *woke = 1;
        rc = kafka_conn_idle_read(c, err);
    }
    return rc;
}

/* Held open after a call: a session ticket the broker sends is no news;
 * its close_notify is, and so is a TCP close without one (a killed
 * process); either way the connection refuses calls afterwards. */
START_TEST(an_idle_connection_tells_a_session_ticket_from_the_end)
{
    static const unsigned char body[] = {0, 0, 0, 0};
    kafka_request req = {KAFKA_API_METADATA, 4, 0, body, sizeof body};
    kafka_tls_opts o = {.server_name = "localhost"};
    kafka_conn_opts co = {0};
    kafka_tls *t = NULL;
    util_err err;
    kafka_bytes resp;
    char addr[64];
    int woke;

    o.ca_file = ca_path;
    ck_assert_msg(kafka_tls_new(&o, &t, &err) == 0, "%s", err.msg);
    co.transport = &kafka_tls_transport;
    co.transport_config = t;
    for (int bare = 0; bare <= 1; bare++) {
        server s = {0};
        kafka_conn *c = NULL;

        s.cert_pem = srv_cert;
        s.key_pem = srv_key;
        s.reply_len = 3;
        s.idle_steps = 1;
        s.bare_close = bare;
        ck_assert_int_eq(pipe(s.go), 0);
        server_start(&s);
        snprintf(addr, sizeof addr, "127.0.0.1:%d", s.port);
        ck_assert_msg(kafka_conn_new(addr, &co, &c, &err) == 0, "%s", err.msg);
        ck_assert_msg(kafka_conn_call(c, &req, CALL_MS, &resp, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(idle_news(c, 200, &woke, &err), 0);
        ck_assert(!woke);
        ck_assert_int_eq(write(s.go[1], "t", 1), 1);
        ck_assert_msg(idle_news(c, 500, &woke, &err) == 0, "%s", err.msg);
        ck_assert(woke); /* the ticket came, and was no news */
        ck_assert(!kafka_conn_closed_by_peer(c));
        ck_assert_int_eq(write(s.go[1], "e", 1), 1);
        ck_assert_msg(idle_news(c, 5000, &woke, &err) == 1, "%s", err.msg);
        ck_assert(kafka_conn_closed_by_peer(c));
        ck_assert_int_eq(kafka_conn_idle_read(c, &err), 1);
        ck_assert_int_eq(kafka_conn_call(c, &req, CALL_MS, &resp, &err), -1);
        ck_assert_msg(strstr(err.msg, "connection closed by the broker while idle") != NULL, "%s",
                      err.msg);
        kafka_conn_free(c);
        server_stop(&s);
        close(s.go[0]);
        close(s.go[1]);
    }
    kafka_tls_free(t);
}
END_TEST

/* Fails unless msg starts with the formatted text. */
static void expect_prefix(const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void expect_prefix(const char *msg, const char *fmt, ...)
{
    char want[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "'%s' does not start with '%s'", msg,
                  want);
}

START_TEST(bad_settings_are_named)
{
    kafka_tls_opts o = {0};
    kafka_tls *t = NULL;
    util_err err;

    o.ca_file = "/nonexistent/ca.pem";
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_str_eq(err.msg, "TLS: ca_file '/nonexistent/ca.pem': No such file or directory");
    o.ca_file = client_key_path; /* a key, not a certificate */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: ca_file '%s': no certificate or crl found", client_key_path);
    o.ca_file = ca_path;
    o.cert_file = client_cert_path;
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_str_eq(err.msg, "TLS: a client certificate needs both cert_file and key_file");
    o.key_file = client_cert_path; /* a certificate, not a key */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: key_file '%s': no unencrypted PEM private key", client_cert_path);
    o.key_file = ca_path; /* not this certificate's key (nor a key at all) */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: key_file '%s': no unencrypted PEM private key", ca_path);
    o.cert_file = ca_path;
    o.key_file = client_key_path; /* a key, but the client's */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: key_file '%s': key values mismatch", client_key_path);
    ck_assert_ptr_null(t);
    kafka_tls_free(NULL);
}
END_TEST

/* cli_key encrypted with a passphrase, as PEM; a new string for free(). */
static char *encrypted_key(void)
{
    BIO *in = BIO_new_mem_buf(cli_key, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *k = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    char *data, *pem;
    long n;

    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(
        PEM_write_bio_PrivateKey(out, k, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"passphrase"),
        1);
    n = BIO_get_mem_data(out, &data);
    pem = strndup(data, (size_t)n);
    EVP_PKEY_free(k);
    BIO_free(in);
    BIO_free(out);
    return pem;
}

/* Settings in memory: each of CA, certificate and key comes from a file or
 * from memory, never both, and the certificate with its key; text that is
 * not what the setting wants is named like a bad file. */
START_TEST(pem_settings_are_checked_like_files)
{
    static const struct {
        kafka_tls_opts o;
        const char *want;
    } contradictions[] = {
        {{.ca_file = "/ca.pem", .ca_pem = "x"}, "TLS: ca_file and ca_pem both given; give one"},
        {{.cert_file = "/c", .key_file = "/k", .cert_pem = "c", .key_pem = "k"},
         "TLS: cert_file and cert_pem both given; give one"},
        {{.key_file = "/k", .key_pem = "k"}, "TLS: key_file and key_pem both given; give one"},
        {{.cert_pem = "c"}, "TLS: a client certificate needs both cert_pem and key_pem"},
        {{.key_pem = "k"}, "TLS: a client certificate needs both cert_pem and key_pem"},
        {{.cert_file = "/c", .key_pem = "k"},
         "TLS: a client certificate needs both cert_file and key_file"},
    };
    kafka_tls_opts o = {0};
    kafka_tls *t = NULL;
    util_err err;
    char *chain, *locked;
    size_t n;

    for (size_t i = 0; i < sizeof contradictions / sizeof contradictions[0]; i++) {
        ck_assert_int_eq(kafka_tls_new(&contradictions[i].o, &t, &err), -1);
        ck_assert_str_eq(err.msg, contradictions[i].want);
        ck_assert_ptr_null(t);
    }

    o.ca_pem = cli_key; /* a key, not a certificate */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_str_eq(err.msg, "TLS: ca_pem: no certificate or crl found");
    o.ca_pem = "";
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_str_eq(err.msg, "TLS: ca_pem: no certificate or crl found");
    o.ca_pem = srv_cert;
    o.cert_pem = cli_key;
    o.key_pem = cli_key;
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: cert_pem: %s", "no start line");
    o.cert_pem = cli_cert;
    o.key_pem = cli_cert; /* a certificate, not a key */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: key_pem: %s", "no unencrypted PEM private key");
    o.cert_pem = other_cert;
    o.key_pem = cli_key; /* a key, but the client's */
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_str_eq(err.msg, "TLS: key_pem: key values mismatch");
    /* An encrypted key is refused, not a reason to prompt for a password. */
    locked = encrypted_key();
    o.cert_pem = cli_cert;
    o.key_pem = locked;
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: key_pem: %s", "no unencrypted PEM private key");
    free(locked);

    /* The certificate may come with its chain; a broken one is named. */
    n = strlen(cli_cert) + strlen(other_cert) + 64;
    chain = malloc(n);
    snprintf(chain, n, "%s%s", cli_cert, other_cert);
    o.cert_pem = chain;
    o.key_pem = cli_key;
    ck_assert_msg(kafka_tls_new(&o, &t, &err) == 0, "%s", err.msg);
    kafka_tls_free(t);
    t = NULL;
    snprintf(chain, n, "%s-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
             cli_cert);
    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    expect_prefix(err.msg, "TLS: cert_pem: chain: %s", "");
    ck_assert_ptr_null(t);
    free(chain);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_tls");
    TCase *tc = tcase_create("tls");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_call_crosses_tls_whole);
    tcase_add_test(tc, an_unknown_ca_fails_the_handshake);
    tcase_add_test(tc, a_certificate_for_another_name_fails_the_handshake);
    tcase_add_test(tc, client_certificates_are_presented_when_configured);
    tcase_add_test(tc, a_peer_that_hangs_up_mid_call_is_reported);
    tcase_add_test(tc, an_idle_connection_tells_a_session_ticket_from_the_end);
    tcase_add_test(tc, bad_settings_are_named);
    tcase_add_test(tc, pem_settings_are_checked_like_files);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
