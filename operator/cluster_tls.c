/* The cluster CA and the certificates it issues (see cluster_tls.h). */
#include "cluster_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "desired.h"
#include "diff.h"
#include "kube/microtime.h"
#include "kube/object.h"
#include "pki/pki.h"
#include "secret_summary.h"
#include "util/base64.h"
#include "util/clock.h"

#define MAX_NAMES     48
#define CA_NAME       "berth cluster CA"
#define SIDECAR_NAME  "berth-sidecar"
#define OPERATOR_NAME "berth-operator"

/* The names one certificate must carry, DNS names and IP addresses apart,
 * each once. */
typedef struct names {
    char dns[MAX_NAMES][PKI_NAME_MAX + 1];
    size_t ndns;
    char ips[MAX_NAMES][PKI_NAME_MAX + 1];
    size_t nips;
} names;

static void add_name(names *n, const char *name)
{
    unsigned char bin[16];
    char text[INET6_ADDRSTRLEN];
    bool v6 = inet_pton(AF_INET6, name, bin) == 1;
    char(*list)[PKI_NAME_MAX + 1] = n->dns;
    size_t *count = &n->ndns;

    if (v6 || inet_pton(AF_INET, name, bin) == 1) {
        /* IPs as inet_ntop writes them, as pki_inspect reads them back. */
        if (inet_ntop(v6 ? AF_INET6 : AF_INET, bin, text, sizeof text) == NULL)
            return;
        name = text;
        list = n->ips;
        count = &n->nips;
    }
    if (strlen(name) > PKI_NAME_MAX || *count == MAX_NAMES)
        return;
    for (size_t i = 0; i < *count; i++)
        if (strcmp(list[i], name) == 0)
            return;
    snprintf(list[(*count)++], PKI_NAME_MAX + 1, "%s", name);
}

/* "<svc>.<ns>.svc.<domain>" and "<svc>.<ns>.svc". */
static void add_service(names *n, const op_cluster *c, const char *domain, const char *svc)
{
    char buf[PKI_NAME_MAX + 64];

    snprintf(buf, sizeof buf, "%s.%s.svc.%s", svc, c->namespace, domain);
    add_name(n, buf);
    snprintf(buf, sizeof buf, "%s.%s.svc", svc, c->namespace);
    add_name(n, buf);
}

/* The host of "host:port" or "[v6]:port", into buf. */
static void host_of(const char *hostport, char *buf, size_t size)
{
    const char *colon = strrchr(hostport, ':');
    size_t len = colon != NULL ? (size_t)(colon - hostport) : strlen(hostport);

    if (hostport[0] == '[' && len >= 2 && hostport[len - 1] == ']') {
        hostport++;
        len -= 2;
    }
    snprintf(buf, size, "%.*s", (int)len, hostport);
}

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = member(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* What broker id's certificate must name: its pod's DNS names, the
 * headless, bootstrap and its own per-broker Services, and each address it
 * advertises on a listener served with it that is known now (where its pod
 * runs). */
static void broker_names(const op_cluster *c, const char *domain, int id, const cJSON *pods,
                         const cJSON *nodes, const cJSON *services, names *n)
{
    char pod[OP_NAME_MAX + 16], svc[OP_NAME_MAX + 64], addr[PKI_NAME_MAX + 16],
        host[PKI_NAME_MAX + 1];
    const cJSON *p, *node = NULL;
    const char *nn;

    memset(n, 0, sizeof *n);
    snprintf(pod, sizeof pod, "%s-%d", c->name, id);
    snprintf(svc, sizeof svc, "%s.%s-brokers", pod, c->name);
    add_service(n, c, domain, svc);
    snprintf(svc, sizeof svc, "%s-bootstrap", c->name);
    add_service(n, c, domain, svc);
    p = kube_find_by_name(pods, pod);
    nn = p != NULL ? str_member(member(p, "spec"), "nodeName") : NULL;
    if (nn != NULL)
        node = kube_find_by_name(nodes, nn);
    for (int i = 0; i < c->nlisteners; i++) {
        const op_listener *l = &c->listeners[i];

        snprintf(svc, sizeof svc, "%s-%s", pod, l->name);
        if (op_listener_external(l))
            add_service(n, c, domain, svc);
        if (op_cluster_tls_serves(l) &&
            op_advertised_address(c, l, id, domain, node, kube_find_by_name(services, svc), addr,
                                  sizeof addr) == 0) {
            host_of(addr, host, sizeof host);
            add_name(n, host);
        }
    }
}

/* Whether info names exactly what n holds. */
static bool names_match(const pki_cert_info *info, const names *n)
{
    if (info->ndns != n->ndns || info->nips != n->nips)
        return false;
    for (size_t i = 0; i < n->ndns; i++) {
        size_t k = 0;

        while (k < info->ndns && strcmp(info->dns[k], n->dns[i]) != 0)
            k++;
        if (k == info->ndns)
            return false;
    }
    for (size_t i = 0; i < n->nips; i++) {
        size_t k = 0;

        while (k < info->nips && strcmp(info->ips[k], n->ips[i]) != 0)
            k++;
        if (k == info->nips)
            return false;
    }
    return true;
}

/* The length of data[key] as stored, or -1 when it is not there. */
static long secret_value_len(const cJSON *secret, const char *key)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(secret, "data"), key);

    return cJSON_IsString(v) ? (long)strlen(v->valuestring) : -1;
}

