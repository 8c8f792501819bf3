/* A watch whose kubeconfig user is an exec plugin handing out short-lived
 * client certificates, against a loopback TLS API server that requires a
 * certificate from a test CA and streams one event per connection, named
 * after the certificate's common name, before it closes the connection.
 * The plugin (a shell script) gives "user-1" first and "user-2" when run
 * again. Every new connection of the watch presents the plugin's current
 * certificate: once user-1's expirationTimestamp passes the plugin runs
 * again and the watch goes on as user-2, from the last resourceVersion
 * delivered; when the server refuses user-1 before its expiry, by ending
 * the TLS handshake or by a 401, the watch drops it and reconnects at once
 * (no backoff) as user-2, and so does an ordinary request. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/watch.h"
#include "pki/pki.h"
#include "support/curl_suite.h"
#include "support/kube_test.h"
#include "support/loopback.h"
#include "support/pki.h"
#include "support/tmpdir.h"

#define CN_MAX 64

/* ---- the server ---- */

/* How the server refuses the certificate named `refuse` once it has served
 * `refuse_after` connections. */
enum refusal { REFUSE_NONE, REFUSE_TLS, REFUSE_401 };

typedef struct server {
    int lfd, port;
    SSL_CTX *ctx;
    pthread_t thread;
    enum refusal how;
    const char *refuse;
    int refuse_after;
    long hold_ms; /* how long a connection stays open after its event */
    atomic_int served, refused_tls, refused_401;
    atomic_int rv; /* the last resourceVersion sent */
    char last_request[1024];
} server;

/* The verify callback has no argument of its own; one server per test. */
static server *the_server;

static void cn_of(X509 *x, char *cn, size_t size)
{
    cn[0] = '\0';
    if (x != NULL)
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, (int)size);
}

/* The CA's check, and then the revocation the test asked for. */
static int verify(int ok, X509_STORE_CTX *xs)
{
    server *s = the_server;
    char cn[CN_MAX];

    if (!ok || X509_STORE_CTX_get_error_depth(xs) != 0 || s->how != REFUSE_TLS)
        return ok;
    cn_of(X509_STORE_CTX_get_current_cert(xs), cn, sizeof cn);
    if (atomic_load(&s->served) >= s->refuse_after && strcmp(cn, s->refuse) == 0) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REVOKED);
        return 0;
    }
    return ok;
}

static void put(SSL *ssl, const char *text)
{
    size_t n;

    SSL_write_ex(ssl, text, strlen(text), &n);
}

/* One connection: the request read, then a 401 or an event named after
 * the client's certificate, held open hold_ms, closed. */
static void serve_conn(server *s, int fd)
{
    SSL *ssl = SSL_new(s->ctx);
    char cn[CN_MAX], buf[4096], out[512];
    size_t len = 0, got;
    struct timeval tv = {2, 0};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL_set_fd(ssl, fd);
    buf[0] = '\0';
    if (SSL_accept(ssl) != 1) {
        atomic_fetch_add(&s->refused_tls, 1);
        /* Let the alert reach the client before the close resets it. */
        shutdown(fd, SHUT_WR);
        while (read(fd, buf, sizeof buf) > 0)
            ;
        goto out;
    }
    while (len < sizeof buf - 1 && strstr(buf, "\r\n\r\n") == NULL &&
           SSL_read_ex(ssl, buf + len, sizeof buf - 1 - len, &got) == 1) {
        len += got;
        buf[len] = '\0';
    }
    snprintf(s->last_request, sizeof s->last_request, "%.*s", (int)strcspn(buf, "\r"), buf);
    cn_of(SSL_get0_peer_certificate(ssl), cn, sizeof cn);
    if (s->how == REFUSE_401 && atomic_load(&s->served) >= s->refuse_after &&
        strcmp(cn, s->refuse) == 0) {
        atomic_fetch_add(&s->refused_401, 1);
        put(ssl, "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                 "Connection: close\r\n\r\n{\"kind\":\"Status\",\"code\":401,"
                 "\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\"}");
    } else {
        atomic_fetch_add(&s->served, 1);
        snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                 "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{"
                 "\"name\":\"%s\",\"resourceVersion\":\"%d\"}}}\n",
                 cn, atomic_fetch_add(&s->rv, 1) + 1);
        put(ssl, out);
        usleep((useconds_t)s->hold_ms * 1000);
    }
    SSL_shutdown(ssl);
out:
    SSL_free(ssl);
    close(fd);
    ERR_clear_error();
}

