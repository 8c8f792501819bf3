/* The HTTP side of the Kubernetes client; see client.h.
 *
 * Options that never change (TLS material, timeouts, user agent) are set once
 * on the easy handle when the client is made; each request sets every option
 * that varies, so nothing leaks from one request into the next. Reusing the
 * handle is what keeps the TLS connection open between requests. */
#include "kube/client.h"
#include "kube/client_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "kube/ratelimit.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/version.h"

#define DEFAULT_MAX_BODY ((size_t)64 << 20)

struct kube_client {
    pthread_mutex_t mu; /* held for a whole request: the handle does one at a time */
    CURL *h;
    kube_config *cfg;
    char *base;        /* URL prefix for paths: the server, or with tls-server-name as host */
    char *host_header; /* "Host: <server's host>" when the URL names tls-server-name */
    struct curl_slist *connect_to;
    size_t max_body;
    char errbuf[CURL_ERROR_SIZE];
    pthread_mutex_t rl_mu; /* guards rl only, never held while waiting */
    kube_bucket rl;
    unsigned long exec_serial; /* of the exec plugin's certificate on h; 0: none yet */
};

/* libcurl has no option to set the TLS server name (SNI and the name the
 * certificate is checked against) apart from the URL's host. So with
 * tls-server-name the URL names that host, CURLOPT_CONNECT_TO sends the
 * connection to the server's real address, and the Host header keeps the
 * server's own authority, as kubectl sends it. */
static int setup_server_name(kube_client *c, util_err *err)
{
    const char *server = c->cfg->server, *name = c->cfg->tls_server_name;
    const char *auth, *prefix, *port = NULL, *host_end;
    size_t alen, plen = 0;
    char *ct;

    if (name == NULL || strncmp(server, "https://", 8) != 0) {
        c->base = util_printf("%s", server);
        return c->base == NULL ? util_err_set(err, "out of memory") : 0;
    }
    auth = server + 8;
    alen = strcspn(auth, "/");
    prefix = auth + alen;
    if (auth[0] == '[') {
        const char *rb = memchr(auth, ']', alen);

        if (rb == NULL)
            return util_err_set(err, "server %s: unbalanced '['", server);
        host_end = rb + 1;
    } else {
        host_end = memchr(auth, ':', alen);
        if (host_end == NULL)
            host_end = prefix;
    }
    if (host_end < prefix && *host_end == ':') {
        port = host_end + 1;
        plen = (size_t)(prefix - port);
    }
    if (port == NULL || plen == 0) {
        port = "443";
        plen = 3;
    }
    c->base = util_printf("https://%s:%.*s%s", name, (int)plen, port, prefix);
    c->host_header = util_printf("Host: %.*s", (int)alen, auth);
    ct = util_printf("%s:%.*s:%.*s:%.*s", name, (int)plen, port, (int)(host_end - auth), auth,
                     (int)plen, port);
    if (ct != NULL)
        c->connect_to = curl_slist_append(NULL, ct);
    free(ct);
    if (c->base == NULL || c->host_header == NULL || c->connect_to == NULL)
        return util_err_set(err, "out of memory");
    return 0;
}

/* Sets the options that stay for a handle's life; errbuf (CURL_ERROR_SIZE
 * bytes) must outlive the handle. */
