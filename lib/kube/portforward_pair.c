/* One local connection of a port-forward joined to its WebSocket to the
 * API server: the lws protocol both of the forwarder's vhosts serve. See
 * portforward.h for what is forwarded, portforward.c for the forwarder.
 * Everything here runs on the forwarder's thread.
 *
 * Flow control: what the local client sends waits in its pair as one
 * message until the WebSocket can take it, and the local socket is not
 * read meanwhile; what comes from the pod waits until the local socket
 * takes it, and the WebSocket is not read while more than PF_DOWN_HIGH
 * bytes wait. A slow side slows the other; no buffer grows without bound.
 * Nothing is read from the local client before the upgrade succeeded.
 *
 * Lifetime: a pair is made when its local connection is adopted and freed
 * once lws has destroyed both of its connections (LWS_CALLBACK_WSI_DESTROY
 * comes for every connection lws frees, whatever ended it, and may come
 * from inside lws_client_connect_via_info). When one side goes, the other
 * is asked to finish: hand over what it holds for its peer, then close. A
 * WebSocket still being set up is dropped instead. */
#include "kube/portforward_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/credential.h"
#include "kube/portforward_frame.h"
#include "kube/portforward_tls.h"
#include "util/str.h"
#include "util/version.h"

#define PF_DOWN_HIGH (256 * 1024) /* bytes for the local client before the WebSocket pauses */
#define PF_ERR_TEXT  256          /* the kubelet's error text kept */

struct kube_pf_pair {
    kube_portforward *pf;
    kube_pf_pair *next;
    struct lws *local, *ws; /* NULL once lws has destroyed them */
    bool ws_up;             /* the upgrade succeeded */
    bool closing_ws;        /* the WebSocket hands over what it holds, then closes */
    bool closing_local;     /* the local connection likewise */
    bool failed;            /* a failure was reported for this pair */
    int status;             /* HTTP status of the upgrade answer; 0: none yet */
    char *auth;             /* the Authorization header's value until sent */
    kube_pf_parser parser;
    unsigned char *up; /* LWS_PRE, channel byte, then up_len bytes for the pod */
    size_t up_len, up_cap;
    unsigned char *down; /* LWS_PRE, then down_len bytes for the local client */
    size_t down_len, down_cap;
    bool err_pending; /* error text came in the message under way */
    char err_text[PF_ERR_TEXT];
    char tls_why[160]; /* why the server's certificate was refused */
};

/* ---- failures ---- */

