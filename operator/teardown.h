/* Deleting a KafkaCluster: its brokers stop together, then the garbage
 * collector takes the rest.
 *
 * Left to the garbage collector alone, deletion removes everything the
 * cluster owns at once: the headless Service (so the brokers' names stop
 * resolving and the KRaft voters lose each other), the sidecar's RBAC and
 * the drain objects, while the pods are still in their preStop drains,
 * which wait on one another through the drain Lease. The broker left last
 * has no quorum: it can neither drain nor finish its controlled shutdown,
 * and waits for the kubelet's SIGKILL at the end of its grace period.
 *
 * So the operator holds the KafkaCluster with the finalizer
 * OP_TEARDOWN_FINALIZER and, once it is marked for deletion:
 * 1. marks the drain ConfigMap with DRAIN_TEARDOWN_ANNOTATION, which makes
 *    every sidecar skip its drain (there is nowhere to move leadership to);
 * 2. deletes the StatefulSet with its pods orphaned (no controller makes
 *    new ones, and the garbage collector does not delete them with their
 *    own grace period), and the PodDisruptionBudget;
 * 3. evicts every broker pod at once with the grace period
 *    OP_TEARDOWN_GRACE_S instead of its own, which is sized for a drain,
 *    while the Services, RBAC and quorum still stand: nothing drains now,
 *    and a broker can still hang in its shutdown. Kafka grants a controlled
 *    shutdown through the quorum; when the other voters have stopped
 *    before the grant (its request rides the next heartbeat, up to 2 s
 *    after SIGTERM, and they stop in less), it waits until SIGKILL. The
 *    short grace period must be set by the first deletion: a kubelet
 *    already stopping a pod keeps the grace period it started with (a
 *    pod deleted by the garbage collector and evicted after went after
 *    251 s);
 * 4. removes its finalizer once no broker pod is left (or when the pods
 *    outlive that grace period by OP_TEARDOWN_MARGIN_S: a pod on a lost
 *    node must not hold the deletion forever), and the garbage collector
 *    removes the rest through the owner references.
 * Each step is level-triggered: run again after a crash, it picks up where
 * the last run stopped. `kubectl delete --cascade=orphan` keeps the
 * StatefulSet and its pods, as asked: only the finalizer goes. */
#ifndef BERTH_OP_TEARDOWN_H
#define BERTH_OP_TEARDOWN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "kube/client.h"
#include "lister.h"
#include "util/err.h"

#define OP_TEARDOWN_FINALIZER "berth.io/teardown"
/* The grace period of a broker pod whose cluster is deleted: time for a
 * clean shutdown (no drain), not a drain's. */
#define OP_TEARDOWN_GRACE_S 60
/* Seconds past the brokers' grace period after which a deletion goes on
 * without waiting for their pods. */
#define OP_TEARDOWN_MARGIN_S 60

/* What one op_teardown call did. */
typedef struct op_teardown_result {
    int writes;            /* write requests sent */
    bool stopping;         /* this call deleted the StatefulSet */
    int pods_left;         /* broker pods still there */
    bool gave_up;          /* pods outlived grace + margin; finalizer removed anyway */
    bool released;         /* the finalizer is gone (or was never there) */
    long requeue_after_ms; /* > 0: look again (pods still stopping) */
} op_teardown_result;

/* Does the KafkaCluster carry OP_TEARDOWN_FINALIZER? */
bool op_teardown_held(const cJSON *cr);

/* Adds OP_TEARDOWN_FINALIZER to the live KafkaCluster cr (as read from
 * lister) when it lacks it; no request otherwise. +1 to *writes when it
 * wrote; cr's metadata.resourceVersion is then the one written. 0, or -1
 * with err. */
int op_teardown_hold(kube_client *c, cJSON *cr, int *writes, util_err *err) UTIL_MUST_CHECK;

/* One pass of the teardown of cr, which is marked for deletion; reads
 * through lister, writes through c. now_wall: ns since the epoch. 0 (res
 * says what happened), or -1 with err (a retry may fix it). */
int op_teardown(kube_client *c, op_lister *lister, const cJSON *cr, int64_t now_wall,
                op_teardown_result *res, util_err *err) UTIL_MUST_CHECK;

#endif
