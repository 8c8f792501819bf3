/* Reaching a broker through a port-forward with the cluster's own TLS, or
 * at its advertised address with --direct (see broker_link.h). */
#include "broker_link.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "addresses_check.h"
#include "kafka/dial.h"
#include "kube/verbs.h"
#include "operator/cluster_tls.h"
#include "util/base64.h"
#include "util/json.h"

#define CLUSTER_DOC_KEY "cluster.json"
/* What a refusal of --direct suggests instead. */
#define DROP_DIRECT "drop --direct to reach the broker through the API server's port-forward"

/* doc's "listeners" (absent: none) into out. */
static int parse_listeners(const cJSON *doc, pl_cluster_doc *out, util_err *err)
{
    const cJSON *ls = NULL, *e;
    char where[32];

    if (util_json_arr(doc, NULL, "listeners", true, &ls, err) < 0)
        return -1;
    cJSON_ArrayForEach(e, ls)
    {
        pl_doc_listener *l = &out->listeners[out->nlisteners];
        const char *name = NULL, *security = NULL;
        bool cluster_cert = false;

        if (out->nlisteners == PL_DOC_LISTENERS_MAX)
            return util_err_set(err, "listeners: more than %d", PL_DOC_LISTENERS_MAX);
        snprintf(where, sizeof where, "listeners[%d].", out->nlisteners);
        if (util_json_str(e, where, "name", false, &name, err) != 0 ||
            util_json_str(e, where, "securityProtocol", false, &security, err) != 0 ||
            util_json_bool(e, where, "clusterCert", true, &cluster_cert, err) < 0)
            return -1;
        if (name[0] == '\0' || strlen(name) >= sizeof l->name)
            return util_err_set(err, "%sname: \"%.64s\" is not a listener name", where, name);
        if (strlen(security) >= sizeof l->security)
            return util_err_set(err, "%ssecurityProtocol: \"%.32s\" is not one", where, security);
        snprintf(l->name, sizeof l->name, "%s", name);
        snprintf(l->security, sizeof l->security, "%s", security);
        l->cluster_cert = cluster_cert;
        out->nlisteners++;
    }
    return 0;
}

int pl_cluster_doc_parse(const char *json, const char *what, pl_cluster_doc *out, util_err *err)
{
    cJSON *doc = json != NULL ? cJSON_Parse(json) : NULL;
    const cJSON *tls = NULL;
    const char *flavor = "kafka", *secret = NULL;
    long long port = 0;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(doc))
        util_err_set(err, "not a JSON object");
    else if (util_json_str(doc, NULL, "flavor", true, &flavor, err) >= 0 &&
             util_json_obj(doc, NULL, "clusterTLS", false, &tls, err) == 0 &&
             util_json_str(tls, "clusterTLS.", "secret", false, &secret, err) == 0 &&
             util_json_int(tls, "clusterTLS.", "replicationPort", false, 1, 65535, &port, err) ==
                 0) {
        if (strcmp(flavor, "kafka") != 0 && strcmp(flavor, "redpanda") != 0)
            util_err_set(err, "flavor: \"%s\" is neither kafka nor redpanda", flavor);
        else if (secret[0] == '\0' || strlen(secret) >= sizeof out->secret)
            util_err_set(err, "clusterTLS.secret: \"%s\" is not a Secret name", secret);
        else
            rc = parse_listeners(doc, out, err);
    }
    if (rc == 0) {
        snprintf(out->flavor, sizeof out->flavor, "%s", flavor);
        snprintf(out->secret, sizeof out->secret, "%s", secret);
        out->replication_port = (int)port;
    } else {
        memset(out, 0, sizeof *out);
        util_err_prefix(err, "ConfigMap %s: %s", what, CLUSTER_DOC_KEY);
    }
    cJSON_Delete(doc);
    return rc;
}

const char *pl_cluster_doc_listeners(const pl_cluster_doc *doc, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < doc->nlisteners && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i > 0 ? ", " : "", doc->listeners[i].name);
    return buf;
}