static void *serve(void *arg)
{
    server *s = arg;
    int fd;

    while ((fd = accept(s->lfd, NULL, NULL)) >= 0)
        serve_conn(s, fd);
    return NULL;
}

/* A server for 127.0.0.1 with certificate cert and key (PEM) that requires
 * a client certificate signed by client_ca. */
static void server_start(server *s, const char *cert, const char *key, const char *client_ca)
{
    the_server = s;
    s->ctx = pki_server_ctx(cert, key, client_ca);
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify);
    SSL_CTX_set_num_tickets(s->ctx, 0);
    s->lfd = lo_listen(16, &s->port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
    the_server = NULL;
}

/* ---- the plugin and the kubeconfig ---- */

static char *dir;
static char *ca_pem, *ca_key;    /* signs the users' certificates */
static char *srv_cert, *srv_key; /* the server's, its own CA */

static void setup(void)
{
    const char *ips[] = {"127.0.0.1"};
    long long now = (long long)time(NULL);
    pki_request r = {.common_name = "api",
                     .ip_addrs = ips,
                     .nips = 1,
                     .server = true,
                     .not_before = now - 3600,
                     .not_after = now + 86400};
    util_err err = {{0}};

    unsetenv("KUBECONFIG");
    dir = tmpdir_new();
    pki_self_signed("users-ca", &ca_pem, &ca_key);
    ck_assert_msg(pki_self_signed_new(&r, &srv_cert, &srv_key, &err) == 0, "%s", err.msg);
}

static void teardown(void)
{
    tmpdir_remove(dir);
    free(ca_pem);
    free(ca_key);
    free(srv_cert);
    free(srv_key);
}

/* The ExecCredential of the plugin's n-th run (and of every later run for
 * the last n written): a certificate for cn valid until not_after, and
 * expirationTimestamp `expires` (Unix seconds; 0: none). */
static void write_credential(int n, const char *cn, long long not_after, long long expires)
{
    long long now = (long long)time(NULL);
    pki_request r = {
        .common_name = cn, .client = true, .not_before = now - 3600, .not_after = not_after};
    char *cert, *key, *text, name[32], stamp[32];
    cJSON *cred = cJSON_CreateObject(), *status;
    util_err err = {{0}};

    ck_assert_msg(pki_issue(ca_pem, ca_key, &r, &cert, &key, &err) == 0, "%s", err.msg);
    cJSON_AddStringToObject(cred, "apiVersion", "client.authentication.k8s.io/v1");
    cJSON_AddStringToObject(cred, "kind", "ExecCredential");
    status = cJSON_AddObjectToObject(cred, "status");
    cJSON_AddStringToObject(status, "clientCertificateData", cert);
    cJSON_AddStringToObject(status, "clientKeyData", key);
    if (expires != 0) {
        time_t t = (time_t)expires;
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON_AddStringToObject(status, "expirationTimestamp", stamp);
    }
    text = cJSON_PrintUnformatted(cred);
    snprintf(name, sizeof name, "cred%d.json", n);
    tmpdir_writef(dir, name, "%s", text);
    free(text);
    free(cert);
    free(key);
    cJSON_Delete(cred);
}

