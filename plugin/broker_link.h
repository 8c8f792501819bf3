/* Reaching one broker of a KafkaCluster from wherever kubectl runs, which
 * may reach no broker address at all: through the API server's
 * port-forward to the broker pod's replication port, speaking the
 * cluster's own mutual TLS with the sidecar's identity, as the sidecar in
 * the pod does. Where and how come from what berth-operator keeps in the
 * namespace: the ConfigMap "<cluster>-brokers", whose cluster.json names
 * the flavor, the Secret of broker certificates and the replication port;
 * and that Secret, with the cluster CA and the sidecar's certificate and
 * key. The user needs get on configmaps and secrets, and get and create
 * on pods/portforward, in the cluster's namespace. Refusals name the
 * command that needs the right (pl_ctx.command).
 *
 * With --direct the broker is reached instead at its advertised address
 * on a client listener (the KafkaCluster's status), as a client would:
 * for a plugin running where those addresses answer (inside the cluster's
 * network, or where node ports are open). Only a listener the plugin can
 * dial will do (pl_check_how): plaintext, or TLS verified against the
 * cluster CA, whose certificate alone is read, from "<cluster>-cluster-ca-cert"
 * (no key: a Role may grant get on that one Secret by name).
 *
 * The parsing is pure (pl_cluster_doc_parse, pl_broker_creds_take,
 * pl_broker_candidates, pl_direct_listener) so that tests can feed it what
 * the API would answer. Used by every command that asks a broker (health,
 * drain-plan). */
#ifndef BERTH_PL_BROKER_LINK_H
#define BERTH_PL_BROKER_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/tls.h"
#include "kube/portforward.h"
#include "plugin.h"
#include "util/err.h"

/* The TCP connect and TLS handshake, and each call: through the API
 * server and the kubelet every round trip takes longer than in the
 * cluster. */
#define PL_LINK_TIMEOUT_MS 15000
/* The client id the brokers see (and log). */
#define PL_LINK_CLIENT_ID "kubectl-berth"
/* Brokers tried before giving up: each may take PL_LINK_TIMEOUT_MS. */
#define PL_LINK_TRIES 3

/* The client listeners cluster.json describes (the CRD allows 8). */
#define PL_DOC_LISTENERS_MAX 8

/* One client listener as cluster.json describes it. */
typedef struct pl_doc_listener {
    char name[64];
    char security[16]; /* securityProtocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL */
    bool cluster_cert; /* TLS with a certificate of the cluster CA (not a user's Secret) */
} pl_doc_listener;

/* What cluster.json says about reaching a broker. */
typedef struct pl_cluster_doc {
    char flavor[16];      /* "kafka" or "redpanda" ("kafka" when absent) */
    char secret[256];     /* the Secret of broker certificates */
    int replication_port; /* the REPLICATION listener's port, in every broker pod */
    int nlisteners;       /* "listeners" (absent: none) */
    pl_doc_listener listeners[PL_DOC_LISTENERS_MAX];
} pl_cluster_doc;

/* Reads json, the text of cluster.json; what names its ConfigMap
 * ("ns/name") in messages. 0, or -1 with err naming the member that is
 * missing or wrong ("ConfigMap kafka/demo-brokers: cluster.json:
 * clusterTLS.replicationPort: missing", "listeners[1].securityProtocol:
 * missing"). */
int pl_cluster_doc_parse(const char *json, const char *what, pl_cluster_doc *out,
                         util_err *err) UTIL_MUST_CHECK;

/* "internal, external": doc's listener names into buf, for messages;
 * returns buf. */
const char *pl_cluster_doc_listeners(const pl_cluster_doc *doc, char *buf, size_t size);

/* The listener of doc that --direct dials: only (NULL: none named) if the
 * plugin can dial it, else the first the plugin can dial (pl_check_how).
 * Its index in doc->listeners, with *tls set when it is TLS with the
 * cluster's certificate; or -1 with err naming the listener and why
 * ("--direct: listener external is SASL_SSL: the plugin has no SASL
 * credentials; drop --direct ..."), or that only is not one of doc's. */
int pl_direct_listener(const pl_cluster_doc *doc, const char *only, bool *tls, util_err *err);

/* GETs the ConfigMap "<cluster>-brokers" of ctx's namespace and reads its
 * cluster.json. 0, or -1 with err saying what is missing: the ConfigMap
 * (berth-operator creates it), the right to get it, the key. */
int pl_cluster_doc_get(const pl_ctx *ctx, const char *cluster, pl_cluster_doc *out,
                       util_err *err) UTIL_MUST_CHECK;

/* The cluster CA and the sidecar's pair, PEM, each NUL-terminated and
 * owned; pl_broker_creds_clear wipes the key and frees them all. */