/* Sets data[key] of secret to the base64 of pem. */
static int put_value(cJSON *data, const char *key, const char *pem, util_err *err)
{
    char *b = util_base64_encode(pem, strlen(pem));

    if (b == NULL)
        return util_err_set(err, "out of memory");
    cJSON_AddStringToObject(data, key, b);
    free(b);
    return 0;
}

static cJSON *secret_new(const op_cluster *c, const char *suffix, const char *component,
                         cJSON **data)
{
    char name[OP_NAME_MAX + 32];
    cJSON *s = op_object_new(c, "v1", "Secret", op_name(c, suffix, name, sizeof name), component);

    cJSON_AddStringToObject(s, "type", "Opaque");
    *data = cJSON_AddObjectToObject(s, "data");
    return s;
}

/* The CA: from the user's Secret (user: spec.clusterCA), else the live
 * <c>-cluster-ca, else a new one. 1 with err when the Secret is there but
 * cannot be used (or, the user's, is not there). */
static int take_ca(const cJSON *live, bool user, const op_cert_policy *policy, long long now,
                   op_cluster_tls *out, util_err *err)
{
    pki_cert_info info;
    util_err e = {{0}};
    const char *crt = "ca.crt", *key = "ca.key";
    int rc = 1;

    if (live == NULL && user) {
        util_err_set(err, "does not exist");
        return 1;
    }
    if (live == NULL)
        return pki_ca_new(CA_NAME, now, now + policy->ca_validity_s, &out->ca_cert_pem,
                          &out->ca_key_pem, err);
    if (user && secret_value_len(live, crt) < 0) {
        crt = "tls.crt"; /* a kubernetes.io/tls Secret, as cert-manager writes a CA */
        key = "tls.key";
    }
    out->ca_cert_pem = op_secret_value(live, crt);
    out->ca_key_pem = op_secret_value(live, key);
    if (out->ca_cert_pem == NULL || out->ca_key_pem == NULL) {
        util_err_set(err, "has no base64 %s and %s", crt, key);
        return 1;
    }
    if (pki_inspect(out->ca_cert_pem, strlen(out->ca_cert_pem), &info, &e) != 0) {
        util_err_set(err, "%s: %s", crt, e.msg);
        return 1;
    }
    if (!info.is_ca)
        util_err_set(err, "%s is not a CA certificate", crt);
    else if (info.not_after <= now)
        util_err_set(err, "%s expired%s", crt,
                     user ? ""
                          : "; delete the Secret to have a new CA made (every broker then "
                            "restarts with a new certificate)");
    else if (pki_key_matches(out->ca_cert_pem, out->ca_key_pem, &e) != 0)
        util_err_set(err, "%s is not the key of %s: %s", key, crt, e.msg);
    else
        rc = 0;
    pki_cert_info_clear(&info);
    return rc;
}

