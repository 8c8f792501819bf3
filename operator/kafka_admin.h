/* The operator's admin connection to a KafkaCluster's brokers, over the
 * Kafka protocol (which Redpanda speaks too): every step that must ask the
 * running cluster (the scale-down guard, config changes, upgrades) opens it
 * here, so the address rules and the credentials live in one place.
 *
 * A broker is reached by its pod DNS name on its REPLICATION listener, the
 * cluster's mutual TLS, as berth-operator (a client certificate issued by
 * the cluster CA for an hour). An operator started with
 * --admin-bootstrap-annotation (one running outside the cluster network,
 * as in berth's own tests) dials the host:port of the annotation
 * berth.io/admin-bootstrap on the KafkaCluster instead, in plaintext, and
 * reaches whichever broker listens there; without the flag the annotation is
 * ignored, so whoever may write a KafkaCluster cannot point the operator at
 * an address of their choosing. */
#ifndef BERTH_OP_KAFKA_ADMIN_H
#define BERTH_OP_KAFKA_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cluster.h"
#include "cluster_tls.h"
#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/tls.h"
#include "options.h"
#include "util/err.h"

#define OP_ADMIN_BOOTSTRAP_ANNOTATION "berth.io/admin-bootstrap"
/* Connect, handshake and each call. */
#define OP_ADMIN_TIMEOUT_MS 10000

/* Where and how to connect; every pointer borrowed for the call. */
typedef struct op_admin_target {
    const op_cluster *c;
    const op_cluster_tls *tls; /* the cluster CA, for berth-operator's certificate */
    const char *cluster_domain;
    /* The admin-bootstrap annotation's host:port when honoured
     * (op_admin_bootstrap), or NULL: the broker's REPLICATION listener. */
    const char *bootstrap;
    size_t max_frame_bytes; /* largest answer accepted; 0: lib/kafka's default */
} op_admin_target;

/* An open connection. Owned by whoever op_admin_open gave it to;
 * op_admin_free closes it. */
typedef struct op_admin {
    kafka_conn *conn;       /* the connection, owned */
    kafka_api_versions *av; /* its broker's ApiVersions answer, owned */
    /* The id of the broker at the other end, or -1 when it was dialled at
     * the admin-bootstrap address (whichever broker listens there). */
    int32_t node_id;
    char hostport[600]; /* what was dialled, for messages */
    kafka_tls *tls;     /* owned; outlives conn */
} op_admin;

/* The admin-bootstrap annotation's value on cr when opts honour it,
 * borrowed from cr; NULL otherwise. */
const char *op_admin_bootstrap(const cJSON *cr, const op_options *opts);

/* Connects to broker `broker` (an ordinal, which is its node id) of t->c,
 * or to t->bootstrap when set, at Unix time now (for the certificate).
 * On success *out is for op_admin_free; on failure it is NULL and err
 * starts with the host:port dialled. */
int op_admin_open(const op_admin_target *t, int broker, long long now, op_admin **out,
                  util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. */
void op_admin_free(op_admin *a);

#endif