int pl_direct_listener(const pl_cluster_doc *doc, const char *only, bool *tls, util_err *err)
{
    char why[256], names[PL_DOC_LISTENERS_MAX * 66];

    for (int i = 0; i < doc->nlisteners; i++) {
        const char *name = doc->listeners[i].name;
        pl_check_dial how;

        if (only != NULL && strcmp(name, only) != 0)
            continue;
        how = pl_check_how(doc, name, why, sizeof why);
        if (how != PL_DIAL_NONE) {
            *tls = how == PL_DIAL_CLUSTER_TLS;
            return i;
        }
        if (only != NULL)
            return util_err_set(err, "--direct: listener %s is %s; " DROP_DIRECT, name, why);
    }
    pl_cluster_doc_listeners(doc, names, sizeof names);
    if (only != NULL)
        return util_err_set(err, "--direct: no listener \"%s\" (its listeners: %s)", only, names);
    if (doc->nlisteners == 0)
        return util_err_set(err,
                            "--direct: cluster.json describes no client listener; " DROP_DIRECT);
    return util_err_set(err,
                        "--direct: the plugin can dial none of the listeners (%s): SASL, or SSL "
                        "with the certificate of a user's Secret; " DROP_DIRECT,
                        names);
}

int pl_cluster_doc_get(const pl_ctx *ctx, const char *cluster, pl_cluster_doc *out, util_err *err)
{
    char name[300], what[400];
    kube_status st = {0};
    cJSON *cm = NULL;
    const char *text;
    int rc;

    snprintf(name, sizeof name, "%s-brokers", cluster);
    snprintf(what, sizeof what, "%s/%s", ctx->namespace, name);
    if (pl_get_named(ctx, "configmaps", "ConfigMap", name, NULL, what, &cm, &st, err) != 0) {
        if (st.code == 404)
            return util_err_set(err,
                                "ConfigMap %s not found: berth-operator creates it for the "
                                "KafkaCluster (is the operator running, has it reconciled %s?)",
                                what, cluster);
        return -1;
    }
    text = cJSON_GetStringValue(pl_member(pl_member(cm, "data"), CLUSTER_DOC_KEY));
    if (text == NULL)
        rc = util_err_set(err, "ConfigMap %s has no %s: berth-operator writes it", what,
                          CLUSTER_DOC_KEY);
    else
        rc = pl_cluster_doc_parse(text, what, out, err);
    cJSON_Delete(cm);
    return rc;
}

/* data[key] of a Secret, decoded, into *pem (and its length into *len). */
static int take_key(const cJSON *data, const char *key, const char *what, char **pem, size_t *len,
                    util_err *err)
{
    const char *v = cJSON_GetStringValue(pl_member(data, key));
    size_t n = 0;

    if (v == NULL)
        return util_err_set(err, "Secret %s has no %s: berth-operator writes it", what, key);
    if (util_base64_decode(v, strlen(v), pem, &n) != 0)
        return util_err_set(err, "Secret %s: %s is not base64", what, key);
    if (len != NULL)
        *len = n;
    return 0;
}

int pl_broker_creds_take(const cJSON *secret, const char *what, pl_broker_creds *out, util_err *err)
{
    const cJSON *data = pl_member(secret, "data");

    memset(out, 0, sizeof *out);
    if (take_key(data, OP_CERTS_CA_KEY, what, &out->ca_pem, NULL, err) != 0 ||
        take_key(data, OP_CERTS_SIDECAR_CRT, what, &out->cert_pem, NULL, err) != 0 ||
        take_key(data, OP_CERTS_SIDECAR_KEY, what, &out->key_pem, &out->key_len, err) != 0) {
        pl_broker_creds_clear(out);
        return -1;
    }
    return 0;
}

/* Overwrites every value of a Secret's data: it holds every broker's key,
 * which must not linger in freed memory. */
static void wipe_secret(cJSON *secret)
{
    cJSON *v;

    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(secret, "data"))
    {
        if (cJSON_IsString(v))
            OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
    }
}

/* GETs Secret name of ctx's namespace into *secret (owned), or -1 with err
 * saying it is missing or, naming what it holds (holds), that the right
 * to get it is. what is "<namespace>/<name>". */
static int get_secret(const pl_ctx *ctx, const char *name, const char *holds, const char *what,
                      cJSON **secret, util_err *err)
{
    kube_status st = {0};

    if (pl_get_named(ctx, "secrets", "Secret", name, holds, what, secret, &st, err) == 0)
        return 0;
    if (st.code == 404)
        return util_err_set(err,
                            "Secret %s not found: berth-operator creates it with the "
                            "cluster's TLS (is the operator running?)",
                            what);
    return -1;
}

int pl_broker_creds_get(const pl_ctx *ctx, const char *name, pl_broker_creds *out, util_err *err)
{
    char what[400];
    cJSON *secret;
    int rc;

    memset(out, 0, sizeof *out);
    snprintf(what, sizeof what, "%s/%s", ctx->namespace, name);
    if (get_secret(ctx, name, "the cluster's broker certificates, for the cluster's own TLS", what,
                   &secret, err) != 0)
        return -1;
    rc = pl_broker_creds_take(secret, what, out, err);
    wipe_secret(secret);
    cJSON_Delete(secret);
    return rc;
}

