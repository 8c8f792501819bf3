/* Reading and changing configuration: DescribeConfigs (key 32) and
 * IncrementalAlterConfigs (key 44), for topics and brokers.
 *
 * Drain reads min.insync.replicas (per topic, falling back to the broker's
 * default) to report partitions that would drop below it once a broker stops;
 * tests and benches set topic configs. A BROKER resource names one broker by
 * id, and its dynamic config must be described and altered on that broker's
 * own connection; TOPIC resources may go to any broker.
 *
 * berth speaks DescribeConfigs v1..v4 (flexible from v4; v0 is gone from
 * Kafka 4) and IncrementalAlterConfigs v0..v1 (flexible from v1). */
#ifndef BERTH_KAFKA_CONFIGS_H
#define BERTH_KAFKA_CONFIGS_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_DESCRIBE_CONFIGS_MIN          1
#define KAFKA_DESCRIBE_CONFIGS_MAX          4
#define KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN 0
#define KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX 1

/* ---- DescribeConfigs ---- */

typedef struct kafka_config_resource {
    int8_t type;      /* KAFKA_RESOURCE_TOPIC, _BROKER, ... */
    const char *name; /* topic name, or broker id in decimal ("" for the cluster default) */
    /* Keys to read, borrowed; NULL reads them all. */
    const char *const *keys;
    int32_t n_keys;
} kafka_config_resource;

typedef struct kafka_describe_configs_request {
    const kafka_config_resource *resources;
    int32_t n_resources;
    int include_synonyms;      /* v1+: every source a value could come from */
    int include_documentation; /* v3+; dropped before */
} kafka_describe_configs_request;

typedef struct kafka_config_synonym {
    const char *name;
    const char *value; /* NULL when sensitive or unset */
    int8_t source;     /* KAFKA_CONFIG_SOURCE_* */
} kafka_config_synonym;

typedef struct kafka_config_entry {
    const char *name;
    const char *value; /* NULL when sensitive or unset */
    int read_only;
    int8_t config_source; /* KAFKA_CONFIG_SOURCE_* */
    int is_sensitive;
    int32_t n_synonyms;
    kafka_config_synonym *synonyms;
    int8_t config_type;        /* v3+; 0 before */
    const char *documentation; /* v3+ when asked; NULL otherwise */
} kafka_config_entry;

typedef struct kafka_config_result {
    int16_t error_code;
    const char *error_message;
    int8_t resource_type;
    const char *resource_name;
    int32_t n_configs;
    kafka_config_entry *configs;
} kafka_config_result;

/* A decoded answer; every pointer inside lives until
 * kafka_describe_configs_free. */
typedef struct kafka_describe_configs_response {
    int16_t version;
    int32_t throttle_time_ms;
    int32_t n_results;
    kafka_config_result *results;
    kafka_arena arena;
} kafka_describe_configs_response;

int kafka_describe_configs_encode(kafka_writer *w, int16_t version,
                                  const kafka_describe_configs_request *req,
                                  util_err *err) UTIL_MUST_CHECK;

int kafka_describe_configs_decode(const void *body, size_t len, int16_t version,
                                  kafka_describe_configs_response **out,
                                  util_err *err) UTIL_MUST_CHECK;

void kafka_describe_configs_free(kafka_describe_configs_response *res);

/* Negotiates, asks and decodes. Per-resource errors are left in *out. */
int kafka_describe_configs_call(kafka_conn *c, const kafka_api_versions *av,
                                const kafka_describe_configs_request *req, int timeout_ms,
                                kafka_describe_configs_response **out,
                                util_err *err) UTIL_MUST_CHECK;

/* The result for resource (type, name), borrowed from res; NULL if absent. */
const kafka_config_result *kafka_describe_configs_result(const kafka_describe_configs_response *res,
                                                         int8_t type, const char *name);

/* The entry key of r, borrowed; NULL if absent. */
const kafka_config_entry *kafka_config_result_find(const kafka_config_result *r, const char *key);

/* ---- IncrementalAlterConfigs ---- */

typedef struct kafka_config_op {
    const char *name;
    int8_t op;         /* KAFKA_CONFIG_SET, _DELETE, _APPEND, _SUBTRACT */
    const char *value; /* NULL for DELETE */
} kafka_config_op;

typedef struct kafka_alter_config_resource {
    int8_t type;
    const char *name;
    const kafka_config_op *ops;
    int32_t n_ops;
} kafka_alter_config_resource;

typedef struct kafka_incremental_alter_configs_request {
    const kafka_alter_config_resource *resources;
    int32_t n_resources;
    int validate_only;
} kafka_incremental_alter_configs_request;

typedef struct kafka_alter_config_result {
    int16_t error_code;
    const char *error_message;
    int8_t resource_type;
    const char *resource_name;
} kafka_alter_config_result;

typedef struct kafka_incremental_alter_configs_response {
    int16_t version;
    int32_t throttle_time_ms;
    int32_t n_results;
    kafka_alter_config_result *results;
    kafka_arena arena;
} kafka_incremental_alter_configs_response;

int kafka_incremental_alter_configs_encode(kafka_writer *w, int16_t version,
                                           const kafka_incremental_alter_configs_request *req,
                                           util_err *err) UTIL_MUST_CHECK;

int kafka_incremental_alter_configs_decode(const void *body, size_t len, int16_t version,
                                           kafka_incremental_alter_configs_response **out,
                                           util_err *err) UTIL_MUST_CHECK;

void kafka_incremental_alter_configs_free(kafka_incremental_alter_configs_response *res);

/* Negotiates, sends and decodes. Per-resource errors are left in *out. */
int kafka_incremental_alter_configs_call(kafka_conn *c, const kafka_api_versions *av,
                                         const kafka_incremental_alter_configs_request *req,
                                         int timeout_ms,
                                         kafka_incremental_alter_configs_response **out,
                                         util_err *err) UTIL_MUST_CHECK;

#endif
