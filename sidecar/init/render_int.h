/* What render.c hands the flavor writers (render_kafka.c,
 * render_redpanda.c): the checked documents reduced to plain values, every
 * address already resolved. Private to the renderer. */
#ifndef BERTH_SIDECAR_INIT_RENDER_INT_H
#define BERTH_SIDECAR_INIT_RENDER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "init/render.h"
#include "init/strbuf.h"

/* Limits of the KafkaCluster API, kept here so absurd documents stop early. */
#define SC_MAX_CONTROLLERS 9
#define SC_MAX_CONFIG      256
#define SC_HOST_MAX        253 /* a DNS name; also holds any IP literal */

typedef enum sc_listener_type {
    SC_LISTENER_INTERNAL,
    SC_LISTENER_NODEPORT,
    SC_LISTENER_LOADBALANCER,
    SC_LISTENER_HOSTPORT,
} sc_listener_type;

typedef struct sc_listener {
    char name[32];  /* as in the spec, e.g. "external" */
    char upper[32]; /* Kafka's listener name, e.g. "EXTERNAL" */
    int port;       /* bound inside the pod */
    sc_listener_type type;
    char protocol[16];              /* PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL */
    bool tls;                       /* SSL or SASL_SSL */
    bool cluster_cert;              /* served with the broker's certificate from the cluster CA */
    char mechanism[16];             /* SASL_*: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; else "" */
    char adv_host[SC_HOST_MAX + 1]; /* what it advertises */
    bool adv_host_ipv6;             /* adv_host is an IPv6 literal (Kafka brackets it) */
    int adv_port;
} sc_listener;

/* One key of the spec's config; both strings are borrowed from the parsed
 * cluster.json for the duration of sc_render. */
typedef struct sc_config_entry {
    const char *key;
    const char *value;
} sc_config_entry;

typedef struct sc_model {
    sc_flavor flavor;
    const char *name;      /* cluster name (DNS label) */
    const char *namespace; /* DNS label */
    const char *domain;    /* cluster domain, e.g. cluster.local */
    int controllers;       /* Kafka: voters 0..n-1; Redpanda: seed servers 0..n-1 */
    int controller_port;   /* Kafka: CONTROLLER listener; Redpanda: RPC server */
    /* Mutual TLS between brokers (clusterTLS in cluster.json): Kafka's
     * REPLICATION listener port, 0 when off. */
    int replication_port;
    int broker_id;
    bool voter;
    sc_listener listeners[SC_MAX_LISTENERS];
    size_t nlisteners;
    size_t internal;               /* index of the internal listener */
    char rack[64];                 /* "" for none */
    const sc_config_entry *config; /* sorted by key */
    size_t nconfig;
    const char *data_dir;
    const char *config_dir;    /* where init writes the file and the TLS bundles */
    const char *tls_dir;       /* where each TLS listener's Secret is mounted */
    const char *sasl_username; /* inter-broker login; NULL unless the internal listener is SASL */
    const char *sasl_password;
} sc_model;

/* "<cluster>-<id>.<cluster>-brokers.<namespace>.svc.<domain>": the name the
 * headless Service gives broker id. buf must hold SC_HOST_MAX + 1 bytes;
 * the length was checked when the model was built. */
void sc_pod_dns(const sc_model *m, int id, char *buf, size_t size);

/* Decodes the UTF-8 sequence at s (len bytes left): returns its length
 * with *cp set, or 0 if it is not valid UTF-8. */
size_t sc_utf8_next(const char *s, size_t len, unsigned *cp);

/* The writers. They cannot fail except by running out of memory, which
 * the strbuf records. */
void sc_render_kafka(const sc_model *m, sc_strbuf *out);
void sc_render_kafka_java_security(const sc_model *m, sc_strbuf *out);
void sc_render_redpanda(const sc_model *m, sc_strbuf *out);
void sc_render_redpanda_bootstrap(const sc_model *m, sc_strbuf *out);

#endif
