/* Creating and deleting topics: CreateTopics (key 19) and DeleteTopics
 * (key 20). The sidecar never does either; tests and benches do, to set up
 * partitions whose leaders drain can then move, without shelling out to
 * Kafka's own tools.
 *
 * berth speaks CreateTopics v5..v7 and DeleteTopics v4..v6, the flexible
 * versions (every Kafka since 2.4 has them). */
#ifndef BERTH_KAFKA_TOPICS_H
#define BERTH_KAFKA_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_CREATE_TOPICS_MIN 5
#define KAFKA_CREATE_TOPICS_MAX 7
#define KAFKA_DELETE_TOPICS_MIN 4
#define KAFKA_DELETE_TOPICS_MAX 6

/* ---- CreateTopics ---- */

typedef struct kafka_topic_assignment {
    int32_t partition;
    const int32_t *broker_ids; /* borrowed; the first is the preferred leader */
    int32_t n_broker_ids;
} kafka_topic_assignment;

typedef struct kafka_topic_config {
    const char *name;
    const char *value;
} kafka_topic_config;

typedef struct kafka_new_topic {
    const char *name;
    int32_t num_partitions;                    /* -1 with assignments, or for the broker default */
    int16_t replication_factor;                /* -1 with assignments, or for the broker default */
    const kafka_topic_assignment *assignments; /* borrowed, may be NULL */
    int32_t n_assignments;
    const kafka_topic_config *configs; /* borrowed, may be NULL */
    int32_t n_configs;
} kafka_new_topic;

typedef struct kafka_create_topics_request {
    const kafka_new_topic *topics;
    int32_t n_topics;
    int32_t timeout_ms; /* how long the broker waits for the creation */
    int validate_only;
} kafka_create_topics_request;

typedef struct kafka_created_config {
    const char *name;
    const char *value;
    int read_only;
    int8_t config_source;
    int is_sensitive;
} kafka_created_config;

typedef struct kafka_created_topic {
    const char *name;
    kafka_uuid topic_id; /* v7+; zero before or on error */
    int16_t error_code;  /* 0, TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, ... */
    const char *error_message;
    int32_t num_partitions;
    int16_t replication_factor;
    int32_t n_configs; /* -1 when the broker sent none */
    kafka_created_config *configs;
} kafka_created_topic;

/* A decoded answer; every pointer inside lives until
 * kafka_create_topics_free. */
typedef struct kafka_create_topics_response {
    int16_t version;
    int32_t throttle_time_ms;
    int32_t n_topics;
    kafka_created_topic *topics;
    kafka_arena arena;
} kafka_create_topics_response;

int kafka_create_topics_encode(kafka_writer *w, int16_t version,
                               const kafka_create_topics_request *req,
                               util_err *err) UTIL_MUST_CHECK;

int kafka_create_topics_decode(const void *body, size_t len, int16_t version,
                               kafka_create_topics_response **out, util_err *err) UTIL_MUST_CHECK;

void kafka_create_topics_free(kafka_create_topics_response *res);

/* Negotiates, sends and decodes; per-topic errors are left in *out. */
int kafka_create_topics_call(kafka_conn *c, const kafka_api_versions *av,
                             const kafka_create_topics_request *req, int timeout_ms,
                             kafka_create_topics_response **out, util_err *err) UTIL_MUST_CHECK;

/* ---- DeleteTopics ---- */

typedef struct kafka_delete_topics_request {
    const char *const *names; /* borrowed */
    int32_t n_names;
    int32_t timeout_ms; /* how long the broker waits for the deletion */
} kafka_delete_topics_request;

typedef struct kafka_deleted_topic {
    const char *name;    /* NULL only for a deletion by id (v6), which berth never asks */
    kafka_uuid topic_id; /* v6+ */
    int16_t error_code;
    const char *error_message; /* v5+ */
} kafka_deleted_topic;

typedef struct kafka_delete_topics_response {
    int16_t version;
    int32_t throttle_time_ms;
    int32_t n_topics;
    kafka_deleted_topic *topics;
    kafka_arena arena;
} kafka_delete_topics_response;

int kafka_delete_topics_encode(kafka_writer *w, int16_t version,
                               const kafka_delete_topics_request *req,
                               util_err *err) UTIL_MUST_CHECK;

int kafka_delete_topics_decode(const void *body, size_t len, int16_t version,
                               kafka_delete_topics_response **out, util_err *err) UTIL_MUST_CHECK;

void kafka_delete_topics_free(kafka_delete_topics_response *res);

/* Negotiates, sends and decodes; per-topic errors are left in *out. */
int kafka_delete_topics_call(kafka_conn *c, const kafka_api_versions *av,
                             const kafka_delete_topics_request *req, int timeout_ms,
                             kafka_delete_topics_response **out, util_err *err) UTIL_MUST_CHECK;

#endif