typedef struct pl_broker_creds {
    char *ca_pem;
    char *cert_pem;
    char *key_pem;
    size_t key_len;
} pl_broker_creds;

/* Decodes data "ca.crt", "sidecar.crt" and "sidecar.key" of secret (a
 * Secret object, borrowed; what names it in messages) into *out, which is
 * left empty on failure. 0, or -1 with err naming the key that is missing
 * or not base64. */
int pl_broker_creds_take(const cJSON *secret, const char *what, pl_broker_creds *out,
                         util_err *err) UTIL_MUST_CHECK;

/* GETs Secret name of ctx's namespace and takes the credentials out of
 * it; the Secret's encoded values are wiped before it is freed. 0, or -1
 * with err saying what is missing: the Secret (berth-operator creates
 * it), the right to get secrets, a key. */
int pl_broker_creds_get(const pl_ctx *ctx, const char *name, pl_broker_creds *out,
                        util_err *err) UTIL_MUST_CHECK;

/* GETs Secret "<cluster>-cluster-ca-cert" of ctx's namespace (the CA's
 * certificate only, which clients of a listener served with the cluster
 * CA trust) and decodes its ca.crt into *ca_pem (owned, NUL-terminated).
 * 0, or -1 with err as pl_broker_creds_get's. */
int pl_cluster_ca_get(const pl_ctx *ctx, const char *cluster, char **ca_pem,
                      util_err *err) UTIL_MUST_CHECK;

/* Wipes and frees; c is then empty. NULL and an empty c are no-ops. */
void pl_broker_creds_clear(pl_broker_creds *c);

/* The broker ids of brokers (a KafkaCluster's status.brokers) in the
 * order to try them: Ready ones first, then those with a pod, then the
 * rest, each group in the status's order, and broker last (if listed;
 * -1: none) after all of them, so that a question about that broker is
 * asked of another one when there is one; at most max. With none listed,
 * broker 0 alone. Returns how many were written to ids. */
int pl_broker_candidates(const cJSON *brokers, int32_t last, int32_t *ids, int max);

/* One broker reached: the forwarder (none with --direct), the TLS
 * settings (none on a plaintext listener) and the connection ready for
 * admin calls, all owned. */
typedef struct pl_broker_link {
    int32_t id;
    char pod[320];
    int port;          /* the pod's port forwarded to, or the address's port */
    char address[320]; /* with --direct: the "host:port" dialled; else "" */
    char listener[64]; /* with --direct: the listener it is advertised on */
    kube_portforward *pf;
    kafka_tls *tls;
    kafka_conn *conn;
    kafka_api_versions *av; /* conn's broker's ApiVersions answer */
} pl_broker_link;

/* Reaches broker id of cluster (pod "<cluster>-<id>" of ctx's namespace)
 * on doc's replication port with creds, verifying the broker's
 * certificate by the name "<pod>.<cluster>-brokers.<namespace>.svc" that
 * every broker certificate carries. On failure l is empty and err says
 * which step failed: the port-forward's refusal when the API server or
 * the kubelet refused one (no right to pods/portforward, no such pod), or
 * what Kafka made of the connection (the TLS handshake refused, no
 * answer). */
int pl_broker_link_open(const pl_ctx *ctx, const char *cluster, int32_t id,
                        const pl_cluster_doc *doc, const pl_broker_creds *creds, pl_broker_link *l,
                        util_err *err) UTIL_MUST_CHECK;

/* Closes the connection, then the forwarder; l is then empty. */
void pl_broker_link_close(pl_broker_link *l);

/* Reaches the first of up to PL_LINK_TRIES brokers of cluster that
 * answers, in pl_broker_candidates' order (broker last after the others;
 * -1: none), with the credentials of doc's Secret, which are wiped once
 * tried. Through a port-forward (pl_broker_link_open), or with
 * ctx->opts->direct at the broker's address in brokers (status.brokers)
 * on pl_direct_listener's listener (ctx->opts->listener): plaintext, or
 * TLS verified against the cluster CA (pl_cluster_ca_get) by the host
 * dialled, with no client certificate (a client listener asks for none);
 * doc's Secret is not read with --direct, the CA's only for TLS. Says on stderr
 * why each broker before it did not answer. 0 with l open
 * (pl_broker_link_close), or -1 with err saying why no listener will do,
 * why the Secret could not be had or why the last broker tried did not
 * answer. */
int pl_broker_reach(const pl_ctx *ctx, const char *cluster, const cJSON *brokers,
                    const pl_cluster_doc *doc, int32_t last, pl_broker_link *l,
                    util_err *err) UTIL_MUST_CHECK;

#endif