/* Reports the pair's first failure (kube_pf_report). */
static void pair_fail(kube_pf_pair *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pair_fail(kube_pf_pair *pr, const char *fmt, ...)
{
    char msg[UTIL_ERR_MAX];
    va_list ap;

    if (pr->failed)
        return;
    pr->failed = true;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kube_pf_report(pr->pf, msg);
}

/* The upgrade was answered with status instead of 101. */
static void fail_status(kube_pf_pair *pr, int status)
{
    const kube_portforward *pf = pr->pf;
    const char *ns = pf->ns;

    switch (status) {
    case 401:
        pair_fail(pr,
                  "401 Unauthorized: the API server refused the credentials from %s%s%s "
                  "(expired, revoked or missing?)",
                  pf->cfg->source, pf->cfg->context != NULL ? ", context " : "",
                  pf->cfg->context != NULL ? pf->cfg->context : "");
        break;
    case 403:
        pair_fail(pr,
                  "403 Forbidden: not allowed to port-forward: the user needs get and create "
                  "on pods/portforward in namespace %s",
                  ns);
        break;
    case 404:
        pair_fail(pr, "404 Not Found: there is no pod %s in namespace %s", pf->pod, ns);
        break;
    case 400:
        pair_fail(pr, "400 Bad Request: the API server refused the request (is the pod "
                      "scheduled and running?)");
        break;
    default:
        pair_fail(pr, "HTTP %d answered the upgrade instead of 101 Switching Protocols", status);
        break;
    }
}

/* ---- pairs ---- */

static void pair_free(kube_pf_pair *pr)
{
    kube_portforward *pf = pr->pf;

    for (kube_pf_pair **pp = &pf->pairs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == pr) {
            *pp = pr->next;
            break;
        }
    if (pr->auth != NULL)
        kube_cred_secret_free(pr->auth, strlen(pr->auth));
    free(pr->up);
    free(pr->down);
    free(pr);
    atomic_fetch_sub(&pf->streams, 1);
}

/* Appends len bytes to a buffer that keeps room bytes in front. */
static int append(unsigned char **buf, size_t *blen, size_t *cap, size_t room, const void *data,
                  size_t len)
{
    if (*blen + len > *cap) {
        size_t ncap = *cap * 2 > *blen + len ? *cap * 2 : *blen + len;
        unsigned char *n = realloc(*buf, room + ncap);

        if (n == NULL)
            return -1;
        *buf = n;
        *cap = ncap;
    }
    memcpy(*buf + room + *blen, data, len);
    *blen += len;
    return 0;
}

/* Asks the WebSocket to send what it holds and close; one still being set
 * up is dropped. */
static void close_ws(kube_pf_pair *pr)
{
    pr->closing_ws = true;
    if (pr->ws == NULL)
        return;
    if (pr->ws_up)
        lws_callback_on_writable(pr->ws);
    else
        lws_set_timeout(pr->ws, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

/* Asks the local connection to take what is queued for it and close. */
static void close_local(kube_pf_pair *pr)
{
    pr->closing_local = true;
    if (pr->local != NULL)
        lws_callback_on_writable(pr->local);
}

/* Starts the WebSocket of a new pair. Returns -1 when it cannot start
 * (reported). */
static int pair_connect(kube_pf_pair *pr)
{
    kube_portforward *pf = pr->pf;
    struct lws_client_connect_info ci;
    char *token = NULL;
    util_err e;

    if (kube_pf_tls_exec(pf->cfg, pf->ssl, &pf->exec_serial, &e) != 0 ||
        kube_config_token(pf->cfg, &token, &e) != 0) {
        pair_fail(pr, "credentials of %s: %s", pf->cfg->source, e.msg);
        return -1;
    }
    if (token != NULL) {
        pr->auth = util_printf("Bearer %s", token);
        kube_cred_secret_free(token, strlen(token));
        if (pr->auth == NULL) {
            pair_fail(pr, "out of memory");
            return -1;
        }
    }
    memset(&ci, 0, sizeof ci);
    ci.context = pf->ctx;
    ci.vhost = pf->api_vh;
    ci.address = pf->address;
    ci.port = pf->port;
    /* The name is checked by kube_pf_tls_verify, which also knows IPv6. */
    ci.ssl_connection = pf->tls ? LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK : 0;
    ci.ssl_connection |= LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
    ci.path = pf->path;
    ci.host = pf->host;
    ci.protocol = KUBE_PF_SUBPROTOCOL;
    ci.local_protocol_name = KUBE_PF_PROTOCOL;
    /* A WebSocket upgrade is HTTP/1.1's; lws has no WebSocket over h2. */
    ci.alpn = "http/1.1";
    ci.opaque_user_data = pr;
    ci.pwsi = &pr->ws;
    if (lws_client_connect_via_info(&ci) == NULL) {
        pr->ws = NULL;
        pair_fail(pr, "cannot connect to the API server at %s port %d", pf->address, pf->port);
        return -1;
    }
    return 0;
}

/* A connection accepted on the local port. */
static int local_adopt(kube_portforward *pf, struct lws *wsi)
{
    kube_pf_pair *pr = calloc(1, sizeof *pr);

    if (pr == NULL)
        return -1;
    pr->pf = pf;
    pr->local = wsi;
    pr->up_cap = KUBE_PF_CHUNK;
    pr->down_cap = KUBE_PF_CHUNK;
    pr->up = malloc(LWS_PRE + 1 + pr->up_cap);
    pr->down = malloc(LWS_PRE + pr->down_cap);
    kube_pf_parser_init(&pr->parser, pf->pod_port);
    pr->next = pf->pairs;
    pf->pairs = pr;
    atomic_fetch_add(&pf->streams, 1);
    lws_set_opaque_user_data(wsi, pr);
    if (pr->up == NULL || pr->down == NULL) {
        pair_fail(pr, "out of memory");
        return -1;
    }
    /* Nothing is read from the client before the WebSocket is up. */
    lws_rx_flow_control(wsi, 0);
    return pair_connect(pr);
}

static int local_rx(kube_pf_pair *pr, struct lws *wsi, const void *in, size_t len)
{
    if (pr->closing_ws || pr->failed)
        return 0;
    if (append(&pr->up, &pr->up_len, &pr->up_cap, LWS_PRE + 1, in, len) != 0) {
        pair_fail(pr, "out of memory");
        close_ws(pr);
        return -1;
    }
    lws_rx_flow_control(wsi, 0);
    if (pr->ws != NULL && pr->ws_up)
        lws_callback_on_writable(pr->ws);
    return 0;
}

static int local_writeable(kube_pf_pair *pr, struct lws *wsi)
{
    if (pr->down_len > 0) {
        if (lws_write(wsi, pr->down + LWS_PRE, pr->down_len, LWS_WRITE_RAW) < 0)
            return -1;
        pr->down_len = 0;
        if (pr->ws != NULL && pr->ws_up)
            lws_rx_flow_control(pr->ws, 1);
        /* Closing waits for lws to have sent it all: the next writable. */
        if (pr->closing_local)
            lws_callback_on_writable(wsi);
        return 0;
    }
    return pr->closing_local ? -1 : 0;
}

/* ---- the WebSocket ---- */

static int ws_append_headers(kube_pf_pair *pr, struct lws *wsi, unsigned char **p, size_t len)
{
    static const char ua[] = "berth/" BERTH_VERSION;
    unsigned char *end = *p + len;
    int rc = 0;

    if (pr->auth != NULL) {
        rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                          (const unsigned char *)pr->auth, (int)strlen(pr->auth), p,
                                          end);
        kube_cred_secret_free(pr->auth, strlen(pr->auth));
        pr->auth = NULL;
    }
    if (rc == 0)
        rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT, (const unsigned char *)ua,
                                          (int)sizeof ua - 1, p, end);
    return rc != 0 ? -1 : 0;
}

static int ws_established(kube_pf_pair *pr, struct lws *wsi)
{
    pr->ws_up = true;
    if (pr->closing_ws || pr->local == NULL) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (pr->up_len > 0)
        lws_callback_on_writable(wsi);
    else
        lws_rx_flow_control(pr->local, 1);
    return 0;
}

/* The upgrade failed, or the connection before it. */
static void ws_connect_failed(kube_pf_pair *pr, const char *in, size_t len)
{
    kube_portforward *pf = pr->pf;
    kube_exec *x = pf->cfg->exec;
    char why[160];

    snprintf(why, sizeof why, "%.*s", in != NULL ? (int)len : 6, in != NULL ? in : "failed");
    /* A plugin's credential the API refuses may have been revoked before
     * its expiry: the next connection gets a fresh one, as client.c's
     * requests do. A TLS alert names a refused client certificate. */
    if (x != NULL && (pr->status == 401 || (pr->status == 0 && strstr(why, " alert ") != NULL)))
        kube_exec_invalidate(x);
    if (pr->closing_ws)
        return; /* we dropped it */
    if (pr->status != 0 && pr->status != 101)
        fail_status(pr, pr->status);
    else if (pr->status == 101)
        pair_fail(pr, "the API server's 101 answer to the upgrade was refused: %s", why);
    else if (pr->tls_why[0] != '\0')
        pair_fail(pr, "TLS with the API server at %s: %s", pf->host, pr->tls_why);
    else
        pair_fail(pr, "connecting to the API server at %s port %d: %s", pf->address, pf->port, why);
}

/* Bytes of a message from the API server. */
static int ws_receive(kube_pf_pair *pr, struct lws *wsi, const void *in, size_t len)
{
    unsigned flags = 0;
    kube_pf_piece piece;
    util_err e;

    if (lws_is_first_fragment(wsi))
        flags |= KUBE_PF_FIRST;
    if (lws_is_final_fragment(wsi))
        flags |= KUBE_PF_FINAL;
    if (!lws_frame_is_binary(wsi))
        flags |= KUBE_PF_TEXT;
    if (kube_pf_parse(&pr->parser, in, len, flags, &piece, &e) != 0) {
        pair_fail(pr, "the API server's stream: %s", e.msg);
        pr->closing_ws = true;
        close_local(pr);
        return -1;
    }
    if (piece.kind == KUBE_PF_DATA && pr->local != NULL && !pr->closing_local) {
        if (append(&pr->down, &pr->down_len, &pr->down_cap, LWS_PRE, piece.data, piece.len) != 0) {
            pair_fail(pr, "out of memory");
            pr->closing_ws = true;
            close_local(pr);
            return -1;
        }
        lws_callback_on_writable(pr->local);
        if (pr->down_len >= PF_DOWN_HIGH)
            lws_rx_flow_control(wsi, 0);
    } else if (piece.kind == KUBE_PF_ERROR) {
        size_t have = strlen(pr->err_text), n = sizeof pr->err_text - 1 - have;

        n = piece.len < n ? piece.len : n;
        memcpy(pr->err_text + have, piece.data, n);
        pr->err_text[have + n] = '\0';
        pr->err_pending = true;
    }
    /* The kubelet writes its error in one message, then closes. */
    if (pr->err_pending && (flags & KUBE_PF_FINAL)) {
        pair_fail(pr, "%s", pr->err_text);
        pr->closing_ws = true;
        close_local(pr);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

static int ws_writeable(kube_pf_pair *pr, struct lws *wsi)
{
    if (pr->up_len > 0 && !pr->failed) {
        size_t n =
            kube_pf_encode(pr->up + LWS_PRE, 1 + pr->up_len, pr->up + LWS_PRE + 1, pr->up_len);

        if (lws_write(wsi, pr->up + LWS_PRE, n, LWS_WRITE_BINARY) < (int)n) {
            pair_fail(pr, "writing to the API server failed");
            pr->closing_ws = true;
            close_local(pr);
            return -1;
        }
        pr->up_len = 0;
        if (pr->closing_ws)
            lws_callback_on_writable(wsi);
        else if (pr->local != NULL)
            lws_rx_flow_control(pr->local, 1);
        return 0;
    }
    if (pr->closing_ws) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

/* lws is freeing one of a pair's connections. */
static void wsi_destroyed(kube_pf_pair *pr, struct lws *wsi)
{
    bool stopping = atomic_load(&pr->pf->stopping);

    if (wsi == pr->local) {
        pr->local = NULL;
        if (!stopping)
            close_ws(pr);
    } else if (wsi == pr->ws) {
        pr->ws = NULL;
        if (!pr->ws_up && !pr->closing_ws)
            pair_fail(pr, "the connection to the API server ended before the upgrade");
        if (!stopping)
            close_local(pr);
    } else {
        return;
    }
    if (pr->local == NULL && pr->ws == NULL)
        pair_free(pr);
}

static int pf_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    kube_pf_pair *pr = lws_get_opaque_user_data(wsi);

    switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT:
        return local_adopt(lws_context_user(lws_get_context(wsi)), wsi);
    case LWS_CALLBACK_RAW_RX:
        return pr != NULL ? local_rx(pr, wsi, in, len) : -1;
    case LWS_CALLBACK_RAW_WRITEABLE:
        return pr != NULL ? local_writeable(pr, wsi) : -1;
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        return pr != NULL ? kube_pf_tls_verify(pr->pf->cfg->insecure, pr->pf->host, user, (int)len,
                                               pr->tls_why, sizeof pr->tls_why)
                          : 1;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return pr != NULL ? ws_append_headers(pr, wsi, (unsigned char **)in, len) : -1;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (pr != NULL)
            pr->status = lws_http_client_http_response(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        return pr != NULL ? ws_established(pr, wsi) : -1;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return pr != NULL ? ws_receive(pr, wsi, in, len) : -1;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return pr != NULL ? ws_writeable(pr, wsi) : -1;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (pr != NULL)
            ws_connect_failed(pr, in, len);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (pr != NULL)
            wsi_destroyed(pr, wsi);
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols kube_pf_protocols[] = {
    {.name = KUBE_PF_PROTOCOL, .callback = pf_callback, .rx_buffer_size = KUBE_PF_CHUNK},
    {.name = NULL},
};

void kube_pf_pairs_free(kube_portforward *pf)
{
    while (pf->pairs != NULL)
        pair_free(pf->pairs);
}