/* A CA the live <c>-broker-certs trusts besides current (a previous one,
 * unexpired), as a new PEM string, or NULL. */
static char *previous_ca(const cJSON *live_certs, const char *current, long long now)
{
    char *bundle = op_secret_value(live_certs, OP_CERTS_CA_KEY), *found = NULL;
    pki_cert_info cur, info;
    const char *p = bundle, *block;
    size_t len;

    if (bundle == NULL || pki_inspect(current, strlen(current), &cur, NULL) != 0) {
        free(bundle);
        return NULL;
    }
    while (found == NULL && (block = pki_bundle_next(&p, &len)) != NULL) {
        if (pki_inspect(block, len, &info, NULL) != 0)
            continue;
        if (info.is_ca && info.not_after > now && strcmp(info.fingerprint, cur.fingerprint) != 0 &&
            (found = malloc(len + 2)) != NULL)
            snprintf(found, len + 2, "%.*s\n", (int)len, block);
        pki_cert_info_clear(&info);
    }
    pki_cert_info_clear(&cur);
    free(bundle);
    return found;
}

/* Whether every broker pod runs with its current certificate: each is
 * there, not on its way out, and not stale (op_cluster_tls_stale). */
static bool all_current(const op_cluster *c, const cJSON *pods, const long long *issued)
{
    for (int id = 0; id < c->replicas; id++) {
        const cJSON *p = op_broker_pod(c, pods, id);

        if (p == NULL || kube_meta_str(p, "deletionTimestamp") != NULL ||
            op_cluster_tls_stale(p, issued[id]))
            return false;
    }
    return true;
}

/* Why the pair crt, key (PEM, either NULL when missing) must be issued
 * again for n, or NULL when it is still good; info gets what crt says. */
static const char *why_renew(const char *crt, const char *key, const char *ca_pem, const names *n,
                             const op_cert_policy *policy, long long now, pki_cert_info *info)
{
    if (crt == NULL || key == NULL)
        return "it has none yet";
    if (pki_inspect(crt, strlen(crt), info, NULL) != 0)
        return "it is not a certificate";
    if (pki_verify_issued_by(crt, ca_pem, NULL) != 0)
        return "it is not from the cluster CA";
    if (pki_key_matches(crt, key, NULL) != 0)
        return "its key is not its own";
    if (info->not_after - now <= policy->renew_before_s)
        return "it is due for renewal";
    if (info->not_after - info->not_before > policy->validity_s)
        return "it lives longer than the validity now set";
    if (!names_match(info, n))
        return "the names it must carry changed";
    return NULL;
}

/* Why the pair under crt_key/key_key of a summary (secret_summary.h)
 * must be issued again for want, as take_pair says it, or NULL when it is
 * still good; then *issued is its issue time. Sets out->need_whole when
 * the summary cannot tell. */
static const char *why_renew_summary(const cJSON *live, const char *crt_key, const char *key_key,
                                     const pki_request *want, const op_cert_policy *policy,
                                     long long now, op_cluster_tls *out, long long *issued)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(live, "data");
    pki_cert_facts f;
    char want_names[33];

    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, crt_key)) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, key_key)))
        return "it has none yet";
    if (op_secret_facts(live, crt_key, &f) != 0)
        return "it is not a certificate";
    if (f.md[0] == '\0') { /* a signature its facts cannot check */
        out->need_whole = true;
        return NULL;
    }
    if (pki_facts_issued_by(&f, out->ca_cert_pem, NULL) != 0)
        return "it is not from the cluster CA";
    if (!f.key_matches)
        return "its key is not its own";
    if (f.not_after - now <= policy->renew_before_s)
        return "it is due for renewal";
    if (f.not_after - f.not_before > policy->validity_s)
        return "it lives longer than the validity now set";
    if (pki_names_digest(want->dns_names, want->ndns, want->ip_addrs, want->nips, want_names) !=
            0 ||
        strcmp(want_names, f.names) != 0)
        return "the names it must carry changed";
    *issued = f.not_before;
    return NULL;
}

