/* Replication throttles for the mover's moves (KIP-73). Kafka throttles the
 * fetches that copy a partition to a new replica when two things hold: the
 * broker has a rate (leader.replication.throttled.rate for what it sends,
 * follower.replication.throttled.rate for what it fetches), and the topic
 * lists that replica (leader.replication.throttled.replicas names the
 * partition:broker pairs that send, follower.replication.throttled.replicas
 * those that receive). Replicas in sync are never throttled, so clients'
 * traffic is not.
 *
 * The rates are set as the brokers' cluster-wide dynamic default (the
 * BROKER resource ""), which one request to any broker sets for all. The
 * lists are set per topic. Clearing deletes them again.
 * Both go through IncrementalAlterConfigs on c; a throttle a user set by
 * hand on these keys is replaced, then cleared, like berth's own. */
#ifndef BERTH_BALANCE_THROTTLE_H
#define BERTH_BALANCE_THROTTLE_H

#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "util/err.h"

#define BALANCE_LEADER_RATE       "leader.replication.throttled.rate"
#define BALANCE_FOLLOWER_RATE     "follower.replication.throttled.rate"
#define BALANCE_LEADER_REPLICAS   "leader.replication.throttled.replicas"
#define BALANCE_FOLLOWER_REPLICAS "follower.replication.throttled.replicas"

/* One partition being moved; every pointer borrowed. */
typedef struct balance_throttled {
    const char *topic;
    int32_t partition;
    const int32_t *from; /* the replicas it had: they send */
    int32_t n_from;
    const int32_t *to; /* its new replicas: those not in from receive */
    int32_t n_to;
} balance_throttled;

/* Throttles the partitions parts[0..n) (all of a topic's partitions in
 * flight adjacent): rate bytes/s on every broker, and each topic's lists
 * naming exactly its partitions in parts. n 0 or rate 0: does nothing.
 * 0, or -1 with err naming the key or topic Kafka refused. */
int balance_throttle_set(kafka_conn *c, const kafka_api_versions *av,
                         const balance_throttled *parts, int32_t n, int64_t rate, int timeout_ms,
                         util_err *err) UTIL_MUST_CHECK;

/* Deletes the rates and the lists of the topics topics[0..n), set or not:
 * a broker answers DescribeConfigs from its copy of the cluster's metadata,
 * which may not show a throttle set a moment before, so reading first
 * could leave one behind. Deleting what is not set changes nothing, and a
 * topic deleted meanwhile is passed over. 0, or -1 with err. */
int balance_throttle_clear(kafka_conn *c, const kafka_api_versions *av, const char *const *topics,
                           int32_t n, int timeout_ms, util_err *err) UTIL_MUST_CHECK;

#endif
