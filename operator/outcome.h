/* How a reconcile ends, and the one table that says, for each reason a
 * reconcile stops short of done, whether a retry may fix it and how soon
 * to look again. reconcile's steps name a reason (op_reason); they never
 * compare reason strings nor carry their own delays. */
#ifndef BERTH_OP_OUTCOME_H
#define BERTH_OP_OUTCOME_H

/* What the controller does with a key after op_reconcile. */
typedef enum op_outcome {
    OP_RECONCILE_DONE,          /* as it should be: nothing until a change or the resync */
    OP_RECONCILE_REQUEUE_AFTER, /* not converged yet: again after requeue_after_ms */
    OP_RECONCILE_RETRY,         /* a failure a retry may fix (err set): again with backoff */
    OP_RECONCILE_REFUSED,       /* refused for a reason no retry fixes; the status says why */
} op_outcome;

/* What one op_reconcile did. */
typedef struct op_reconcile_result {
    op_outcome outcome;
    int writes; /* write requests sent (apply, delete, status) */
    /* > 0: look again after this long. Set with REQUEUE_AFTER, and with
     * REFUSED while the brokers are still settling (the refusal stands,
     * their readiness in status may not). */
    long requeue_after_ms;
} op_reconcile_result;

/* Why a reconcile stops short of done. The first group are reasons of the
 * Reconciled=False condition (their names are what users read); the
 * second are waits of a cluster not converged yet. */
typedef enum op_reason {
    OP_REASON_INVALID_SPEC,           /* the spec cannot be built into objects */
    OP_REASON_NAME_CONFLICT,          /* an object of berth's name is someone else's */
    OP_REASON_CLUSTER_ID_UNREADABLE,  /* <c>-brokers holds no valid clusterID */
    OP_REASON_CLUSTER_ID_MISMATCH,    /* spec.clusterID differs from the brokers' */
    OP_REASON_CLUSTER_CA_INVALID,     /* the live cluster CA cannot be used */
    OP_REASON_SCALE_DOWN_BLOCKED,     /* leaving brokers hold replicas */
    OP_REASON_SCALE_DOWN_UNVERIFIED,  /* ... or that could not be checked */
    OP_REASON_NODE_PORT_CONFLICT,     /* an apply refused (422): a node port is taken */
    OP_REASON_INVALID,                /* an apply refused (422) otherwise */
    OP_REASON_APPLY_FAILED,           /* an apply failed otherwise (409, 5xx, network) */
    OP_REASON_STORAGE_SHRINK_REFUSED, /* spec.storage.size below the claims' */
    OP_REASON_STORAGE_NOT_EXPANDABLE, /* the claims' StorageClass cannot expand them */
    OP_REASON_DOWNGRADE_REFUSED, /* spec.image supports less than the finalized metadata.version */
    OP_WAIT_DEGRADED,            /* Degraded=True: look again soon */
    OP_WAIT_RESTARTING,          /* a broker restarts for its address or certificate */
    OP_WAIT_NOT_READY,           /* fewer brokers Ready than wanted */
    OP_WAIT_TEARING_DOWN,        /* broker pods of a deleted cluster still stopping */
    OP_WAIT_RECREATING,          /* the StatefulSet is deleted, to be created again */
    OP_WAIT_DECOMMISSIONING,     /* replicas move off leaving brokers before a scale-down */
    OP_WAIT_REBALANCING,         /* replicas move onto new brokers */
    OP_WAIT_STALE_READ,          /* the KafkaCluster changed since it was read */
    OP_WAIT_CONFIG_RETRY,        /* Kafka could not be asked for a live config change */
    OP_REASON_COUNT
} op_reason;

typedef struct op_reason_info {
    const char *name;      /* the condition's reason (CamelCase) */
    op_outcome outcome;    /* what the reconcile ends with */
    long requeue_after_ms; /* for OP_RECONCILE_REQUEUE_AFTER */
} op_reason_info;

/* The table's entry for r (borrowed, static). */
const op_reason_info *op_reason_get(op_reason r);

/* Its name. */
const char *op_reason_name(op_reason r);

#endif
