/* The <cluster>-brokers ConfigMap as the API returns it, reduced to the
 * three documents the renderer reads (docs/addressing.md). The object comes
 * from the API and is checked like any other input: a missing or non-string
 * key is an error naming it. */
#ifndef BERTH_SIDECAR_INIT_CONFIGMAP_H
#define BERTH_SIDECAR_INIT_CONFIGMAP_H

#include <cjson/cJSON.h>

#include "util/err.h"

#define SC_CM_CLUSTER "cluster.json"
#define SC_CM_NODES   "nodes.json"
#define SC_CM_BROKERS "brokers.json"

/* The documents, borrowed from the ConfigMap object they were read from. */
typedef struct sc_brokers_docs {
    const char *cluster_json;
    const char *nodes_json;
    const char *brokers_json;
} sc_brokers_docs;

/* "<cluster>-brokers", into buf. Returns 0, or -1 if it does not fit a
 * Kubernetes object name. */
int sc_brokers_cm_name(const char *cluster, char *buf, size_t size);

/* Reads data.cluster.json, data.nodes.json and data.brokers.json out of a
 * ConfigMap object. Returns 0, or -1 with err like
 * `data."nodes.json": missing`. */
int sc_brokers_cm_docs(const cJSON *cm, sc_brokers_docs *out, util_err *err);

/* The cluster name in pod name "<cluster>-<ordinal>", into buf. Returns 0,
 * or -1 if the name has no ordinal suffix. */
int sc_cluster_from_pod(const char *pod, char *buf, size_t size, util_err *err);

#endif
