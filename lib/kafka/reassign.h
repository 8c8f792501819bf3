/* Partition reassignments: list the ongoing ones (ListPartitionReassignments,
 * key 46) and set a partition's replica list (AlterPartitionReassignments,
 * key 45).
 *
 * Drain uses both: it skips partitions that are being moved, and it demotes a
 * broker by writing the same replica set in a new order with that broker
 * last. Such a pure reorder adds and removes nobody, so the controller
 * completes it at once and no data moves.
 *
 * berth speaks List v0 and Alter v0..v1, all flexible. Alter v1 (Kafka 4.1)
 * lets the request forbid a change of replication factor, a guard against
 * a reorder that by mistake drops or adds a replica. */
#ifndef BERTH_KAFKA_REASSIGN_H
#define BERTH_KAFKA_REASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "kafka/topic_partitions.h"
#include "util/err.h"

#define KAFKA_LIST_PARTITION_REASSIGNMENTS_MIN  0
#define KAFKA_LIST_PARTITION_REASSIGNMENTS_MAX  0
#define KAFKA_ALTER_PARTITION_REASSIGNMENTS_MIN 0
#define KAFKA_ALTER_PARTITION_REASSIGNMENTS_MAX 1

/* ---- ListPartitionReassignments ---- */

typedef struct kafka_list_partition_reassignments_request {
    int32_t timeout_ms; /* the broker's own wait */
    /* Borrowed; NULL lists every ongoing reassignment. */
    const kafka_topic_partitions *topics;
    int32_t n_topics;
} kafka_list_partition_reassignments_request;

typedef struct kafka_ongoing_partition {
    int32_t index;
    int32_t n_replicas; /* the full set while moving: old and new */
    int32_t *replicas;
    int32_t n_adding;
    int32_t *adding;
    int32_t n_removing;
    int32_t *removing;
} kafka_ongoing_partition;

typedef struct kafka_ongoing_topic {
    const char *name;
    int32_t n_partitions;
    kafka_ongoing_partition *partitions;
} kafka_ongoing_topic;

/* A decoded answer; every pointer inside lives until
 * kafka_list_partition_reassignments_free. */
typedef struct kafka_list_partition_reassignments_response {
    int16_t version;
    int32_t throttle_time_ms;
    int16_t error_code;
    const char *error_message;
    int32_t n_topics;
    kafka_ongoing_topic *topics;
    kafka_arena arena;
} kafka_list_partition_reassignments_response;

int kafka_list_partition_reassignments_encode(kafka_writer *w, int16_t version,
                                              const kafka_list_partition_reassignments_request *req,
                                              util_err *err) UTIL_MUST_CHECK;

int kafka_list_partition_reassignments_decode(const void *body, size_t len, int16_t version,
                                              kafka_list_partition_reassignments_response **out,
                                              util_err *err) UTIL_MUST_CHECK;

void kafka_list_partition_reassignments_free(kafka_list_partition_reassignments_response *res);

/* Negotiates, asks and decodes; a top-level error fails the call. */
int kafka_list_partition_reassignments_call(kafka_conn *c, const kafka_api_versions *av,
                                            const kafka_list_partition_reassignments_request *req,
                                            int timeout_ms,
                                            kafka_list_partition_reassignments_response **out,
                                            util_err *err) UTIL_MUST_CHECK;

/* The ongoing reassignment of (topic, index), borrowed from res; NULL when
 * that partition is not being moved. */
const kafka_ongoing_partition *
kafka_list_partition_reassignments_find(const kafka_list_partition_reassignments_response *res,
                                        const char *topic, int32_t index);

/* ---- AlterPartitionReassignments ---- */

typedef struct kafka_reassign_partition {
    int32_t index;
    const int32_t *replicas; /* borrowed; NULL cancels a pending reassignment */
    int32_t n_replicas;
} kafka_reassign_partition;

typedef struct kafka_reassign_topic {
    const char *name; /* borrowed */
    const kafka_reassign_partition *partitions;
    int32_t n_partitions;
} kafka_reassign_topic;

typedef struct kafka_alter_partition_reassignments_request {
    int32_t timeout_ms; /* the broker's own wait */
    /* Ask the broker to refuse a change of replication factor. Needs v1:
     * encoding it for v0 fails rather than silently dropping the guard. */
    int keep_replication_factor;
    const kafka_reassign_topic *topics;
    int32_t n_topics;
} kafka_alter_partition_reassignments_request;

typedef struct kafka_reassign_partition_result {
    int32_t index;
    int16_t error_code;
    const char *error_message;
} kafka_reassign_partition_result;

typedef struct kafka_reassign_topic_result {
    const char *name;
    int32_t n_partitions;
    kafka_reassign_partition_result *partitions;
} kafka_reassign_topic_result;

typedef struct kafka_alter_partition_reassignments_response {
    int16_t version;
    int32_t throttle_time_ms;
    int allow_replication_factor_change; /* v1+ echo; 1 before */
    int16_t error_code;
    const char *error_message;
    int32_t n_topics;
    kafka_reassign_topic_result *topics;
    kafka_arena arena;
} kafka_alter_partition_reassignments_response;

int kafka_alter_partition_reassignments_encode(
    kafka_writer *w, int16_t version, const kafka_alter_partition_reassignments_request *req,
    util_err *err) UTIL_MUST_CHECK;

int kafka_alter_partition_reassignments_decode(const void *body, size_t len, int16_t version,
                                               kafka_alter_partition_reassignments_response **out,
                                               util_err *err) UTIL_MUST_CHECK;

void kafka_alter_partition_reassignments_free(kafka_alter_partition_reassignments_response *res);

/* Whether the broker of av can refuse a change of replication factor
 * (AlterPartitionReassignments v1, Kafka 4.1 and later), so a request may
 * set keep_replication_factor. */
int kafka_alter_partition_reassignments_keeps_rf(const kafka_api_versions *av);

/* Negotiates, sends and decodes; a top-level error fails the call, and
 * per-partition errors are left in *out. */
int kafka_alter_partition_reassignments_call(kafka_conn *c, const kafka_api_versions *av,
                                             const kafka_alter_partition_reassignments_request *req,
                                             int timeout_ms,
                                             kafka_alter_partition_reassignments_response **out,
                                             util_err *err) UTIL_MUST_CHECK;

#endif
