/* reconcile's config step: spec.config changes reach the running Kafka
 * brokers (config_change.h says what the StatefulSet records). Changed keys
 * Kafka updates without a restart are applied at its cluster-default level
 * with IncrementalAlterConfigs; a read-only key (DescribeConfigs says so),
 * a key Kafka does not know, one it refuses to change at the cluster level,
 * or a removed key that the pods were rolled with, rolls the brokers
 * (drained, one at a time) through a new berth.io/config-hash on the pod
 * template. Kafka flavor only: Redpanda reads its cluster properties once,
 * when the cluster forms. */
#ifndef BERTH_OP_RECONCILE_CONFIG_H
#define BERTH_OP_RECONCILE_CONFIG_H

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Sets the annotations on the desired StatefulSet (what the pods must be
 * rolled for) after asking Kafka when a key changed, applies the dynamic
 * keys live, and fills w->config_status. Runs after the live objects are
 * read and before they are applied. Always DONE: when Kafka cannot be
 * asked, nothing rolls, status says so and the reconcile requeues. */
op_outcome op_run_config(op_run *w, util_err *err);

#endif
