/* The broker model: the three documents of the <cluster>-brokers ConfigMap
 * (docs/addressing.md) checked and reduced to plain values for this pod's
 * broker, before any address is resolved (address.h) and the flavor's
 * writer runs (render.h). The documents come from the API and are treated
 * as untrusted: every field is checked for type and range, and a bad one is
 * refused with an error naming the document and the field. */
#ifndef BERTH_SIDECAR_INIT_MODEL_H
#define BERTH_SIDECAR_INIT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "broker/pod_contract.h"
#include "init/check.h"
#include "init/flavor.h"
#include "util/err.h"

/* The largest document accepted (a ConfigMap holds at most 1 MiB in all). */
#define SC_DOC_MAX (1024 * 1024)
/* Broker ids are StatefulSet ordinals; the CRD allows 1000 replicas. */
#define SC_MAX_BROKER_ID 999
/* Listeners a cluster may have. */
#define SC_MAX_LISTENERS 8
/* The longest directory given (data, config, TLS). */
#define SC_DIR_MAX 512

typedef struct sc_render_input {
    const char *cluster_json; /* the ConfigMap's keys, NUL-terminated */
    const char *nodes_json;
    const char *brokers_json;
    const char *pod_name;  /* "<cluster>-<ordinal>"; the ordinal is the broker id */
    const char *node_name; /* the node the pod runs on */
    const char *data_dir;  /* the data volume; NULL: the flavor's default */
    /* Kafka: the data volume's root holds meta.properties, i.e. Kafka was
     * formatted there (as berth did before log.dirs moved into
     * BROKER_POD_KAFKA_LOG_SUBDIR): log.dirs stays the root. The caller
     * looks at the volume; Redpanda ignores it. */
    bool kafka_root_formatted;
    const char *config_dir; /* NULL: BROKER_POD_CONFIG_DIR */
    const char *tls_dir;    /* NULL: BROKER_POD_TLS_DIR */
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
    /* Kafka only: the JVM's BROKER_POD_KAFKA_JAVA_SEC_FILE file; owned like text. */
    char *java_security;
    sc_flavor flavor;
    int broker_id;
    /* Where the broker keeps its data: Kafka's log.dirs (where
     * meta.properties is), Redpanda's data_directory. */
    char data_dir[SC_DIR_MAX + sizeof "/" BROKER_POD_KAFKA_LOG_SUBDIR];
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

/* Limits of the KafkaCluster API, kept here so absurd documents stop early. */
#define SC_MAX_CONTROLLERS 9
#define SC_MAX_CONFIG      256

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
    const char *host_template; /* spec's hostTemplate, borrowed like the config; NULL: none */
} sc_listener;

/* One key of the spec's config; both strings are borrowed from the parsed
 * cluster.json (sc_model.docs). */
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
    size_t internal;         /* index of the internal listener */
    char rack[64];           /* "" for none */
    sc_config_entry *config; /* sorted by key; owned */
    size_t nconfig;
    /* Kafka's log.dirs or Redpanda's data_directory (sc_render_result's). */
    char data_dir[SC_DIR_MAX + sizeof "/" BROKER_POD_KAFKA_LOG_SUBDIR];
    const char *config_dir;    /* where init writes the file and the TLS bundles */
    const char *tls_dir;       /* where each TLS listener's Secret is mounted */
    const char *sasl_username; /* inter-broker login; NULL unless the internal listener is SASL */
    const char *sasl_password;
    /* The three documents parsed (cluster, nodes, brokers), owned: every
     * borrowed string above points into them. */
    cJSON *docs[3];
    const char *node_name; /* the pod's node; borrowed from the input */
    const cJSON *node;     /* its entry in nodes.json; NULL: not there yet */
    const cJSON *broker;   /* this broker's object in brokers.json; NULL: none */
} sc_model;

/* Parses and checks in's documents into m (reset first) for broker
 * in->pod_name on node in->node_name, and fills what out says of the
 * cluster and the broker (every field but the texts, the certificate's
 * hosts and the listeners' addresses). 0, or -1 with err naming the
 * document and field. m owns what it parsed either way: sc_model_clear. */
int sc_model_parse(const sc_render_input *in, sc_model *m, sc_render_result *out,
                   util_err *err) UTIL_MUST_CHECK;

/* Frees what m owns. */
void sc_model_clear(sc_model *m);

/* "<cluster>-<id>.<cluster>-brokers.<namespace>.svc.<domain>": the name the
 * headless Service gives broker id. buf must hold SC_HOST_MAX + 1 bytes;
 * the length was checked when the model was built. */
void sc_pod_dns(const sc_model *m, int id, char *buf, size_t size);

/* The broker id of pod "<cluster>-<ordinal>". Returns 0, or -1 with err
 * saying why the name does not fit. */
int sc_broker_id_from_pod(const char *cluster, const char *pod, int *id, util_err *err);

#endif