/* Copies data[key] of live (a stub) into data. */
static void keep_stub(const cJSON *live, const char *key, cJSON *data)
{
    cJSON_AddStringToObject(
        data, key,
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(live, "data"), key)
            ->valuestring);
}

/* A pair in data: the live one under crt_key/key_key if it is still good
 * for n, else a new one. *issued gets its issue time. */
static int take_pair(const cJSON *live, const char *crt_key, const char *key_key,
                     const pki_request *want, const names *n, const op_cert_policy *policy,
                     long long now, op_cluster_tls *out, cJSON *data, long long *issued,
                     util_err *err)
{
    char *crt = NULL, *key = NULL;
    pki_cert_info info;
    pki_request req = *want;
    const char *why;
    int rc;

    memset(&info, 0, sizeof info);
    if (op_secret_is_summary(live)) {
        why = why_renew_summary(live, crt_key, key_key, want, policy, now, out, issued);
        if (why == NULL) {
            if (!out->need_whole) {
                keep_stub(live, crt_key, data);
                keep_stub(live, key_key, data);
            }
            return 0;
        }
    } else {
        crt = op_secret_value(live, crt_key);
        key = op_secret_value(live, key_key);
        why = why_renew(crt, key, out->ca_cert_pem, n, policy, now, &info);
    }
    if (why == NULL) {
        *issued = info.not_before;
    } else {
        free(crt);
        free(key);
        crt = key = NULL;
        req.not_before = now;
        req.not_after = now + policy->validity_s;
        if (pki_issue(out->ca_cert_pem, out->ca_key_pem, &req, &crt, &key, err) != 0) {
            pki_cert_info_clear(&info);
            return util_err_prefix(err, "issuing %s", crt_key);
        }
        *issued = now;
        if (out->reissued++ == 0)
            snprintf(out->why, sizeof out->why, "%s: %s", crt_key, why);
    }
    pki_cert_info_clear(&info);
    rc =
        put_value(data, crt_key, crt, err) == 0 && put_value(data, key_key, key, err) == 0 ? 0 : -1;
    free(crt);
    if (key != NULL)
        memset(key, 0, strlen(key));
    free(key);
    return rc;
}

/* ca.crt of <c>-cluster-ca-cert and <c>-broker-certs: the CA, and while a
 * broker still runs with a certificate of the one before (a changed
 * spec.clusterCA, a new CA), that one too, so old and new brokers trust
 * each other until every broker has restarted. */
static int put_trust(const op_cluster *c, const cJSON *live_certs, const cJSON *pods, long long now,
                     op_cluster_tls *out, cJSON *pub_data, cJSON *data, util_err *err)
{
    char *prev = NULL, *bundle;
    bool current = all_current(c, pods, out->issued);
    size_t len;
    int rc;

    if (!op_secret_is_summary(live_certs)) {
        prev = previous_ca(live_certs, out->ca_cert_pem, now);
    } else if (!current) {
        pki_cert_info cur;

        /* The previous CA's certificate is needed, and a summary has none. */
        if (pki_inspect(out->ca_cert_pem, strlen(out->ca_cert_pem), &cur, err) != 0)
            return -1;
        out->need_whole =
            op_secret_bundle_other_ca(live_certs, OP_CERTS_CA_KEY, cur.fingerprint, now);
        pki_cert_info_clear(&cur);
    }
    if (prev == NULL || current) {
        free(prev);
        return put_value(pub_data, "ca.crt", out->ca_cert_pem, err) == 0 &&
                       put_value(data, OP_CERTS_CA_KEY, out->ca_cert_pem, err) == 0
                   ? 0
                   : -1;
    }
    len = strlen(out->ca_cert_pem) + strlen(prev) + 1;
    bundle = malloc(len);
    if (bundle == NULL) {
        free(prev);
        return util_err_set(err, "out of memory");
    }
    snprintf(bundle, len, "%s%s", out->ca_cert_pem, prev);
    rc = put_value(pub_data, "ca.crt", bundle, err) == 0 &&
                 put_value(data, OP_CERTS_CA_KEY, bundle, err) == 0
             ? 0
             : -1;
    free(bundle);
    free(prev);
    return rc;
}

