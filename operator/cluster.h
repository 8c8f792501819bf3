/* A KafkaCluster as the operator works with it: the custom resource's spec
 * read into a plain struct, with the defaults the CRD declares filled in and
 * the checks only the operator can make (the API server's schema and CEL
 * rules catch the rest before an object is stored).
 *
 * The API server validated the object, but a CRD can be edited, an older
 * stored version may lack a default, and a test may hand anything in, so
 * every field read is checked for type and range again and a bad one is
 * refused with the field named ("spec.listeners[1].port: must be an integer
 * from 1024 to 65535"). Such a refusal becomes condition Reconciled=False,
 * never a crash. Pure: no I/O. */
#ifndef BERTH_OP_CLUSTER_H
#define BERTH_OP_CLUSTER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util/err.h"

#define OP_API_GROUP     "berth.io"
#define OP_API_VERSION   "berth.io/v1alpha1"
#define OP_KIND          "KafkaCluster"
#define OP_RESOURCE      "kafkaclusters"
#define OP_FIELD_MANAGER "berth-operator"
/* On a KafkaCluster: voter ids ("1", "0,2") allowed to start once more on
 * an empty volume (docs/addressing.md, reformatVoters). */
#define OP_REFORMAT_ANNOTATION "berth.io/reformat-voter"

#define OP_MAX_LISTENERS    8
#define OP_MAX_PULL_SECRETS 16
#define OP_MAX_REPLICAS     1000
#define OP_NAME_MAX         64

typedef enum op_flavor {
    OP_FLAVOR_KAFKA,
    OP_FLAVOR_REDPANDA,
} op_flavor;

typedef enum op_listener_type {
    OP_LISTENER_INTERNAL,
    OP_LISTENER_NODEPORT,
    OP_LISTENER_LOADBALANCER,
    OP_LISTENER_HOSTPORT,
} op_listener_type;

/* Node address types, in the fallback order of docs/addressing.md. */
typedef enum op_addr_type {
    OP_ADDR_EXTERNAL_IP,
    OP_ADDR_INTERNAL_IP,
    OP_ADDR_HOSTNAME,
} op_addr_type;

#define OP_ADDR_TYPES 3

typedef struct op_listener {
    char name[32];
    int port;
    op_listener_type type;
    op_addr_type addr_type;    /* nodeport and hostport; default ExternalIP */
    int node_port_base;        /* nodeport only */
    const char *host_template; /* advertisedHostTemplate or NULL; borrowed from the CR */
    bool tls;                  /* tls given: served over TLS */
    const char *tls_secret;    /* tls.secretName, or NULL: the broker's certificate from the
                                  cluster CA (cluster_tls.h); borrowed */
    const char *auth;          /* authentication.type or NULL ("none" reads as NULL) */
} op_listener;

/* spec.rebalance.mode: when berth moves partitions. */
typedef enum op_rebalance_mode {
    OP_REBALANCE_ON_SCALE_UP, /* decommission on scale-down, rebalance after scale-up */
    OP_REBALANCE_MANUAL,      /* decommission; rebalance only when the annotation asks */
    OP_REBALANCE_OFF,         /* nothing moves: a scale-down waits for empty brokers */
} op_rebalance_mode;

/* The parsed resource. String and cJSON members point into the CR the
 * struct was parsed from and live as long as it does. */
typedef struct op_cluster {
    const char *name;
    const char *namespace;
    const char *uid;
    long long generation;
    op_flavor flavor;
    const char *image;
    int replicas;
    int controllers;        /* kafka: voters 0..controllers-1; redpanda: unused */
    const char *cluster_id; /* spec.clusterID or NULL */
    op_listener listeners[OP_MAX_LISTENERS];
    int nlisteners;
    int internal;        /* index of the internal listener */
    int controller_port; /* kafka: the KRaft controller listener's port */
    /* The REPLICATION listener of the cluster's mutual TLS (Kafka's
     * inter-broker one; sidecar/init/render_kafka.c), free of every other port. */
    int replication_port;
    const char *storage_size;
    const char *storage_class; /* NULL: unset (the default class); "" means none */
    bool delete_claim;
    const cJSON *config; /* spec.config object or NULL */
    const char *rack_key;
    int drain_timeout_s;
    int lock_wait_s;
    int client_dns_cache_s; /* spec.drain.clientDnsCacheSeconds (Kafka) */
    const cJSON *resources; /* spec.resources or NULL */
    int heap_percent;
    const char *heap_override; /* NULL: heapPercent applies */
    int pdb_max_unavailable;
    const cJSON *node_selector; /* pass-through, each NULL when absent */
    const cJSON *tolerations;
    const cJSON *affinity;
    const cJSON *topology_spread;
    const char *sidecar_image; /* spec.sidecar.image or NULL */
    /* spec.imagePullSecrets or NULL: an array of at most
     * OP_MAX_PULL_SECRETS objects, each with a distinct "name" that is a
     * DNS subdomain (checked); other members are ignored. */
    const cJSON *pull_secrets;
    /* spec.clusterCA.secretName: the user's CA for the cluster's mutual TLS,
     * or NULL for the one the operator makes (cluster_tls.h). */
    const char *ca_secret;
    /* spec.metadataVersion as a level (upgrade.h), or -1: raise
     * metadata.version to what every broker supports after an upgrade. */
    int metadata_version;
    /* spec.rebalance (rebalance.h): when partitions move, how fast, how
     * many at once. */
    op_rebalance_mode rebalance_mode;
    int rebalance_throttle;  /* bytes/s per broker; 0: unthrottled */
    int rebalance_max_moves; /* partitions in flight at once */
} op_cluster;

/* metadata.generation of a KafkaCluster: a whole number from 0 to 2^53
 * (what a double holds exactly), else 0. */
long long op_cluster_generation(const cJSON *cr);

/* Reads a KafkaCluster (the whole object) into c. Returns 0, or -1 with err
 * naming the field that is wrong. */
int op_cluster_parse(const cJSON *cr, op_cluster *c, util_err *err) UTIL_MUST_CHECK;

const char *op_flavor_name(op_flavor f);
const char *op_listener_type_name(op_listener_type t);
const char *op_addr_type_name(op_addr_type t);

/* Whether the listener needs a node's address (nodeport or hostport without
 * a host template). */
bool op_listener_uses_node_address(const op_listener *l);

/* Whether the listener is external (anything but internal). */
bool op_listener_external(const op_listener *l);

/* Parses a Kubernetes quantity ("16Gi", "500m", "1e3", "2") into bytes or
 * units. Returns 0, or -1 if s is not a quantity. */
int op_quantity_parse(const char *s, double *out);

/* The same for a quantity given as a JSON string or number. */
int op_quantity_of(const cJSON *j, double *out);

#endif