static int setup_handle(const kube_client *c, CURL *h, char *errbuf, long timeout_ms, util_err *err)
{
    const kube_config *cfg = c->cfg;
    CURLcode rc = CURLE_OK;
    const char *opt = "";

#define SET(o, v)                                                                                  \
    do {                                                                                           \
        if (rc == CURLE_OK) {                                                                      \
            rc = curl_easy_setopt(h, o, v);                                                        \
            opt = #o;                                                                              \
        }                                                                                          \
    } while (0)

    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_PROTOCOLS_STR, "https,http");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, KUBE_CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS, timeout_ms);
    SET(CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, cfg->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, cfg->insecure ? 0L : 2L);
    if (cfg->ca_pem != NULL) {
        struct curl_blob ca = {cfg->ca_pem, cfg->ca_pem_len, CURL_BLOB_COPY};

        /* Only the configured CAs: without this libcurl would also trust
         * its default bundle, which kubectl does not. */
        SET(CURLOPT_CAINFO, NULL);
        SET(CURLOPT_CAPATH, NULL);
        SET(CURLOPT_CAINFO_BLOB, &ca);
    }
    if (cfg->cert_pem != NULL) {
        struct curl_blob cert = {cfg->cert_pem, cfg->cert_pem_len, CURL_BLOB_COPY};
        struct curl_blob key = {cfg->key_pem, cfg->key_pem_len, CURL_BLOB_COPY};

        SET(CURLOPT_SSLCERTTYPE, "PEM");
        SET(CURLOPT_SSLCERT_BLOB, &cert);
        SET(CURLOPT_SSLKEYTYPE, "PEM");
        SET(CURLOPT_SSLKEY_BLOB, &key);
    }
    if (c->connect_to != NULL)
        SET(CURLOPT_CONNECT_TO, c->connect_to);
#undef SET
    if (rc != CURLE_OK)
        return util_err_set(err, "libcurl: %s: %s", opt, curl_easy_strerror(rc));
    return 0;
}

/* Puts the exec plugin's client certificate, if it returned one, on h,
 * unless h already has the one of *serial (0: none yet). The plugin runs if
 * its credential expired or was refused. When the certificate changes, the
 * next request on h must not reuse a connection made with the old one:
 * CURLOPT_FRESH_CONNECT says so. This is every request's way to its
 * credential, kube_request's and a watch's alike. */
int kube_client_apply_credential(kube_client *c, CURL *h, unsigned long *serial, util_err *err)
{
    kube_exec_credential cred;
    unsigned long now_serial;
    bool changed = false;
    CURLcode rc = CURLE_OK;

    if (c->cfg->exec == NULL)
        return 0;
    if (kube_exec_get(c->cfg->exec, &cred, &now_serial, err) != 0)
        return -1;
    if (now_serial != *serial && cred.cert_pem != NULL) {
        struct curl_blob cert = {cred.cert_pem, cred.cert_pem_len, CURL_BLOB_COPY};
        struct curl_blob key = {cred.key_pem, cred.key_pem_len, CURL_BLOB_COPY};

        rc = curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        changed = *serial != 0;
    }
    *serial = now_serial;
    kube_exec_credential_clear(&cred);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, changed ? 1L : 0L);
    if (rc != CURLE_OK)
        return util_err_set(err, "libcurl: exec plugin's client certificate: %s",
                            curl_easy_strerror(rc));
    return 0;
}

/* Whether a request that got no HTTP answer failed because the server
 * ended the TLS handshake over our client certificate. With TLS 1.3 the
 * server judges the certificate after the client's side of the handshake
 * is done, so its alert (certificate_expired, bad_certificate, unknown_ca,
 * certificate_required...) arrives as a failed read or write of the
 * request rather than as a failed connect; OpenSSL's text for a received
 * alert is "... alert <description>", which libcurl copies into errbuf. */
static bool tls_refused(CURLcode res, const char *errbuf)
{
    switch (res) {
    case CURLE_SSL_CLIENTCERT:
        return true;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return strstr(errbuf, " alert ") != NULL;
    default:
        return false;
    }
}

bool kube_client_credential_refused(kube_client *c, long status, CURLcode res, const char *errbuf)
{
    if (c->cfg->exec == NULL)
        return false;
    if (status != 401 && !(status == 0 && tls_refused(res, errbuf)))
        return false;
    kube_exec_invalidate(c->cfg->exec);
    return true;
}

