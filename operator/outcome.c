/* The table of reasons and waits (see outcome.h). */
#include "outcome.h"

#include <assert.h>

static const op_reason_info reasons[OP_REASON_COUNT] = {
    [OP_REASON_INVALID_SPEC] = {"InvalidSpec", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_NAME_CONFLICT] = {"NameConflict", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_CLUSTER_ID_UNREADABLE] = {"ClusterIDUnreadable", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_CLUSTER_ID_MISMATCH] = {"ClusterIDMismatch", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_CLUSTER_CA_INVALID] = {"ClusterCAInvalid", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_SCALE_DOWN_BLOCKED] = {"ScaleDownBlocked", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_SCALE_DOWN_UNVERIFIED] = {"ScaleDownUnverified", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_DOWNGRADE_REFUSED] = {"DowngradeRefused", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_NODE_PORT_CONFLICT] = {"NodePortConflict", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_INVALID] = {"Invalid", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_APPLY_FAILED] = {"ApplyFailed", OP_RECONCILE_RETRY, 0},
    [OP_REASON_STORAGE_SHRINK_REFUSED] = {"StorageShrinkRefused", OP_RECONCILE_REFUSED, 0},
    [OP_REASON_STORAGE_NOT_EXPANDABLE] = {"StorageNotExpandable", OP_RECONCILE_REFUSED, 0},
    [OP_WAIT_DEGRADED] = {"Degraded", OP_RECONCILE_REQUEUE_AFTER, 15000},
    [OP_WAIT_RESTARTING] = {"Restarting", OP_RECONCILE_REQUEUE_AFTER, 3000},
    [OP_WAIT_NOT_READY] = {"NotReady", OP_RECONCILE_REQUEUE_AFTER, 15000},
    /* Their deletions wake the queue too; this is the floor. */
    [OP_WAIT_TEARING_DOWN] = {"TearingDown", OP_RECONCILE_REQUEUE_AFTER, 2000},
    /* Its orphaning delete takes about a second (the garbage collector). */
    [OP_WAIT_RECREATING] = {"Recreating", OP_RECONCILE_REQUEUE_AFTER, 1000},
    /* A batch of moves of small partitions takes a second or two. */
    [OP_WAIT_DECOMMISSIONING] = {"Decommissioning", OP_RECONCILE_REQUEUE_AFTER, 2000},
    [OP_WAIT_REBALANCING] = {"Rebalancing", OP_RECONCILE_REQUEUE_AFTER, 2000},
    /* The cache has the newer version within moments. */
    [OP_WAIT_STALE_READ] = {"StaleRead", OP_RECONCILE_REQUEUE_AFTER, 250},
    [OP_WAIT_CONFIG_RETRY] = {"ConfigRetry", OP_RECONCILE_REQUEUE_AFTER, 15000},
};

const op_reason_info *op_reason_get(op_reason r)
{
    assert((unsigned)r < OP_REASON_COUNT);
    return &reasons[r];
}

const char *op_reason_name(op_reason r)
{
    return op_reason_get(r)->name;
}
