/* The broker configuration a pod starts with, rendered from the cluster's
 * <cluster>-brokers ConfigMap (docs/addressing.md): Kafka's server.properties
 * or Redpanda's redpanda.yaml, with this broker's id, roles, quorum and the
 * address every listener advertises from the node the pod landed on.
 *
 * A pure function: the three documents, the pod name and the node name in,
 * text out, no I/O. The documents come from the API and are treated as
 * untrusted: every field is checked for type and range, and a bad one is
 * refused with an error naming the document and the field. An address that
 * is legitimately not known yet (a node the operator has not described, a
 * load balancer without ingress) is not an error but a "waiting" outcome that
 * says what is missing, so the init step can retry until it appears. */
#ifndef BERTH_SIDECAR_INIT_RENDER_H
#define BERTH_SIDECAR_INIT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

typedef enum sc_flavor {
    SC_FLAVOR_KAFKA,
    SC_FLAVOR_REDPANDA,
} sc_flavor;

/* Where the broker keeps its data when the caller does not say. */
#define SC_KAFKA_DATA_DIR    "/var/lib/kafka/data"
#define SC_REDPANDA_DATA_DIR "/var/lib/redpanda/data"
/* Where the rendered file (and TLS bundles) go, and where the operator
 * mounts the Secret of each TLS listener: <tls dir>/<listener>/tls.crt,
 * tls.key and optionally ca.crt (a kubernetes.io/tls Secret). */
#define SC_CONFIG_DIR "/etc/berth/config"
#define SC_TLS_DIR    "/etc/berth/tls"
/* Kafka: the broker JVM's own security properties, a file init writes in
 * the config dir beside server.properties (the operator's pod passes it
 * with -Djava.security.properties), and how long that JVM caches a name
 * lookup, found or not, in seconds (render_kafka.c says why). */
#define SC_KAFKA_JAVA_SECURITY "java.security"
#define SC_KAFKA_JVM_DNS_TTL_S 5
/* Mutual TLS between the brokers (docs/security.md): the operator keeps
 * every broker's certificate and key in one Secret that cluster.json names
 * (clusterTLS.secret), as "<pod>.crt" and "<pod>.key" beside the cluster
 * CA's "ca.crt"; init writes this broker's pair into the config directory,
 * in SC_CLUSTER_TLS_SUBDIR, as the files below. */
#define SC_CLUSTER_TLS_SUBDIR   "cluster-tls"
#define SC_CLUSTER_TLS_KEYSTORE "keystore.pem" /* PKCS#8 key + chain (Kafka) */
#define SC_CLUSTER_TLS_CERT     "cert.pem"     /* the chain alone (Redpanda) */
#define SC_CLUSTER_TLS_KEY      "key.pem"      /* the key alone, PKCS#8 (Redpanda) */
#define SC_CLUSTER_TLS_CA       "ca.pem"       /* the CAs trusted for peers */
/* Redpanda's admin API (maintenance mode, health) listens here. */
#define SC_REDPANDA_ADMIN_PORT 9644
/* The largest document accepted (a ConfigMap holds at most 1 MiB in all). */
#define SC_DOC_MAX (1024 * 1024)
/* Broker ids are StatefulSet ordinals; the CRD allows 1000 replicas. */
#define SC_MAX_BROKER_ID 999
/* Listeners a cluster may have. */
#define SC_MAX_LISTENERS 8

typedef struct sc_render_input {
    const char *cluster_json; /* the ConfigMap's keys, NUL-terminated */
    const char *nodes_json;
    const char *brokers_json;
    const char *pod_name;   /* "<cluster>-<ordinal>"; the ordinal is the broker id */
    const char *node_name;  /* the node the pod runs on */
    const char *data_dir;   /* log.dirs / data_directory; NULL: the flavor's default */
    const char *config_dir; /* NULL: SC_CONFIG_DIR */
    const char *tls_dir;    /* NULL: SC_TLS_DIR */
    /* The login brokers use on a SASL internal listener (inter-broker
     * traffic); needed only then. */
    const char *sasl_username;
    const char *sasl_password;
} sc_render_input;

/* What sc_render learnt. Every field but text is filled whenever the
 * documents were valid, i.e. also when the outcome is "waiting". */
typedef struct sc_render_result {
    char *text; /* the file, only on success; owned, freed by sc_render_result_clear */
    /* Redpanda only: .bootstrap.yaml, the cluster properties of spec.config,
     * which Redpanda reads when it forms the cluster; owned like text. */
    char *bootstrap;
    /* Kafka only: the JVM's SC_KAFKA_JAVA_SECURITY file; owned like text. */
    char *java_security;
    sc_flavor flavor;
    int broker_id;
    bool voter;            /* Kafka: a KRaft voter (id < controllers) */
    bool formatted_voter;  /* cluster.json's formattedVoters lists this broker */
    bool reformat_allowed; /* cluster.json's reformatVoters lists this broker */
    char cluster[64];      /* the cluster's name and namespace, for messages */
    char namespace[64];
    char cluster_id[64]; /* Kafka: the cluster ID its volume must carry; Redpanda: "" */
    /* Names of the listeners served over TLS, in spec order: init builds a
     * key bundle for each (sc_tls_bundle_path). */
    char tls_listeners[SC_MAX_LISTENERS][32];
    int ntls;
    /* Mutual TLS between brokers: the Secret holding this broker's
     * certificate ("" when cluster.json asks for none), and the name the
     * certificate must carry (the pod DNS name its peers dial). */
    char cluster_tls_secret[254];
    char pod_dns[254];
    /* The addresses this broker advertises on listeners served with that
     * certificate (clusterCert): it must name them too. */
    char cert_hosts[SC_MAX_LISTENERS][254];
    int ncert_hosts;
} sc_render_result;

/* sc_render's outcome when an address is not known yet. */
#define SC_RENDER_WAITING 1

/* Renders the configuration of the broker in->pod_name. Returns 0 with
 * out->text set; SC_RENDER_WAITING with err saying what is missing (e.g.
 * `node "n1" has no address for listener "external" yet`); or -1 with err
 * naming the document and field that is wrong. out is always reset first. */
int sc_render(const sc_render_input *in, sc_render_result *out, util_err *err);

/* Frees out's texts; the struct may be reused. NULL is a no-op. */
void sc_render_result_clear(sc_render_result *out);

/* The broker id of pod "<cluster>-<ordinal>". Returns 0, or -1 with err
 * saying why the name does not fit. */
int sc_broker_id_from_pod(const char *cluster, const char *pod, int *id, util_err *err);

/* Where Kafka reads the PEM key store (private key + chain) of a TLS
 * listener and the CA it trusts for inter-broker connections: files init
 * writes into the config directory. */
void sc_tls_bundle_path(const char *config_dir, const char *listener, char *buf, size_t size);
void sc_tls_ca_path(const char *config_dir, const char *listener, char *buf, size_t size);

/* <config_dir>/SC_CLUSTER_TLS_SUBDIR/<file>. */
void sc_cluster_tls_path(const char *config_dir, const char *file, char *buf, size_t size);

/* "kafka" or "redpanda". */
const char *sc_flavor_name(sc_flavor f);

/* The default data directory of a flavor (SC_KAFKA_DATA_DIR, ...). */
const char *sc_flavor_data_dir(sc_flavor f);

#endif