int kube_client_new(const kube_config *cfg, const kube_client_options *opts, kube_client **out,
                    util_err *err)
{
    kube_client *c = calloc(1, sizeof *c);
    long timeout_ms = opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms : KUBE_TIMEOUT_MS;

    *out = NULL;
    if (c == NULL)
        return util_err_set(err, "out of memory");
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return util_err_set(err, "pthread_mutex_init failed");
    }
    if (pthread_mutex_init(&c->rl_mu, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        free(c);
        return util_err_set(err, "pthread_mutex_init failed");
    }
    if (kube_bucket_init(&c->rl,
                         opts == NULL || opts->qps == 0 ? KUBE_CLIENT_DEFAULT_QPS : opts->qps,
                         opts == NULL || opts->burst == 0 ? KUBE_CLIENT_DEFAULT_BURST : opts->burst,
                         util_mono_ns(), err) != 0)
        goto fail;
    c->max_body = opts != NULL && opts->max_body > 0 ? opts->max_body : DEFAULT_MAX_BODY;
    if (kube_config_dup(cfg, &c->cfg, err) != 0 || setup_server_name(c, err) != 0)
        goto fail;
    c->h = curl_easy_init();
    if (c->h == NULL) {
        util_err_set(err, "libcurl: curl_easy_init failed");
        goto fail;
    }
    if (setup_handle(c, c->h, c->errbuf, timeout_ms, err) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    util_err_prefix(err, "kube client for %s", cfg->server);
    kube_client_free(c);
    return -1;
}

void kube_client_free(kube_client *c)
{
    if (c == NULL)
        return;
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    curl_slist_free_all(c->connect_to);
    free(c->base);
    free(c->host_header);
    kube_config_free(c->cfg);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->rl_mu);
    free(c);
}

const kube_config *kube_client_config(const kube_client *c)
{
    return c->cfg;
}

void kube_response_free(kube_response *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

/* Where the response body collects; bounded so a runaway answer fails the
 * request instead of the process. */
typedef struct body_sink {
    char *p;
    size_t len, cap, max;
    bool too_big;
} body_sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *u)
{
    body_sink *b = u;
    size_t n = size * nmemb;

    if (n > b->max - b->len) {
        b->too_big = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *np;

        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (np == NULL)
            return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static bool known_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "PATCH") == 0 || strcmp(m, "DELETE") == 0;
}

/* The header list for one request. The bearer token is wiped from memory
 * once the request is done. */
static void free_headers(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p != NULL; p = p->next)
        OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static struct curl_slist *add_header(struct curl_slist *l, const char *h, bool *oom)
{
    struct curl_slist *n;

    if (*oom)
        return l;
    n = curl_slist_append(l, h);
    if (n == NULL)
        *oom = true;
    return n == NULL ? l : n;
}

static int build_headers(kube_client *c, const char *content_type, bool has_body,
                         struct curl_slist **out, util_err *err)
{
    struct curl_slist *l = NULL;
    char *token = NULL, *auth = NULL, *ct = NULL;
    bool oom = false;

    if (kube_config_token(c->cfg, &token, err) != 0)
        return util_err_prefix(err, "bearer token");
    l = add_header(l, "Accept: application/json", &oom);
    /* No "Expect: 100-continue" round trip before a large body. */
    l = add_header(l, "Expect:", &oom);
    if (c->host_header != NULL)
        l = add_header(l, c->host_header, &oom);
    if (has_body && content_type != NULL) {
        ct = util_printf("Content-Type: %s", content_type);
        oom = oom || ct == NULL;
        if (ct != NULL)
            l = add_header(l, ct, &oom);
    }
    if (token != NULL) {
        auth = util_printf("Authorization: Bearer %s", token);
        oom = oom || auth == NULL;
        if (auth != NULL)
            l = add_header(l, auth, &oom);
        OPENSSL_cleanse(token, strlen(token));
    }
    if (auth != NULL)
        OPENSSL_cleanse(auth, strlen(auth));
    free(token);
    free(auth);
    free(ct);
    if (oom) {
        free_headers(l);
        return util_err_set(err, "out of memory");
    }
    *out = l;
    return 0;
}

