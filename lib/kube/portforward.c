/* Pod port-forwarding through the API server; see portforward.h.
 *
 * The forwarder is one libwebsockets context served by a thread of its
 * own, with two vhosts: "local" listens on 127.0.0.1 and adopts each
 * connection it accepts as a raw socket; "api" makes the WebSocket
 * connections to the API server, through an OpenSSL SSL_CTX of ours
 * (portforward_tls.c). Both serve one lws protocol, which joins each local
 * connection to its WebSocket (portforward_pair.c). This file holds the
 * forwarder's life: the request it makes, the context, the thread, the
 * failures reported. */
#include "kube/portforward.h"
#include "kube/portforward_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/credential.h"
#include "kube/names.h"
#include "kube/portforward_tls.h"
#include "util/log.h"
#include "util/str.h"

#define PF_MAX_FDS   1024 /* connections, both sides, plus the listener */
#define PF_TIMEOUT_S 10   /* TCP connect, TLS and upgrade, like the client's connect */

void kube_pf_report(kube_portforward *pf, const char *msg)
{
    util_err e;

    if (atomic_load(&pf->stopping))
        return;
    util_err_set(&e, "port-forward to %s: %s", pf->what, msg);
    /* The kubelet's text and lws's reach here: one line. */
    for (char *c = e.msg; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    pthread_mutex_lock(&pf->mu);
    pf->last = e;
    pf->failures++;
    pthread_mutex_unlock(&pf->mu);
    util_warn("%s", e.msg);
}

/* Splits the server URL into what lws connects to and the request path. */
static int parse_server(kube_portforward *pf, util_err *err)
{
    const char *s = pf->cfg->server, *auth, *prefix, *host, *host_end, *port = NULL;
    size_t alen;
    long p;
    char *end;

    if (strncmp(s, "https://", 8) == 0) {
        pf->tls = true;
        auth = s + 8;
    } else if (strncmp(s, "http://", 7) == 0) {
        auth = s + 7;
    } else {
        return util_err_set(err, "server %s: not an http:// or https:// URL", s);
    }
    alen = strcspn(auth, "/");
    prefix = auth + alen;
    host = auth;
    if (auth[0] == '[') {
        host_end = memchr(auth, ']', alen);
        if (host_end == NULL)
            return util_err_set(err, "server %s: unbalanced '['", s);
        host++;
        if (host_end + 1 < prefix && host_end[1] != ':')
            return util_err_set(err, "server %s: junk after ']'", s);
        if (host_end + 1 < prefix)
            port = host_end + 2;
    } else {
        host_end = memchr(auth, ':', alen);
        if (host_end != NULL)
            port = host_end + 1;
        else
            host_end = prefix;
    }
    pf->port = pf->tls ? 443 : 80;
    if (port != NULL) {
        p = strtol(port, &end, 10);
        if (end != prefix || end == port || p < 1 || p > 65535)
            return util_err_set(err, "server %s: bad port", s);
        pf->port = (int)p;
    }
    if (host_end == host)
        return util_err_set(err, "server %s: no host", s);
    pf->address = util_strndup(host, (size_t)(host_end - host));
    pf->host =
        util_strdup(pf->cfg->tls_server_name != NULL ? pf->cfg->tls_server_name : pf->address);
    pf->path = util_printf("%s/api/v1/namespaces/%s/pods/%s/portforward?ports=%u", prefix, pf->ns,
                           pf->pod, (unsigned)pf->pod_port);
    if (pf->address == NULL || pf->host == NULL || pf->path == NULL)
        return util_err_set(err, "out of memory");
    return 0;
}

static int lws_setup(kube_portforward *pf, int local_port, util_err *err)
{
    struct lws_context_creation_info info;

    lws_set_log_level(LLL_ERR | LLL_WARN, util_log_lws);
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.user = pf;
    info.pt_serv_buf_size = KUBE_PF_CHUNK;
    info.timeout_secs = PF_TIMEOUT_S;
    info.connect_timeout_secs = PF_TIMEOUT_S;
    /* lws sizes its tables by the fd limit; a fixed one keeps them small. */
    info.fd_limit_per_thread = PF_MAX_FDS;
    pf->ctx = lws_create_context(&info);
    if (pf->ctx == NULL)
        return util_err_set(err, "cannot create the libwebsockets context");

    memset(&info, 0, sizeof info);
    info.vhost_name = "local";
    info.iface = "127.0.0.1";
    info.port = local_port;
    info.protocols = kube_pf_protocols;
    info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG |
                   LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.listen_accept_role = "raw-skt";
    info.listen_accept_protocol = KUBE_PF_PROTOCOL;
    pf->local_vh = lws_create_vhost(pf->ctx, &info);
    if (pf->local_vh == NULL)
        return util_err_set(err, "cannot listen on 127.0.0.1 port %d (in use?)", local_port);
    pf->local_port = lws_get_vhost_listen_port(pf->local_vh);

    memset(&info, 0, sizeof info);
    info.vhost_name = "api";
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kube_pf_protocols;
    info.options = pf->ssl != NULL ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    info.provided_client_ssl_ctx = pf->ssl;
    pf->api_vh = lws_create_vhost(pf->ctx, &info);
    if (pf->api_vh == NULL)
        return util_err_set(err, "cannot create the libwebsockets client vhost");
    return 0;
}

static void *pf_loop(void *arg)
{
    kube_portforward *pf = arg;

    while (!atomic_load(&pf->stopping))
        if (lws_service(pf->ctx, 0) < 0) {
            util_error("port-forward to %s: the event loop failed", pf->what);
            break;
        }
    return NULL;
}

int kube_portforward_new(const kube_config *cfg, const kube_portforward_spec *spec,
                         kube_portforward **out, util_err *err)
{
    const char *ns = spec->namespace != NULL ? spec->namespace : cfg->namespace;
    kube_portforward *pf;
    char *token = NULL;

    *out = NULL;
    if (ns == NULL || !kube_is_dns1123_label(ns))
        return util_err_set(err, "port-forward: namespace '%s' is not a valid name",
                            ns != NULL ? ns : "");
    if (spec->pod == NULL || !kube_is_dns1123_subdomain(spec->pod))
        return util_err_set(err, "port-forward: pod '%s' is not a valid name",
                            spec->pod != NULL ? spec->pod : "");
    if (spec->pod_port < 1 || spec->pod_port > 65535)
        return util_err_set(err, "port-forward: pod port %d out of range", spec->pod_port);
    if (spec->local_port < 0 || spec->local_port > 65535)
        return util_err_set(err, "port-forward: local port %d out of range", spec->local_port);
    pf = calloc(1, sizeof *pf);
    if (pf == NULL)
        return util_err_set(err, "port-forward: out of memory");
    pthread_mutex_init(&pf->mu, NULL);
    pf->pod_port = (uint16_t)spec->pod_port;
    if (kube_config_dup(cfg, &pf->cfg, err) != 0)
        goto fail;
    /* Messages name where the credentials came from. */
    if (pf->cfg->source == NULL && (pf->cfg->source = util_strdup("the given config")) == NULL) {
        util_err_set(err, "out of memory");
        goto fail;
    }
    pf->ns = util_strdup(ns);
    pf->pod = util_strdup(spec->pod);
    pf->what = util_printf("pod %s/%s port %d", ns, spec->pod, spec->pod_port);
    if (pf->ns == NULL || pf->pod == NULL || pf->what == NULL) {
        util_err_set(err, "out of memory");
        goto fail;
    }
    if (parse_server(pf, err) != 0)
        goto fail;
    if (pf->tls && kube_pf_tls_new(pf->cfg, &pf->ssl, err) != 0)
        goto fail;
    /* The credential now, so a plugin or token file that fails says so
     * here; later connections find it cached. */
    if (kube_pf_tls_exec(pf->cfg, pf->ssl, &pf->exec_serial, err) != 0 ||
        kube_config_token(pf->cfg, &token, err) != 0) {
        util_err_prefix(err, "credentials of %s", pf->cfg->source);
        goto fail;
    }
    if (token != NULL)
        kube_cred_secret_free(token, strlen(token));
    if (lws_setup(pf, spec->local_port, err) != 0)
        goto fail;
    if (pthread_create(&pf->thread, NULL, pf_loop, pf) != 0) {
        util_err_set(err, "cannot start a thread");
        goto fail;
    }
    pf->thread_started = true;
    *out = pf;
    return 0;
fail:
    util_err_prefix(err, "port-forward to pod %s/%s port %d", ns, spec->pod, spec->pod_port);
    kube_portforward_free(pf);
    return -1;
}

int kube_portforward_local_port(const kube_portforward *pf)
{
    return pf->local_port;
}

unsigned long kube_portforward_last_error(kube_portforward *pf, util_err *err)
{
    unsigned long n;

    pthread_mutex_lock(&pf->mu);
    n = pf->failures;
    if (n > 0 && err != NULL)
        *err = pf->last;
    pthread_mutex_unlock(&pf->mu);
    return n;
}

unsigned kube_portforward_streams(kube_portforward *pf)
{
    return atomic_load(&pf->streams);
}

void kube_portforward_free(kube_portforward *pf)
{
    if (pf == NULL)
        return;
    atomic_store(&pf->stopping, 1);
    if (pf->thread_started) {
        lws_cancel_service(pf->ctx);
        pthread_join(pf->thread, NULL);
    }
    /* Closes every connection; their WSI_DESTROY frees the pairs. */
    if (pf->ctx != NULL)
        lws_context_destroy(pf->ctx);
    kube_pf_pairs_free(pf);
    SSL_CTX_free(pf->ssl);
    kube_config_free(pf->cfg);
    free(pf->ns);
    free(pf->pod);
    free(pf->what);
    free(pf->address);
    free(pf->host);
    free(pf->path);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
}