/* A client of s as the kubeconfig's exec user. */
static kube_client *client_for(const server *s)
{
    char *path = tmpdir_path(dir, "config"), *ca_b64 = pki_base64(srv_cert, strlen(srv_cert));
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    util_err err = {{0}};

    /* cred<run>.json, or cred2.json from the second run on */
    kt_exec_plugin(dir, "plugin.sh",
                   "if [ $n -gt 2 ]; then n=2; fi\n"
                   "cat \"$d/cred$n.json\"");
    tmpdir_writef(dir, "config",
                  "apiVersion: v1\nkind: Config\n"
                  "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:%d', "
                  "certificate-authority-data: %s}}]\n"
                  "users: [{name: u, user: {exec: {command: ./plugin.sh, "
                  "apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}}}]\n"
                  "contexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]\n"
                  "current-context: x\n",
                  s->port, ca_b64);
    ck_assert_msg(kube_config_load(path, NULL, &cfg, &err) == 0, "%s", err.msg);
    ck_assert_msg(kube_client_new(cfg, NULL, &c, &err) == 0, "%s", err.msg);
    kube_config_free(cfg);
    free(ca_b64);
    free(path);
    return c;
}

/* ---- the watch ---- */

/* The events seen, "<name> <rv>", on the watch's thread; the watch stops
 * itself once an event from want_cn came. */
typedef struct run {
    kube_watch *w;
    const char *want_cn;
    char lines[64][CN_MAX];
    atomic_int n;
    int rc;
    util_err err;
} run;

static int on_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    run *r = ctx;
    const cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(ev->object, "metadata"), "name");
    int n = atomic_load(&r->n);

    (void)err;
    if (n < 64) {
        snprintf(r->lines[n], sizeof r->lines[0], "%s %s", cJSON_GetStringValue(name),
                 ev->resource_version);
        atomic_store(&r->n, n + 1);
    }
    if (strcmp(cJSON_GetStringValue(name), r->want_cn) == 0)
        kube_watch_stop(r->w);
    return 0;
}

static void *watch_thread(void *arg)
{
    run *r = arg;

    r->rc = kube_watch_run(r->w, "0", on_event, r, NULL, &r->err);
    return NULL;
}

/* Watches until an event from want_cn or until deadline_s passed, then
 * stops the watch. */
static void watch_until(kube_client *c, run *r, const char *want_cn, long backoff_ms,
                        int deadline_s)
{
    kube_watch_opts o = {.timeout_seconds = 60, .backoff_base_ms = backoff_ms};
    pthread_t t;
    time_t end = time(NULL) + deadline_s;

    memset(r, 0, sizeof *r);
    r->want_cn = want_cn;
    ck_assert_msg(kube_watch_new(c, "/api/v1/namespaces/ns/configmaps", &o, &r->w, &r->err) == 0,
                  "%s", r->err.msg);
    ck_assert_int_eq(pthread_create(&t, NULL, watch_thread, r), 0);
    while (!kube_watch_stopped(r->w) && time(NULL) < end)
        usleep(20000);
    kube_watch_stop(r->w);
    pthread_join(t, NULL);
}

/* The name of the last event seen. */
static const char *last_name(run *r, char *buf, size_t size)
{
    int n = atomic_load(&r->n);

    snprintf(buf, size, "%.*s", n > 0 ? (int)strcspn(r->lines[n - 1], " ") : 0,
             n > 0 ? r->lines[n - 1] : "");
    return buf;
}

START_TEST(watch_goes_on_with_the_renewed_certificate_once_the_old_one_expires)
{
    long long now = (long long)time(NULL);
    server s = {.hold_ms = 300};
    kube_client *c;
    run r;
    char name[CN_MAX], want[64];
    int n;

    /* The certificate and the credential expire together, in 2 s. */
    write_credential(1, "user-1", now + 2, now + 2);
    write_credential(2, "user-2", now + 86400, now + 86400);
    server_start(&s, srv_cert, srv_key, ca_pem);
    c = client_for(&s);
    watch_until(c, &r, "user-2", 200, 15);
    n = atomic_load(&r.n);
    ck_assert_msg(r.rc == 0, "%d %s", r.rc, r.err.msg);
    ck_assert_msg(strcmp(last_name(&r, name, sizeof name), "user-2") == 0,
                  "the watch never presented the renewed certificate; last event from '%s'", name);
    ck_assert_int_ge(n, 2);
    ck_assert_msg(strncmp(r.lines[0], "user-1 ", 7) == 0, "%s", r.lines[0]);
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 2);
    /* The new connection resumed after the last event of the old one. */
    snprintf(want, sizeof want, "resourceVersion=%.*s&", (int)strcspn(r.lines[n - 2] + 7, " "),
             r.lines[n - 2] + 7);
    ck_assert_msg(strstr(s.last_request, want) != NULL, "%s: no %s", s.last_request, want);
    kube_watch_free(r.w);
    kube_client_free(c);
    server_stop(&s);
}
END_TEST

