/* The operator's informers: one per kind reconcile reads (KafkaClusters,
 * the kinds it owns, Pods, Nodes), each keeping a cache current through a
 * watch. Every change is mapped to the key of the cluster it concerns and
 * put on the work queue: a KafkaCluster by its own key, an owned object or
 * a broker Pod by its namespace and app.kubernetes.io/instance label, a
 * Node to every cluster (any broker may be placed there, and its address
 * is in every cluster's <c>-brokers ConfigMap).
 *
 * Their caches also answer reconcile's reads through an op_lister, so a
 * resync of an unchanged cluster costs neither writes nor reads. A get that
 * misses the cache asks the API server: objects berth does not label (a
 * name taken by someone else) are outside the caches' selector, and a
 * just-applied object may not have arrived yet. */
#ifndef BERTH_OP_INFORMERS_H
#define BERTH_OP_INFORMERS_H

#include <stdbool.h>

#include "kube/config.h"
#include "kube/workqueue.h"
#include "lister.h"
#include "util/err.h"
#include "util/metrics.h"

typedef struct op_informers op_informers;

/* Informers for namespace ns (NULL: all namespaces) that queue keys on q
 * (borrowed; it must outlive them). KafkaClusters are resynced (queued
 * again) every resync_ms. metrics may be NULL. Nothing is started. */
int op_informers_new(const kube_config *cfg, const char *ns, long resync_ms, kube_workqueue *q,
                     util_metrics *metrics, op_informers **out, util_err *err) UTIL_MUST_CHECK;

/* Starts every informer's thread. */
int op_informers_start(op_informers *in, util_err *err) UTIL_MUST_CHECK;

/* Waits until every cache holds its first list, or timeout_ms passed;
 * returns whether all have. */
bool op_informers_wait_synced(op_informers *in, long timeout_ms);

/* Sets the gauges berth_operator_cache_bytes and _cache_objects
 * {resource} to what each cache holds now (kube_cache_bytes, _len). */
void op_informers_account(op_informers *in, util_metrics *m);

/* A lister on the caches whose misses ask miss (borrowed, e.g. an
 * op_api_lister on a worker's own client): each worker's misses, many on
 * a new cluster (every object it is about to create), then wait only on
 * its own client's rate limit. Valid until op_informers_free. */
typedef struct op_cache_lister {
    op_lister base;
    op_informers *in;
    op_lister *miss;
} op_cache_lister;

void op_cache_lister_init(op_cache_lister *l, op_informers *in, op_lister *miss);

/* Stops the informers and frees them. NULL is a no-op. */
void op_informers_free(op_informers *in);

#endif