int pl_cluster_ca_get(const pl_ctx *ctx, const char *cluster, char **ca_pem, util_err *err)
{
    char name[300], what[400];
    cJSON *secret;
    int rc;

    *ca_pem = NULL;
    snprintf(name, sizeof name, "%s" OP_CA_CERT_SUFFIX, cluster);
    snprintf(what, sizeof what, "%s/%s", ctx->namespace, name);
    if (get_secret(ctx, name, "the cluster CA's certificate, to verify the brokers", what, &secret,
                   err) != 0)
        return -1;
    rc = take_key(pl_member(secret, "data"), OP_CERTS_CA_KEY, what, ca_pem, NULL, err);
    cJSON_Delete(secret);
    return rc;
}

void pl_broker_creds_clear(pl_broker_creds *c)
{
    if (c == NULL)
        return;
    if (c->key_pem != NULL)
        OPENSSL_cleanse(c->key_pem, c->key_len);
    free(c->key_pem);
    free(c->cert_pem);
    free(c->ca_pem);
    memset(c, 0, sizeof *c);
}

int pl_broker_candidates(const cJSON *brokers, int32_t last, int32_t *ids, int max)
{
    const cJSON *b;
    bool last_listed = false;
    int n = 0;

    /* Pass 0 takes the Ready brokers, 1 those with a pod, 2 the rest. */
    for (int pass = 0; pass < 3; pass++)
        cJSON_ArrayForEach(b, brokers)
        {
            const cJSON *id = pl_member(b, "id");
            int group = cJSON_IsTrue(pl_member(b, "ready")) ? 0 : pl_str(b, "pod") != NULL ? 1 : 2;

            if (!cJSON_IsNumber(id) || group != pass)
                continue;
            if (last >= 0 && id->valueint == last)
                last_listed = true;
            else if (n < max)
                ids[n++] = (int32_t)id->valueint;
        }
    if (last_listed && n < max)
        ids[n++] = last;
    if (n == 0 && max > 0)
        ids[n++] = 0;
    return n;
}

/* The TLS settings of l from to; err names the Secret they come from. */
static int link_tls(const pl_ctx *ctx, const char *secret, const kafka_tls_opts *to,
                    pl_broker_link *l, util_err *err)
{
    if (kafka_tls_new(to, &l->tls, err) == 0)
        return 0;
    return util_err_prefix(err, "the cluster's TLS credentials (Secret %s/%s)", ctx->namespace,
                           secret);
}

/* Connects l to hostport (TLS when l->tls is set) and asks ApiVersions. */
static int link_dial(const char *hostport, pl_broker_link *l, util_err *err)
{
    kafka_dial_opts dial = {.connect_timeout_ms = PL_LINK_TIMEOUT_MS,
                            .call_timeout_ms = PL_LINK_TIMEOUT_MS,
                            .client_id = PL_LINK_CLIENT_ID,
                            .tls = l->tls};

    return kafka_dial(hostport, &dial, &l->conn, &l->av, err);
}

/* Reaches broker id of cluster at its address in brokers (status.brokers)
 * on listener li, as a client would: plaintext when ca_pem is NULL, else
 * TLS verified against that CA by the host dialled. */
static int link_open_direct(const pl_ctx *ctx, const char *cluster, int32_t id,
                            const cJSON *brokers, const pl_doc_listener *li, const char *ca_pem,
                            pl_broker_link *l, util_err *err)
{
    const char *address = NULL, *colon;
    const cJSON *b;

    memset(l, 0, sizeof *l);
    l->id = id;
    snprintf(l->pod, sizeof l->pod, "%s-%d", cluster, id);
    snprintf(l->listener, sizeof l->listener, "%s", li->name);
    cJSON_ArrayForEach(b, brokers)
    {
        const cJSON *bid = pl_member(b, "id");

        if (cJSON_IsNumber(bid) && bid->valueint == id)
            address = pl_str(pl_member(b, "listeners"), li->name);
    }
    if (address == NULL || (colon = strrchr(address, ':')) == NULL ||
        strlen(address) >= sizeof l->address)
        return util_err_set(err, "the status gives no address of broker %d on listener %s", id,
                            li->name);
    snprintf(l->address, sizeof l->address, "%s", address);
    l->port = (int)strtol(colon + 1, NULL, 10);
    if (ca_pem != NULL) {
        /* server_name NULL: the certificate must carry the host dialled.
         * No client certificate: a client listener asks for none. */
        kafka_tls_opts to = {.ca_pem = ca_pem};
        char secret[300];

        snprintf(secret, sizeof secret, "%s" OP_CA_CERT_SUFFIX, cluster);
        if (link_tls(ctx, secret, &to, l, err) != 0) {
            pl_broker_link_close(l);
            return -1;
        }
    }
    if (link_dial(address, l, err) != 0) {
        util_err_prefix(err, "Kafka at %s (listener %s, %s)", address, li->name,
                        ca_pem != NULL ? "TLS verified against the cluster CA" : "plaintext");
        pl_broker_link_close(l);
        return -1;
    }
    return 0;
}