/* The server refuses user-1 from its second connection on although the
 * credential has not expired: the refusal alone must renew it, at once
 * (the backoff of 20 s would outlast the test's deadline). */
static void refused_before_expiry(enum refusal how)
{
    long long now = (long long)time(NULL);
    server s = {.hold_ms = 100, .how = how, .refuse = "user-1", .refuse_after = 1};
    kube_client *c;
    run r;
    char name[CN_MAX];

    write_credential(1, "user-1", now + 86400, now + 86400);
    write_credential(2, "user-2", now + 86400, 0);
    server_start(&s, srv_cert, srv_key, ca_pem);
    c = client_for(&s);
    watch_until(c, &r, "user-2", 20000, 8);
    ck_assert_msg(r.rc == 0, "%d %s", r.rc, r.err.msg);
    ck_assert_msg(strcmp(last_name(&r, name, sizeof name), "user-2") == 0,
                  "the watch did not renew the refused certificate at once; last event from '%s'",
                  name);
    ck_assert_int_eq(atomic_load(&r.n), 2);
    ck_assert_str_eq(r.lines[0], "user-1 1");
    ck_assert_str_eq(r.lines[1], "user-2 2");
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 2);
    ck_assert_uint_eq(kube_watch_connects(r.w), 3);
    ck_assert_int_eq(atomic_load(how == REFUSE_TLS ? &s.refused_tls : &s.refused_401), 1);
    ck_assert_ptr_nonnull(strstr(s.last_request, "resourceVersion=1&"));
    kube_watch_free(r.w);
    kube_client_free(c);
    server_stop(&s);
}

START_TEST(watch_renews_a_certificate_refused_in_the_tls_handshake)
{
    refused_before_expiry(REFUSE_TLS);
}
END_TEST

START_TEST(watch_renews_a_credential_answered_with_401)
{
    refused_before_expiry(REFUSE_401);
}
END_TEST

/* An ordinary request takes the same way: refused in the handshake, it
 * runs the plugin and is sent once more. */
START_TEST(request_renews_a_certificate_refused_in_the_tls_handshake)
{
    long long now = (long long)time(NULL);
    server s = {.how = REFUSE_TLS, .refuse = "user-1", .refuse_after = 1};
    kube_client *c;
    kube_response resp;
    util_err err = {{0}};

    write_credential(1, "user-1", now + 86400, 0);
    write_credential(2, "user-2", now + 86400, 0);
    server_start(&s, srv_cert, srv_key, ca_pem);
    c = client_for(&s);
    ck_assert_msg(kube_request(c, "GET", "/api", NULL, NULL, &resp, &err) == 200, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(resp.body, "\"user-1\""));
    kube_response_free(&resp);
    ck_assert_msg(kube_request(c, "GET", "/api", NULL, NULL, &resp, &err) == 200, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(resp.body, "\"user-2\""));
    kube_response_free(&resp);
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 2);
    ck_assert_int_eq(atomic_load(&s.refused_tls), 1);
    kube_client_free(c);
    server_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_watch_exec_cert");
    TCase *tc = tcase_create("exec_cert");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, watch_goes_on_with_the_renewed_certificate_once_the_old_one_expires);
    tcase_add_test(tc, watch_renews_a_certificate_refused_in_the_tls_handshake);
    tcase_add_test(tc, watch_renews_a_credential_answered_with_401);
    tcase_add_test(tc, request_renews_a_certificate_refused_in_the_tls_handshake);
    suite_add_tcase(s, tc);
    return curl_suite_run(s);
}
