/* The operator's deletion mark, as run's drain gate reads it (run.h,
 * sc_teardown_fn). Deleting a KafkaCluster, the operator annotates its
 * drain ConfigMap "<cluster>-drain" with DRAIN_TEARDOWN_ANNOTATION
 * (lib/drain/ledger_store.h) before it stops every broker at once
 * (operator/teardown.h): a drain then has nowhere to move leadership to,
 * and must not hold its broker up while the KRaft quorum still stands. One
 * check for every engine, Kafka's and Redpanda's alike, so that run asks
 * it before any engine starts.
 *
 * The read has a client of its own with a short timeout: an API server
 * that does not answer delays a drain by that much at most, and a read
 * that fails (gone, forbidden, unreachable) is no mark: the drain goes
 * on, as without the check. */
#ifndef BERTH_SIDECAR_SERVE_TEARDOWN_MARK_H
#define BERTH_SIDECAR_SERVE_TEARDOWN_MARK_H

#include <stddef.h>

#include "kube/config.h"
#include "util/err.h"

/* The most one read of the mark takes, connect included. */
#define SC_TEARDOWN_TIMEOUT_MS 5000L

typedef struct sc_teardown sc_teardown;

/* A check of cluster's mark in namespace ns (NULL: kc's), through kc.
 * kc, ns and cluster are copied. *out for sc_teardown_free. */
int sc_teardown_new(const kube_config *kc, const char *ns, const char *cluster, sc_teardown **out,
                    util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. Not while a check runs. */
void sc_teardown_free(sc_teardown *t);

/* sc_teardown_fn (run.h); user is the sc_teardown. One GET of the
 * ConfigMap: 1 marked (what: the cluster's name), 0 not, -1 the read
 * failed (what: why). From one thread at a time (run's drain worker). */
int sc_teardown_check(void *user, char *what, size_t what_size);

#endif