int pl_broker_reach(const pl_ctx *ctx, const char *cluster, const cJSON *brokers,
                    const pl_cluster_doc *doc, int32_t last, pl_broker_link *l, util_err *err)
{
    pl_broker_creds creds = {0};
    char *ca_pem = NULL;
    const pl_doc_listener *li = NULL;
    bool direct = ctx->opts != NULL && ctx->opts->direct, tls = true;
    int32_t ids[PL_LINK_TRIES];
    int n = pl_broker_candidates(brokers, last, ids, PL_LINK_TRIES), rc = -1, at;

    memset(l, 0, sizeof *l);
    if (direct) {
        if ((at = pl_direct_listener(doc, ctx->opts->listener, &tls, err)) < 0 ||
            (tls && pl_cluster_ca_get(ctx, cluster, &ca_pem, err) != 0))
            return -1;
        li = &doc->listeners[at];
    } else if (pl_broker_creds_get(ctx, doc->secret, &creds, err) != 0) {
        return -1;
    }
    for (int i = 0; i < n && rc != 0; i++) {
        rc = direct ? link_open_direct(ctx, cluster, ids[i], brokers, li, ca_pem, l, err)
                    : pl_broker_link_open(ctx, cluster, ids[i], doc, &creds, l, err);
        if (rc != 0 && i + 1 < n)
            fprintf(stderr, "kubectl-berth: broker %d: %s; trying broker %d\n", ids[i], err->msg,
                    ids[i + 1]);
    }
    pl_broker_creds_clear(&creds);
    free(ca_pem);
    return rc;
}

int pl_broker_link_open(const pl_ctx *ctx, const char *cluster, int32_t id,
                        const pl_cluster_doc *doc, const pl_broker_creds *creds, pl_broker_link *l,
                        util_err *err)
{
    char name[600], hostport[32];
    kafka_tls_opts to = {.ca_pem = creds->ca_pem,
                         .cert_pem = creds->cert_pem,
                         .key_pem = creds->key_pem,
                         .server_name = name};
    kube_portforward_spec spec = {.namespace = ctx->namespace, .pod_port = doc->replication_port};
    util_err pf_err = {{0}};

    memset(l, 0, sizeof *l);
    l->id = id;
    l->port = doc->replication_port;
    snprintf(l->pod, sizeof l->pod, "%s-%d", cluster, id);
    snprintf(name, sizeof name, "%s.%s-brokers.%s.svc", l->pod, cluster, ctx->namespace);
    spec.pod = l->pod;
    if (link_tls(ctx, doc->secret, &to, l, err) != 0) {
        pl_broker_link_close(l);
        return -1;
    }
    if (kube_portforward_new(ctx->cfg, &spec, &l->pf, err) != 0) {
        pl_broker_link_close(l);
        return -1;
    }
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", kube_portforward_local_port(l->pf));
    if (link_dial(hostport, l, err) != 0) {
        /* A refused forward closes the local connection, which Kafka's
         * side can only call a closed connection: the refusal says more. */
        if (kube_portforward_last_error(l->pf, &pf_err) > 0)
            *err = pf_err;
        else
            util_err_prefix(err,
                            "Kafka on pod %s/%s port %d (through a port-forward, the cluster's "
                            "TLS as %s)",
                            ctx->namespace, l->pod, doc->replication_port, name);
        pl_broker_link_close(l);
        return -1;
    }
    return 0;
}

void pl_broker_link_close(pl_broker_link *l)
{
    kafka_api_versions_free(l->av);
    kafka_conn_free(l->conn);
    kube_portforward_free(l->pf);
    kafka_tls_free(l->tls);
    memset(l, 0, sizeof *l);
}