int op_cluster_tls_build(const op_cluster *c, const char *domain, const op_cert_policy *policy,
                         const cJSON *live_ca, const cJSON *live_certs, const cJSON *pods,
                         const cJSON *nodes, const cJSON *services, long long now,
                         op_cluster_tls *out, cJSON **secrets, util_err *err)
{
    cJSON *ca_data, *pub_data = NULL, *data = NULL, *ca_secret, *pub_secret, *certs_secret;
    names *n;
    long long sidecar_issued;
    int rc;

    memset(out, 0, sizeof *out);
    *secrets = NULL;
    if (policy == NULL || policy->validity_s <= 0)
        policy = &op_cert_policy_default;
    if ((rc = take_ca(live_ca, c->ca_secret != NULL, policy, now, out, err)) != 0) {
        op_cluster_tls_clear(out);
        return rc;
    }
    out->nbrokers = c->replicas;
    out->issued = calloc((size_t)(c->replicas > 0 ? c->replicas : 1), sizeof *out->issued);
    n = calloc(1, sizeof *n);
    if (out->issued == NULL || n == NULL) {
        free(n);
        op_cluster_tls_clear(out);
        return util_err_set(err, "out of memory");
    }
    *secrets = cJSON_CreateArray();
    rc = 0;
    if (c->ca_secret == NULL) { /* the user's CA key is never copied */
        ca_secret = secret_new(c, OP_CA_SECRET_SUFFIX, "cluster-ca", &ca_data);
        cJSON_AddItemToArray(*secrets, ca_secret);
        rc = put_value(ca_data, "ca.crt", out->ca_cert_pem, err) == 0 &&
                     put_value(ca_data, "ca.key", out->ca_key_pem, err) == 0
                 ? 0
                 : -1;
    }
    pub_secret = secret_new(c, OP_CA_CERT_SUFFIX, "cluster-ca", &pub_data);
    certs_secret = secret_new(c, OP_CERTS_SECRET_SUFFIX, "broker-certs", &data);
    cJSON_AddItemToArray(*secrets, pub_secret);
    cJSON_AddItemToArray(*secrets, certs_secret);
    for (int id = 0; rc == 0 && id < c->replicas; id++) {
        char pod[OP_NAME_MAX + 16], crt_key[OP_NAME_MAX + 24], key_key[OP_NAME_MAX + 24];
        const char *dns[MAX_NAMES], *ips[MAX_NAMES];
        pki_request req = {0};

        broker_names(c, domain, id, pods, nodes, services, n);
        for (size_t i = 0; i < n->ndns; i++)
            dns[i] = n->dns[i];
        for (size_t i = 0; i < n->nips; i++)
            ips[i] = n->ips[i];
        snprintf(pod, sizeof pod, "%s-%d", c->name, id);
        snprintf(crt_key, sizeof crt_key, "%s.crt", pod);
        snprintf(key_key, sizeof key_key, "%s.key", pod);
        req.common_name = pod;
        req.dns_names = dns;
        req.ndns = n->ndns;
        req.ip_addrs = ips;
        req.nips = n->nips;
        req.server = req.client = true;
        rc = take_pair(live_certs, crt_key, key_key, &req, n, policy, now, out, data,
                       &out->issued[id], err);
    }
    if (rc == 0) {
        pki_request req = {0};

        memset(n, 0, sizeof *n);
        req.common_name = SIDECAR_NAME;
        req.client = true;
        rc = take_pair(live_certs, OP_CERTS_SIDECAR_CRT, OP_CERTS_SIDECAR_KEY, &req, n, policy, now,
                       out, data, &sidecar_issued, err);
    }
    free(n);
    if (rc == 0)
        rc = put_trust(c, live_certs, pods, now, out, pub_data, data, err);
    /* Stubs kept from a summary may stand only in a Secret that needs no
     * write. */
    if (rc == 0 && !out->need_whole && op_secret_has_stub(certs_secret) &&
        !op_subset(certs_secret, live_certs))
        out->need_whole = true;
    if (rc == 0 && out->need_whole) {
        cJSON_Delete(*secrets);
        *secrets = NULL;
        op_cluster_tls_clear(out);
        out->need_whole = true;
        return 0;
    }
    if (rc != 0) {
        cJSON_Delete(*secrets);
        *secrets = NULL;
        op_cluster_tls_clear(out);
    }
    return rc;
}

