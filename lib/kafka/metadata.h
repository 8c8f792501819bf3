/* Metadata (key 3): the brokers, the controller and, per partition, leader,
 * replicas and ISR. Drain reads it to find what a broker leads, readiness to
 * see whether a broker is back in every ISR, restore to compare orders.
 *
 * berth speaks v4..v13 (v9 on flexible): from v4 the request can say "do not
 * create the topics I ask about", and berth never wants a metadata read to
 * create a topic. v10 adds topic ids, v12 lets the answer carry a null name
 * for an id-only lookup, v13 adds a top-level error code. */
#ifndef BERTH_KAFKA_METADATA_H
#define BERTH_KAFKA_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_METADATA_MIN 4
#define KAFKA_METADATA_MAX 13

typedef struct kafka_metadata_request {
    /* Topic names, borrowed. NULL asks for every topic; a non-NULL array
     * with n_topics 0 asks for none (brokers and controller only). */
    const char *const *topics;
    int32_t n_topics;
} kafka_metadata_request;

typedef struct kafka_metadata_broker {
    int32_t node_id;
    const char *host;
    int32_t port;
    const char *rack; /* NULL when unset */
} kafka_metadata_broker;

typedef struct kafka_metadata_partition {
    int16_t error_code;
    int32_t index;
    int32_t leader;       /* -1 when leaderless */
    int32_t leader_epoch; /* -1 before v7 */
    int32_t n_replicas;   /* in preference order: replicas[0] is the preferred leader */
    int32_t *replicas;
    int32_t n_isr;
    int32_t *isr;
    int32_t n_offline;
    int32_t *offline;
} kafka_metadata_partition;

typedef struct kafka_metadata_topic {
    int16_t error_code;
    const char *name;    /* NULL only for an unknown topic asked for by id (v12+) */
    kafka_uuid topic_id; /* zero before v10 */
    int is_internal;
    int32_t n_partitions;
    kafka_metadata_partition *partitions;
} kafka_metadata_topic;

/* A decoded answer. Every pointer inside is owned by it and lives until
 * kafka_metadata_free. */
typedef struct kafka_metadata {
    int16_t version;
    int32_t throttle_time_ms;
    int16_t error_code; /* v13+; 0 before */
    int32_t n_brokers;
    kafka_metadata_broker *brokers;
    const char *cluster_id; /* NULL if the broker sent none */
    int32_t controller_id;  /* -1 when unknown */
    int32_t n_topics;
    kafka_metadata_topic *topics;
    kafka_arena arena;
} kafka_metadata;

/* Appends the request body for version (KAFKA_METADATA_MIN..MAX) to w. */
int kafka_metadata_encode(kafka_writer *w, int16_t version, const kafka_metadata_request *req,
                          util_err *err) UTIL_MUST_CHECK;

/* Decodes a response body of version; the whole body must be consumed. On
 * success *out is a new result for kafka_metadata_free; error codes in it
 * are data, not decode failures. */
int kafka_metadata_decode(const void *body, size_t len, int16_t version, kafka_metadata **out,
                          util_err *err) UTIL_MUST_CHECK;

void kafka_metadata_free(kafka_metadata *md);

/* Negotiates the version from av, asks c's broker and decodes the answer,
 * all within timeout_ms. A top-level error code (v13) fails the call; topic
 * and partition errors are left in *out for the caller. */
int kafka_metadata_call(kafka_conn *c, const kafka_api_versions *av,
                        const kafka_metadata_request *req, int timeout_ms, kafka_metadata **out,
                        util_err *err) UTIL_MUST_CHECK;

/* ---- lookups; results are borrowed from md ---- */

const kafka_metadata_broker *kafka_metadata_broker_find(const kafka_metadata *md, int32_t node_id);
const kafka_metadata_topic *kafka_metadata_topic_find(const kafka_metadata *md, const char *name);

/* The partition (topic, index), or NULL if the answer does not list it. */
const kafka_metadata_partition *kafka_metadata_partition_find(const kafka_metadata *md,
                                                              const char *topic, int32_t index);

/* Is id in ids[0..n)? */
int kafka_int32_contains(const int32_t *ids, int32_t n, int32_t id);

/* One partition of a decoded answer, both pointers borrowed from it. */
typedef struct kafka_metadata_ref {
    const kafka_metadata_topic *topic;
    const kafka_metadata_partition *partition;
} kafka_metadata_ref;

/* A selection of partitions; refs owned, what they point to borrowed from
 * the kafka_metadata it came from (free the selection first). */
typedef struct kafka_metadata_refs {
    int32_t n;
    kafka_metadata_ref *refs;
} kafka_metadata_refs;

/* The partitions broker_id leads, topic by topic in the answer's order.
 * *out is a new selection for kafka_metadata_refs_free (maybe with n 0). */
int kafka_metadata_led_by(const kafka_metadata *md, int32_t broker_id, kafka_metadata_refs **out,
                          util_err *err) UTIL_MUST_CHECK;

/* The partitions with broker_id among their replicas. */
int kafka_metadata_replicated_by(const kafka_metadata *md, int32_t broker_id,
                                 kafka_metadata_refs **out, util_err *err) UTIL_MUST_CHECK;

void kafka_metadata_refs_free(kafka_metadata_refs *refs);

#endif
