/* The drain ledger's home: the ConfigMap `<cluster>-drain` (created by the
 * operator; the sidecar may only get and update it), whose data key
 * DRAIN_LEDGER_KEY holds the JSON of ledger.h. Every change is a
 * read-modify-write with compare-and-set on the resourceVersion, retried on
 * conflict, so concurrent drains of different brokers each apply their step
 * to the other's result and never overwrite it. */
#ifndef BERTH_DRAIN_LEDGER_STORE_H
#define BERTH_DRAIN_LEDGER_STORE_H

#include <stdbool.h>

#include "drain/ledger.h"
#include "kube/client.h"
#include "util/err.h"

/* Compare-and-set attempts before giving up. */
#define DRAIN_LEDGER_ATTEMPTS 40

/* Writes "<cluster>-drain" into buf. -1 if it does not fit. */
int drain_ledger_configmap(char *buf, size_t size, const char *cluster) UTIL_MUST_CHECK;

/* Reads the ledger of ConfigMap ns/name; *out for drain_ledger_free. A missing
 * data key is an empty ledger; a missing ConfigMap is an error saying the
 * operator creates it. */
int drain_ledger_load(kube_client *c, const char *ns, const char *name, drain_ledger **out,
                      util_err *err) UTIL_MUST_CHECK;

/* Changes the ledger: l is the stored one, freshly read on every attempt.
 * Return 0 to store l, DRAIN_LEDGER_UNCHANGED to write nothing, negative to
 * stop (err filled). May run several times: derive everything from l and
 * from what is read inside. */
#define DRAIN_LEDGER_UNCHANGED 1
typedef int (*drain_ledger_mutate_fn)(drain_ledger *l, void *ctx, util_err *err);

/* Reads, mutates and writes back with compare-and-set until a write goes
 * through (or DRAIN_LEDGER_ATTEMPTS conflicts). 0 once stored (or unchanged). */
int drain_ledger_update(kube_client *c, const char *ns, const char *name, drain_ledger_mutate_fn fn,
                        void *ctx, util_err *err) UTIL_MUST_CHECK;

/* The annotation on the ledger's ConfigMap that says the whole cluster is
 * being deleted (the operator sets it before it stops the brokers, value:
 * the KafkaCluster's deletionTimestamp). A drain then has nowhere to move
 * leadership to, and every broker is better stopped at once while its
 * KRaft quorum still stands. */
#define DRAIN_TEARDOWN_ANNOTATION "berth.io/teardown"

/* Is the cluster of ledger ConfigMap ns/name being deleted? *out is true
 * when the ConfigMap carries DRAIN_TEARDOWN_ANNOTATION. Any failure to read
 * it (gone, forbidden, unreachable) is an error, not a teardown: only the
 * operator's mark stops a drain. */
int drain_ledger_teardown(kube_client *c, const char *ns, const char *name, bool *out,
                          util_err *err) UTIL_MUST_CHECK;

#endif