const char *op_cluster_tls_ca_secret(const op_cluster *c, char *buf, size_t size)
{
    if (c->ca_secret != NULL)
        snprintf(buf, size, "%s", c->ca_secret);
    else
        op_name(c, OP_CA_SECRET_SUFFIX, buf, size);
    return buf;
}

int op_cluster_tls_read_ca(const op_cluster *c, const cJSON *live_ca, long long now,
                           op_cluster_tls *out, util_err *err)
{
    memset(out, 0, sizeof *out);
    if (live_ca == NULL)
        return util_err_set(err, "does not exist"), 1;
    if (take_ca(live_ca, c->ca_secret != NULL, NULL, now, out, err) == 0)
        return 0;
    op_cluster_tls_clear(out);
    return 1;
}

void op_cluster_tls_clear(op_cluster_tls *t)
{
    if (t == NULL)
        return;
    free(t->ca_cert_pem);
    if (t->ca_key_pem != NULL)
        memset(t->ca_key_pem, 0, strlen(t->ca_key_pem));
    free(t->ca_key_pem);
    free(t->issued);
    memset(t, 0, sizeof *t);
}

bool op_cluster_tls_serves(const op_listener *l)
{
    return l->tls && l->tls_secret == NULL;
}

bool op_cluster_tls_stale(const cJSON *pod, long long issued)
{
    const cJSON *e;
    const char *at = NULL, *created;
    int64_t wall;

    cJSON_ArrayForEach(e, member(member(pod, "status"), "initContainerStatuses"))
    {
        const char *name = str_member(e, "name");

        if (name != NULL && strcmp(name, "init") == 0)
            at = str_member(member(member(e, "state"), "terminated"), "finishedAt");
    }
    if (at == NULL || kube_time_parse(at, &wall, NULL) != 0)
        return false;
    if (wall / UTIL_NS_PER_SEC >= issued + OP_CERT_SETTLE_S)
        return false;
    /* A pod made after the certificate was issued never saw an older one
     * (and a test ground's fake init step, done at once, is no sign it did). */
    created = kube_meta_str(pod, "creationTimestamp");
    return created == NULL || kube_time_parse(created, &wall, NULL) != 0 ||
           wall / UTIL_NS_PER_SEC < issued;
}

int op_cluster_tls_operator_cert(const op_cluster_tls *t, long long now, char **cert_pem,
                                 char **key_pem, util_err *err)
{
    pki_request req = {0};

    req.common_name = OPERATOR_NAME;
    req.client = true;
    req.not_before = now - 60;
    req.not_after = now + 3600;
    return pki_issue(t->ca_cert_pem, t->ca_key_pem, &req, cert_pem, key_pem, err);
}
