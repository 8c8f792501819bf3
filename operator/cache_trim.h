/* What the operator's caches keep of the objects they watch
 * (kube_cache_opts.trim). The API server sends whole objects; reconcile
 * reads a few fields of a Pod or a Node, and one operator for many
 * clusters caches thousands of Pods. Each function removes, in place, what
 * no reader in operator/ reads; a field a reader starts to need must be
 * kept here too (tests/unit/test_op_cache_trim.c lists them).
 *
 * Owned objects other than Pods keep everything berth sets (the diff
 * compares it) and lose only what a client-side apply leaves behind; the
 * certificate Secrets keep a summary of it, which the diff understands. */
#ifndef BERTH_OP_CACHE_TRIM_H
#define BERTH_OP_CACHE_TRIM_H

#include <cjson/cJSON.h>

/* A Pod: metadata (but generateName), spec.nodeName, each container's and
 * init container's name and image, status but podIPs, hostIPs, qosClass,
 * startTime, the conditions' times and the container statuses' image and
 * container IDs. */
void op_trim_pod(cJSON *pod);

/* A Node: metadata and status.addresses. */
void op_trim_node(cJSON *node);

/* A Secret: as op_trim_owned, and a summary when it holds a cluster's
 * certificates (secret_summary.h). */
void op_trim_secret(cJSON *secret);

/* Any other: without the kubectl.kubernetes.io/last-applied-configuration
 * annotation. */
void op_trim_owned(cJSON *obj);

#endif
