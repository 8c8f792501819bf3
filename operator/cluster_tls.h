/* The cluster's own mutual TLS (docs/security.md): a CA per KafkaCluster
 * and the certificates it issues, kept in two Secrets the KafkaCluster
 * owns.
 *
 * - "<c>-cluster-ca" holds the CA (ca.crt, ca.key). Only the operator
 *   reads it; it is made once and never replaced behind the brokers' back
 *   (one that is there but unusable stops reconcile with a condition).
 * - "<c>-cluster-ca-cert" holds only ca.crt, for clients of listeners
 *   served with the cluster CA's certificates (tls without secretName).
 * - "<c>-broker-certs" holds ca.crt and, per broker pod, "<pod>.crt" and
 *   "<pod>.key": a certificate for server and client use naming the pod's
 *   DNS names, the bootstrap and per-broker Services, and every address the
 *   broker advertises on a listener served with it (tls without
 *   secretName), as berth computes them from where the pod runs; and
 *   "sidecar.crt"/"sidecar.key", the sidecar's client identity. The broker
 *   pods' init step takes its pair through the API (sidecar/init/cluster_tls.h);
 *   the sidecar container mounts only its own pair and ca.crt.
 *
 * A certificate is kept as long as it is signed by the CA, its key is its
 * own, it names exactly what it should, it is further than renew_before_s
 * from expiry and it lives no longer than validity_s (so a shorter validity
 * applies at once); otherwise a new one is issued, valid validity_s from
 * now. Keeping means the same bytes, so an unchanged
 * Secret is never written.
 *
 * A broker runs with the certificate its init step took. One whose current
 * certificate was issued after that (renewal, an address that moved) must
 * restart: op_cluster_tls_stale says so from the pod's status, and the
 * restart goes one broker at a time through the Eviction API like an
 * address change (readdress.h). */
#ifndef BERTH_OP_CLUSTER_TLS_H
#define BERTH_OP_CLUSTER_TLS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cluster.h"
#include "options.h"
#include "util/err.h"

#define OP_CA_SECRET_SUFFIX    "-cluster-ca"
#define OP_CA_CERT_SUFFIX      "-cluster-ca-cert"
#define OP_CERTS_SECRET_SUFFIX "-broker-certs"
/* The keys of the sidecar's pair in <c>-broker-certs. */
#define OP_CERTS_CA_KEY      "ca.crt"
#define OP_CERTS_SIDECAR_CRT "sidecar.crt"
#define OP_CERTS_SIDECAR_KEY "sidecar.key"
/* How long after its issue a certificate is taken by a broker's init step
 * (sidecar/init/cluster_tls.h: SC_CLUSTER_TLS_SETTLE_S, the same figure). */
#define OP_CERT_SETTLE_S 2

/* What op_cluster_tls_build decided. Owned strings, freed by
 * op_cluster_tls_clear. */
typedef struct op_cluster_tls {
    char *ca_cert_pem; /* the CA, for the operator's own client certificate */
    char *ca_key_pem;
    long long *issued; /* per broker id: when its current certificate was issued */
    int nbrokers;
    int reissued;  /* certificates issued by this build */
    char why[256]; /* why the first of them was, for the log */
    /* The live <c>-broker-certs was a summary (secret_summary.h) and the
     * build needs its values: *secrets is NULL, build again from the whole
     * Secret. */
    bool need_whole;
} op_cluster_tls;

/* Builds the desired "<c>-cluster-ca", "<c>-cluster-ca-cert" and
 * "<c>-broker-certs" Secrets for c
 * from the live ones (NULL: none yet) and the live pods, nodes and
 * services (for the names), at Unix time now; policy NULL or with no
 * validity: op_cert_policy_default. Returns 0 with *secrets a new array
 * of the three (cJSON_Delete) and out filled; 1 when
 * the live CA Secret cannot be used (err says why: reconcile stops rather
 * than replace it); -1 on failure with err set. live_certs may be the
 * cache's summary: a certificate still good is then kept by its stub, and
 * out->need_whole asks for the whole Secret when the one built from the
 * summary would have to be written (or the summary cannot tell). */
int op_cluster_tls_build(const op_cluster *c, const char *domain, const op_cert_policy *policy,
                         const cJSON *live_ca, const cJSON *live_certs, const cJSON *pods,
                         const cJSON *nodes, const cJSON *services, long long now,
                         op_cluster_tls *out, cJSON **secrets, util_err *err) UTIL_MUST_CHECK;

/* The name of c's CA Secret: the one spec.clusterCA names, else
 * <c>-cluster-ca (berth's). Written into buf; returns buf. */
const char *op_cluster_tls_ca_secret(const op_cluster *c, char *buf, size_t size);

/* Only the CA of c's mutual TLS, from its live Secret live_ca (the one
 * spec.clusterCA names, or <c>-cluster-ca), into out->ca_cert_pem and
 * ca_key_pem (op_cluster_tls_clear frees them), for the operator's own
 * client certificate before the rest is built. 0; 1 when there is no such
 * Secret or it cannot be used at Unix time now (err says why), out
 * empty. */
int op_cluster_tls_read_ca(const op_cluster *c, const cJSON *live_ca, long long now,
                           op_cluster_tls *out, util_err *err) UTIL_MUST_CHECK;

void op_cluster_tls_clear(op_cluster_tls *t);

/* Whether listener l is served with the broker's certificate from the
 * cluster CA (tls without secretName). */
bool op_cluster_tls_serves(const op_listener *l);

/* Whether pod runs with an older certificate than the one issued at
 * issued: it was made before that, and its init container finished less
 * than OP_CERT_SETTLE_S after it. false while that is not known (no init
 * container has finished). */
bool op_cluster_tls_stale(const cJSON *pod, long long issued);

/* A client certificate for the operator itself (CN berth-operator), valid
 * for an hour, from the CA in t. New PEM strings for free(). */
int op_cluster_tls_operator_cert(const op_cluster_tls *t, long long now, char **cert_pem,
                                 char **key_pem, util_err *err) UTIL_MUST_CHECK;

#endif
