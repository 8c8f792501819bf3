/* Scale-down guard: brokers leave a cluster by their ordinals, highest
 * first, and a leaving broker that still holds partition replicas would
 * take them with it. So before the StatefulSet shrinks, the operator asks
 * the cluster (Metadata, over the Kafka protocol, which Redpanda speaks
 * too) which partitions the leaving broker ids replicate, and refuses the
 * scale-down (condition Reconciled=False, reason ScaleDownBlocked, and an
 * Event) while there are any: move them first (kafka-reassign-partitions,
 * or a rebalancer). When it cannot ask (no connection, a TLS or SASL
 * internal listener it has no credentials for) it refuses too: it cannot
 * tell that the data is safe.
 *
 * The cluster is reached through the operator's admin connection
 * (kafka_admin.h), opened to broker 0, which stays.
 *
 * The answer is untrusted: the connection is opened with
 * OP_SCALE_DOWN_MAX_FRAME as its largest answer, so a Metadata answer
 * larger than that is refused before it is read. */
#ifndef BERTH_OP_SCALE_DOWN_H
#define BERTH_OP_SCALE_DOWN_H

#include <stddef.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/metadata.h"
#include "util/err.h"

/* A decoded Metadata answer takes about 3.6 times its size: 16 MiB (about
 * 400,000 partitions) keeps the check under 64 MiB, half the operator's
 * memory limit, whatever a broker sends. */
#define OP_SCALE_DOWN_MAX_FRAME (16u * 1024 * 1024)

/* Pure: how many partition replicas the broker ids from..to-1 hold in md;
 * msg (size bytes) names the first few ("broker 2: 14 replicas, e.g.
 * orders-3"). */
int op_scale_down_held(const kafka_metadata *md, int from, int to, char *msg, size_t size);

/* Asks the broker at the other end of c (av: its ApiVersions answer).
 * Returns 0 when brokers from..to-1 hold nothing, 1 when they hold
 * replicas (msg says which), -1 when it could not ask (err says why). */
int op_scale_down_check(kafka_conn *c, const kafka_api_versions *av, int from, int to, char *msg,
                        size_t size, util_err *err) UTIL_MUST_CHECK;

#endif
