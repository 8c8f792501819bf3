/* Why a broker pod cannot run, read from the pod's status as the kubelet
 * reports it: a container (init, sidecar or broker, in the order the pod
 * starts them) whose image cannot be pulled, whose container cannot be
 * created, or that keeps crashing. Without this such a broker is only
 * "not ready" in the KafkaCluster's status and the reason hides in
 * `kubectl describe pod`; status.c turns it into condition Degraded and
 * status.brokers[].containerError.
 *
 * What counts (docs/troubleshooting.md):
 * - a container waiting with reason ErrImagePull, ImagePullBackOff,
 *   InvalidImageName or ErrImageNeverPull (the image), or
 *   CreateContainerConfigError or CreateContainerError (creating it), or
 *   CrashLoopBackOff (it keeps exiting);
 * - a container that is not ready and has just exited with a non-zero
 *   code, or runs again after such an exit: the other phases of a crash
 *   loop, so the report holds through the loop instead of flapping with
 *   every restart. A broker that crashed once counts until it is ready.
 * Pods being deleted, or finished (phase Succeeded or Failed), count for
 * nothing: the StatefulSet replaces them.
 *
 * Pure: the same pod gives the same answer, so a resync of an unchanged
 * cluster finds the same failure and writes nothing. */
#ifndef BERTH_OP_CONTAINER_FAILURE_H
#define BERTH_OP_CONTAINER_FAILURE_H

#include <cjson/cJSON.h>

/* The kubelet's message is cut (on a UTF-8 boundary, marked "...") to
 * this many bytes, so one broker's report stays readable in a condition. */
#define OP_FAILURE_KUBELET_MAX 256

typedef enum op_failure_kind {
    OP_FAILURE_NONE,
    OP_FAILURE_IMAGE,  /* the image cannot be pulled or named */
    OP_FAILURE_CREATE, /* the container cannot be created */
    OP_FAILURE_CRASH,  /* the container keeps exiting */
} op_failure_kind;

typedef struct op_container_failure {
    op_failure_kind kind;
    char container[64];                        /* the container's name */
    char reason[64];                           /* the kubelet's reason, e.g. ImagePullBackOff */
    char message[OP_FAILURE_KUBELET_MAX + 96]; /* its message, the last exit code */
} op_container_failure;

/* Fills *out with the first failing container of pod and returns 1, or
 * returns 0 (out->kind OP_FAILURE_NONE) when none fails or pod is NULL. */
int op_container_failure_find(const cJSON *pod, op_container_failure *out);

/* The Degraded condition's reason for a kind: BrokerImagePullFailed,
 * BrokerContainerCreateFailed or BrokerCrashLooping (NULL for none). */
const char *op_failure_condition_reason(op_failure_kind kind);

/* status.brokers[].containerError: {container, reason, message}. New. */
cJSON *op_container_failure_json(const op_container_failure *f);

#endif
