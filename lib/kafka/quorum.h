/* DescribeQuorum (key 55): the KRaft metadata quorum as its leader sees it:
 * leader, epoch, high watermark, and for every voter and observer the log
 * end offset the leader knows of and (v1+) when it last fetched and last
 * caught up. Readiness uses it to tell whether a restarted voter has caught
 * up with the quorum before the next broker may be drained.
 *
 * berth speaks v0..v2, all flexible. v2 adds error messages, each replica's
 * directory id and the controllers' listeners. */
#ifndef BERTH_KAFKA_QUORUM_H
#define BERTH_KAFKA_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_DESCRIBE_QUORUM_MIN 0
#define KAFKA_DESCRIBE_QUORUM_MAX 2

/* The one quorum a KRaft cluster has. */
#define KAFKA_METADATA_TOPIC "__cluster_metadata"

typedef struct kafka_describe_quorum_request {
    const char *topic; /* NULL: KAFKA_METADATA_TOPIC */
    int32_t partition; /* 0 for the metadata quorum */
} kafka_describe_quorum_request;

typedef struct kafka_quorum_replica {
    int32_t replica_id;
    kafka_uuid directory_id;          /* v2+; zero before */
    int64_t log_end_offset;           /* -1 when unknown */
    int64_t last_fetch_timestamp;     /* v1+, leader's clock, ms; -1 unknown or before v1 */
    int64_t last_caught_up_timestamp; /* v1+, leader's clock, ms; -1 unknown or before v1 */
} kafka_quorum_replica;

typedef struct kafka_quorum_partition {
    int32_t index;
    int16_t error_code;
    const char *error_message; /* v2+ */
    int32_t leader_id;         /* -1 when unknown */
    int32_t leader_epoch;
    int64_t high_watermark;
    int32_t n_voters;
    kafka_quorum_replica *voters;
    int32_t n_observers;
    kafka_quorum_replica *observers;
} kafka_quorum_partition;

typedef struct kafka_quorum_topic {
    const char *name;
    int32_t n_partitions;
    kafka_quorum_partition *partitions;
} kafka_quorum_topic;

typedef struct kafka_quorum_listener {
    const char *name;
    const char *host;
    uint16_t port;
} kafka_quorum_listener;

typedef struct kafka_quorum_node {
    int32_t node_id;
    int32_t n_listeners;
    kafka_quorum_listener *listeners;
} kafka_quorum_node;

/* A decoded answer; every pointer inside lives until
 * kafka_describe_quorum_free. */
typedef struct kafka_describe_quorum_response {
    int16_t version;
    int16_t error_code;
    const char *error_message; /* v2+ */
    int32_t n_topics;
    kafka_quorum_topic *topics;
    int32_t n_nodes; /* v2+ */
    kafka_quorum_node *nodes;
    kafka_arena arena;
} kafka_describe_quorum_response;

/* req may be NULL for the metadata quorum. */
int kafka_describe_quorum_encode(kafka_writer *w, int16_t version,
                                 const kafka_describe_quorum_request *req,
                                 util_err *err) UTIL_MUST_CHECK;

int kafka_describe_quorum_decode(const void *body, size_t len, int16_t version,
                                 kafka_describe_quorum_response **out,
                                 util_err *err) UTIL_MUST_CHECK;

void kafka_describe_quorum_free(kafka_describe_quorum_response *res);

/* Negotiates, asks and decodes. A top-level error, or an error on the one
 * partition asked about, fails the call. req may be NULL. */
int kafka_describe_quorum_call(kafka_conn *c, const kafka_api_versions *av,
                               const kafka_describe_quorum_request *req, int timeout_ms,
                               kafka_describe_quorum_response **out, util_err *err) UTIL_MUST_CHECK;

/* The answer's first partition (the one asked about), borrowed; NULL if the
 * answer lists none. */
const kafka_quorum_partition *
kafka_describe_quorum_partition(const kafka_describe_quorum_response *res);

/* Voter id of p, borrowed; NULL if id is not a voter. */
const kafka_quorum_replica *kafka_quorum_voter(const kafka_quorum_partition *p, int32_t id);

/* Has voter id caught up? 1 yes, 0 not yet, -1 not a voter. The leader has;
 * a follower has when its log end offset reached the high watermark, or
 * (v1+) when it last caught up with the leader's log at most max_lag_ms
 * before the leader's own last-caught-up time (which is the leader's now),
 * so neither side's clock matters. */
int kafka_quorum_voter_caught_up(const kafka_quorum_partition *p, int32_t id, int64_t max_lag_ms);

#endif
