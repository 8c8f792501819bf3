/* The KafkaCluster's status as berth reports it: observedGeneration, the
 * conditions Ready, Reconciled, Draining and Degraded, the cluster ID, replica
 * counts, bootstrap addresses and one entry per broker with its pod, node,
 * readiness, the address it advertises on every listener, addressFallback
 * when a listener's node lacks the listener's addressType (address.h) and,
 * while one of its pod's containers cannot run, containerError
 * (container_failure.h;
 * Degraded then names the first such broker, with reason
 * BrokerImagePullFailed, BrokerContainerCreateFailed or BrokerCrashLooping).
 * Draining is True (reason BrokerDraining, naming the broker) while a
 * broker pod is stopping: deleted, its containers not all exited, which is
 * when its preStop hook drains it; False (NotDraining) otherwise.
 *
 * Built from what reconcile observed, purely, so the same observation
 * gives the same status and an unchanged cluster costs no status write.
 * A condition keeps its lastTransitionTime while its status stays the
 * same. */
#ifndef BERTH_OP_STATUS_H
#define BERTH_OP_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cluster.h"
#include "desired.h"

typedef struct op_status_input {
    const op_cluster *c;
    const op_options *o;
    const char *cluster_id; /* NULL for Redpanda */
    const cJSON *pods;      /* arrays of objects as listed; any may be NULL */
    const cJSON *nodes;
    const cJSON *services;
    const cJSON *old_status; /* the status the object has now, or NULL */
    /* Why the desired objects are not all applied (CamelCase), and the
     * details; NULL when they are. */
    const char *apply_reason;
    const char *apply_message;
    /* A broker being restarted because its address changed (Degraded,
     * reason AddressChanged), or NULL. */
    const char *restart_message;
    const char *now; /* RFC 3339, for transitions */
    /* status.kafka (reconcile_upgrade.h: the releases the brokers run, the
     * finalized metadata.version), copied in; NULL: none. */
    const cJSON *kafka;
} op_status_input;

/* A new status object. */
cJSON *op_status_build(const op_status_input *in);

/* Sets condition type in conds (an array), replacing an entry of that type.
 * Its lastTransitionTime is taken from old_conds' entry of that type when
 * the status is unchanged, else now. */
void op_condition_put(cJSON *conds, const cJSON *old_conds, const char *type, bool status,
                      const char *reason, const char *message, long long generation,
                      const char *now);

/* The status for a cluster whose spec cannot be reconciled: the old status
 * (NULL: none) with observedGeneration and Reconciled=False (reason,
 * message) set, everything else kept. */
cJSON *op_status_refused(const cJSON *old_status, long long generation, const char *reason,
                         const char *message, const char *now);

/* What a user should read when broker entry broker of a new status, placed
 * on a node, advertises an address its entry in old_status (NULL: none)
 * did not: a broker's first addresses, or new ones after its pod moved to
 * another node or its load balancer changed. Writes "broker <id> (pod <p>)
 * on node <n>: <listener>=<address>, ..." (the changed listeners) into msg
 * and returns 1; 0 when nothing changed or the broker is not placed. */
int op_status_address_news(const cJSON *old_status, const cJSON *broker, char *msg, size_t size);

/* What a user should read when broker entry broker of a new status
 * advertises, on some listener, a node address of another type than the
 * listener's addressType (its addressFallback) and its entry in old_status
 * (NULL: none) did not say so: writes "broker <id> (pod <p>) on node <n>:
 * listener <l>: the node has no <wanted> address, advertising its <used>"
 * (the changed listeners, ";"-separated) into msg and returns 1; 0 when
 * nothing changed or the broker is not placed. */
int op_status_fallback_news(const op_cluster *c, const cJSON *old_status, const cJSON *broker,
                            char *msg, size_t size);

#endif