/* Waits for the rate limit's permission to send one request. */
static void rate_wait(kube_client *c)
{
    int64_t wait;
    struct timespec ts;

    pthread_mutex_lock(&c->rl_mu);
    wait = kube_bucket_reserve(&c->rl, util_mono_ns());
    pthread_mutex_unlock(&c->rl_mu);
    if (wait <= 0)
        return;
    ts.tv_sec = wait / UTIL_NS_PER_SEC;
    ts.tv_nsec = wait % UTIL_NS_PER_SEC;
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* One exchange; *refused tells whether it failed over the exec plugin's
 * credential (kube_client_credential_refused, which dropped it). */
static int do_request(kube_client *c, const char *method, const char *path,
                      const char *content_type, const char *body, kube_response *resp,
                      bool *refused, util_err *err)
{
    struct curl_slist *headers = NULL;
    body_sink sink = {.max = c->max_body};
    char *url;
    CURLcode rc;
    long status = 0, connects = 0;

    memset(resp, 0, sizeof *resp);
    *refused = false;
    if (!known_method(method))
        return util_err_set(err, "%s %s: unsupported method", method, path);
    if (path[0] != '/' || strpbrk(path, " \t\r\n") != NULL)
        return util_err_set(err, "%s %s: path must start with '/' and be escaped", method, path);
    rate_wait(c);
    if (build_headers(c, content_type, body != NULL, &headers, err) != 0)
        return util_err_prefix(err, "%s %s", method, path);
    url = util_printf("%s%s", c->base, path);
    if (url == NULL) {
        free_headers(headers);
        return util_err_set(err, "%s %s: out of memory", method, path);
    }

    pthread_mutex_lock(&c->mu);
    if (kube_client_apply_credential(c, c->h, &c->exec_serial, err) != 0) {
        pthread_mutex_unlock(&c->mu);
        free(url);
        free_headers(headers);
        return util_err_prefix(err, "%s %s", method, path);
    }
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &sink);
    /* HTTPGET undoes any body of the previous request; POSTFIELDS then sets
     * this one's, and CUSTOMREQUEST the verb. */
    curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") == 0 ? NULL : method);
    if (body != NULL) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    }
    rc = curl_easy_perform(c->h);
    /* The API server refuses some requests (401, 403) before reading their
     * body and then resets the HTTP/2 stream; libcurl before 8.7 reports
     * that as a partial transfer although the answer came whole. The
     * refusal is what matters. */
    if (rc == CURLE_PARTIAL_FILE && !sink.too_big) {
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 400)
            rc = CURLE_OK;
    }
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &connects);
    } else if (sink.too_big)
        util_err_set(err, "%s %s: response larger than %zu bytes", method, path, sink.max);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        /* libcurl words it by the phase it was in ("SSL connection
         * timeout", "Operation timed out after ..."): one wording. */
        util_err_set(err, "%s %s: timed out (%s)", method, path,
                     c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc));
    else
        util_err_set(err, "%s %s: %s", method, path,
                     c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc));
    *refused = !sink.too_big && kube_client_credential_refused(c, status, rc, c->errbuf);
    /* Nothing borrowed from this call may stay on the handle. */
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    pthread_mutex_unlock(&c->mu);

    free(url);
    free_headers(headers);
    if (rc != CURLE_OK) {
        free(sink.p);
        return KUBE_ERR;
    }
    if (sink.p == NULL && (sink.p = calloc(1, 1)) == NULL)
        return util_err_set(err, "%s %s: out of memory", method, path);
    resp->status = status;
    resp->body = sink.p;
    resp->body_len = sink.len;
    resp->reused = connects == 0;
    return (int)status;
}

int kube_request(kube_client *c, const char *method, const char *path, const char *content_type,
                 const char *body, kube_response *resp, util_err *err)
{
    bool refused;
    int rc = do_request(c, method, path, content_type, body, resp, &refused, err);

    /* A plugin's credential the API refuses may have been revoked before
     * its expiry: try once more with a fresh one, as client-go does. */
    if (refused) {
        kube_response_free(resp);
        rc = do_request(c, method, path, content_type, body, resp, &refused, err);
    }
    return rc;
}

/* The reason Kubernetes gives each status code, for answers that carry no
 * Status object. */
static const char *reason_for(long code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Expired";
    case 413:
        return "RequestEntityTooLarge";
    case 415:
        return "UnsupportedMediaType";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 500:
        return "InternalError";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return "Unknown";
    }
}

