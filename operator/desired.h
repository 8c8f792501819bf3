/* The objects a KafkaCluster should own, built from its parsed spec and
 * what the operator observed (nodes, load-balancer ingress), as cJSON ready
 * for server-side apply: apiVersion, kind, metadata (name, namespace, the
 * cluster's labels, an owner reference to the KafkaCluster) and exactly the
 * fields berth means to own, nothing the server fills in.
 *
 * Pure and deterministic: the same inputs give byte-identical JSON, which
 * the golden tests pin down and the reconciler relies on to write nothing
 * when nothing changed. Every builder returns a new cJSON (cJSON_Delete) or
 * NULL with err set.
 *
 * What the pod expects of berth-sidecar (paths, port, arguments) is fixed
 * here too, in the OP_POD_* constants, so both sides read one contract. */
#ifndef BERTH_OP_DESIRED_H
#define BERTH_OP_DESIRED_H

#include <cjson/cJSON.h>

#include "broker/pod_contract.h"
#include "cluster.h"
#include "options.h"
#include "util/err.h"

/* The pod's side of the contract with berth-sidecar is
 * lib/broker/pod_contract.h (BROKER_POD_*); what only the operator's pod
 * spec needs is here. */
#define OP_POD_TOKEN_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
/* The sidecar's client certificate for the cluster's mutual TLS and the CA
 * (operator/cluster_tls.h), from <c>-broker-certs. */
#define OP_POD_SIDECAR_TLS_DIR "/etc/berth/cluster-tls"
#define OP_POD_KAFKA_HOME      "/opt/kafka"
/* Redpanda's admin API as the sidecar reaches it: on the pod's loopback,
 * at the one admin listener init renders into redpanda.yaml (0.0.0.0:9644,
 * plain HTTP without authentication: sidecar/init/render_redpanda.c, and the
 * KafkaCluster has no field for admin TLS or credentials). 127.0.0.1, not
 * localhost: that listener is IPv4 only. */
#define OP_POD_REDPANDA_ADMIN_URL "http://127.0.0.1:9644" /* BROKER_POD_REDPANDA_ADMIN_PORT */

/* Kafka's own shutdown after SIGTERM, and the sidecar's margin, on top of
 * the drain (lock wait + timeout) in the grace period. */
#define OP_SHUTDOWN_BUDGET_S 60
#define OP_GRACE_MARGIN_S    10

/* Object names of a cluster; buf gets "<cluster><suffix>". Returns buf. */
const char *op_name(const op_cluster *c, const char *suffix, char *buf, size_t size);

/* The pod of broker id ("<cluster>-<id>", the StatefulSet's ordinal) in
 * pods (a list's items), borrowed from it; NULL when there is none. */
const cJSON *op_broker_pod(const op_cluster *c, const cJSON *pods, int id);

/* The labels every owned object carries:
 * app.kubernetes.io/name (the flavor), /instance (the cluster),
 * /managed-by (berth-operator), /component. */
cJSON *op_labels_new(const op_cluster *c, const char *component);

/* The pods' selector: name, instance and component=broker. */
cJSON *op_selector_new(const op_cluster *c);

/* The label selector (as a query string) that finds every object berth owns
 * for cluster c. Returns 0, or -1 when buf is too small. */
int op_owned_selector(const op_cluster *c, char *buf, size_t size);

/* apiVersion, kind, metadata {name, namespace, labels, ownerReferences}. */
cJSON *op_object_new(const op_cluster *c, const char *api_version, const char *kind,
                     const char *name, const char *component);

/* The StatefulSet "<c>". The cluster ID is not in it: brokers read it from
 * the file init writes, so it lives in one place, the ConfigMap. */
cJSON *op_desired_statefulset(const op_cluster *c, const op_options *o, util_err *err);

/* The JVM heap in MiB for the broker (0: leave the image's default), and
 * the grace period in seconds. */
long op_heap_mib(const op_cluster *c);
int op_grace_seconds(const op_cluster *c);

/* Redpanda's share of the broker container, for `rpk redpanda start`:
 * without it Redpanda sizes itself from what it sees of the node. Each
 * figure comes from the container's limit, else its request. */
typedef struct op_redpanda_size {
    int smp;              /* --smp: whole CPU cores, at least 1; 0: no CPU given */
    bool overprovisioned; /* less than one core: --overprovisioned */
    long memory_mib;      /* --memory: OP_REDPANDA_MEMORY_PERCENT of the memory; 0: none given */
} op_redpanda_size;

#define OP_REDPANDA_MEMORY_PERCENT 80

/* All zero for flavor kafka. */
op_redpanda_size op_redpanda_sizing(const op_cluster *c);

/* Every Service: headless "<c>-brokers", bootstrap "<c>-bootstrap", and one
 * "<c>-<id>-<listener>" per broker and nodeport or loadbalancer listener.
 * A cJSON array. */
cJSON *op_desired_services(const op_cluster *c, util_err *err);

/* The ConfigMap "<c>-brokers" of docs/addressing.md. nodes is an array of
 * Node objects (all the cluster has; those not matching spec.nodeSelector
 * are left out), services an array of Services (the per-broker
 * LoadBalancer ones give the ingress hosts; others are ignored); either
 * may be NULL. */
cJSON *op_desired_brokers_cm(const op_cluster *c, const op_options *o, const char *cluster_id,
                             const cJSON *nodes, const cJSON *services, util_err *err);

/* A new random Kafka cluster ID: 16 random bytes as 22 characters of
 * URL-safe base64, as kafka-storage.sh random-uuid prints. buf holds at
 * least 23 bytes. */
int op_cluster_id_new(char *buf, size_t size, util_err *err);

/* The cluster ID an existing <c>-brokers ConfigMap records: 0 with buf
 * set (it holds at least 23 bytes), 1 when the ConfigMap records none, -1
 * when what it records is not a cluster ID. */
int op_brokers_cm_cluster_id(const cJSON *cm, char *buf, size_t size);

/* The KRaft voter guards of cluster.json (docs/addressing.md), as bit
 * masks of voter ids: formattedVoters, the voters known to have formatted
 * their volume (a voter is added once its pod has been Ready, and never
 * removed while the ConfigMap exists), and reformatVoters, the voters
 * allowed to start once more on an empty volume. */
typedef struct op_voters {
    unsigned formatted;
    unsigned reformat;
} op_voters;

/* Reads the guards from an existing <c>-brokers ConfigMap (absent arrays
 * read as empty). Returns 0, or -1 when cluster.json is unreadable. */
int op_brokers_cm_voters(const cJSON *cm, op_voters *out);

/* Writes the guards into the cluster.json of a desired <c>-brokers
 * ConfigMap; empty masks leave their array out. Returns 0, or -1. */
int op_brokers_cm_voters_put(cJSON *cm, const op_voters *v, util_err *err);

/* The PodDisruptionBudget "<c>". */
cJSON *op_desired_pdb(const op_cluster *c, util_err *err);

/* The sidecar's ServiceAccount, Role and RoleBinding, all "<c>-sidecar", as
 * a cJSON array in that order. */
cJSON *op_desired_rbac(const op_cluster *c, util_err *err);

/* The drain ledger ConfigMap and the drain Lease, both "<c>-drain", as a
 * cJSON array: metadata only, so the sidecar's writes to their contents
 * never fight the operator's. */
cJSON *op_desired_drain(const op_cluster *c, util_err *err);

#endif