/* Copies at most dst_size - 1 bytes, turning control characters into spaces
 * so a message stays one line. */
static void copy_line(char *dst, size_t dst_size, const char *src, size_t len)
{
    size_t n = len < dst_size - 1 ? len : dst_size - 1;

    for (size_t i = 0; i < n; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
    dst[n] = '\0';
}

void kube_status_decode(const kube_response *r, kube_status *st)
{
    cJSON *j = r->body != NULL ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(j, "message");

    memset(st, 0, sizeof *st);
    st->code = (int)r->status;
    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Status") == 0) {
        if (cJSON_IsString(reason) && reason->valuestring[0] != '\0')
            copy_line(st->reason, sizeof st->reason, reason->valuestring,
                      strlen(reason->valuestring));
        if (cJSON_IsString(message))
            copy_line(st->message, sizeof st->message, message->valuestring,
                      strlen(message->valuestring));
    } else if (r->body != NULL) {
        copy_line(st->message, sizeof st->message, r->body, r->body_len);
    }
    if (st->reason[0] == '\0')
        copy_line(st->reason, sizeof st->reason, reason_for(r->status),
                  strlen(reason_for(r->status)));
    cJSON_Delete(j);
}

int kube_call(kube_client *c, const char *method, const char *path, const char *content_type,
              const cJSON *in, cJSON **out, kube_status *st, util_err *err)
{
    kube_response resp;
    kube_status local;
    char *body = NULL;
    int status, rc = KUBE_ERR;

    if (out != NULL)
        *out = NULL;
    if (st == NULL)
        st = &local;
    memset(st, 0, sizeof *st);
    if (in != NULL && (body = cJSON_PrintUnformatted(in)) == NULL)
        return util_err_set(err, "%s %s: cannot serialise the request body", method, path);
    status = kube_request(c, method, path, content_type != NULL ? content_type : "application/json",
                          body, &resp, err);
    free(body);
    if (status < 0)
        return KUBE_ERR;
    if (status < 200 || status > 299) {
        kube_status_decode(&resp, st);
        util_err_set(err, "%s %s: %d %s%s%s", method, path, st->code, st->reason,
                     st->message[0] != '\0' ? ": " : "", st->message);
        rc = KUBE_ERR_STATUS;
        goto out;
    }
    st->code = status;
    if (out != NULL) {
        *out = cJSON_ParseWithLength(resp.body, resp.body_len);
        if (*out == NULL) {
            util_err_set(err, "%s %s: %d answer is not JSON", method, path, status);
            goto out;
        }
    }
    rc = 0;
out:
    kube_response_free(&resp);
    return rc;
}

int kube_get(kube_client *c, const char *path, cJSON **out, kube_status *st, util_err *err)
{
    return kube_call(c, "GET", path, NULL, NULL, out, st, err);
}

int kube_create(kube_client *c, const char *path, const cJSON *obj, cJSON **out, kube_status *st,
                util_err *err)
{
    return kube_call(c, "POST", path, NULL, obj, out, st, err);
}

int kube_delete(kube_client *c, const char *path, kube_status *st, util_err *err)
{
    return kube_call(c, "DELETE", path, NULL, NULL, NULL, st, err);
}

/* The pieces lib/kube's streaming requests share with kube_request; see
 * client_int.h. */
CURL *kube_client_handle_new(const kube_client *c, char *errbuf, util_err *err)
{
    CURL *h = curl_easy_init();

    if (h == NULL) {
        util_err_set(err, "libcurl: curl_easy_init failed");
        return NULL;
    }
    if (setup_handle(c, h, errbuf, 0, err) != 0) {
        curl_easy_cleanup(h);
        return NULL;
    }
    return h;
}

int kube_client_headers(kube_client *c, const char *content_type, bool has_body,
                        struct curl_slist **out, util_err *err)
{
    return build_headers(c, content_type, has_body, out, err);
}

void kube_client_headers_free(struct curl_slist *l)
{
    free_headers(l);
}

char *kube_client_url(const kube_client *c, const char *path)
{
    return util_printf("%s%s", c->base, path);
}
