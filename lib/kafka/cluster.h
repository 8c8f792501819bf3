/* DescribeCluster (key 60): the registered brokers, the active controller and
 * the cluster id. Readiness needs "registered and unfenced": from v2 the
 * request may ask for fenced brokers too and each broker carries is_fenced,
 * so berth asks for them whenever the broker speaks v2. Before v2 a fenced
 * broker is simply absent from the list.
 *
 * berth speaks v0..v2, all flexible. */
#ifndef BERTH_KAFKA_CLUSTER_H
#define BERTH_KAFKA_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_DESCRIBE_CLUSTER_MIN 0
#define KAFKA_DESCRIBE_CLUSTER_MAX 2

/* endpoint_type values (v1+). */
#define KAFKA_ENDPOINT_BROKERS     1
#define KAFKA_ENDPOINT_CONTROLLERS 2

typedef struct kafka_describe_cluster_request {
    int8_t endpoint_type;       /* v1+; 0 means KAFKA_ENDPOINT_BROKERS */
    int include_fenced_brokers; /* v2+; dropped (not an error) below v2 */
} kafka_describe_cluster_request;

typedef struct kafka_describe_cluster_broker {
    int32_t broker_id;
    const char *host;
    int32_t port;
    const char *rack; /* NULL when unset */
    int is_fenced;    /* v2+; 0 before */
} kafka_describe_cluster_broker;

/* A decoded answer; every pointer inside lives until
 * kafka_describe_cluster_free. */
typedef struct kafka_describe_cluster_response {
    int16_t version;
    int fenced_known; /* v2+ and asked for: fenced brokers are listed, marked */
    int32_t throttle_time_ms;
    int16_t error_code;
    const char *error_message;
    int8_t endpoint_type; /* v1+; KAFKA_ENDPOINT_BROKERS before */
    const char *cluster_id;
    int32_t controller_id;
    int32_t n_brokers;
    kafka_describe_cluster_broker *brokers;
    int32_t cluster_authorized_operations;
    kafka_arena arena;
} kafka_describe_cluster_response;

int kafka_describe_cluster_encode(kafka_writer *w, int16_t version,
                                  const kafka_describe_cluster_request *req,
                                  util_err *err) UTIL_MUST_CHECK;

int kafka_describe_cluster_decode(const void *body, size_t len, int16_t version,
                                  kafka_describe_cluster_response **out,
                                  util_err *err) UTIL_MUST_CHECK;

void kafka_describe_cluster_free(kafka_describe_cluster_response *res);

/* Negotiates, asks and decodes. req may be NULL: brokers, fenced ones
 * included when the broker speaks v2. A top-level error fails the call. */
int kafka_describe_cluster_call(kafka_conn *c, const kafka_api_versions *av,
                                const kafka_describe_cluster_request *req, int timeout_ms,
                                kafka_describe_cluster_response **out,
                                util_err *err) UTIL_MUST_CHECK;

/* The broker with id, borrowed from res; NULL if not listed. */
const kafka_describe_cluster_broker *
kafka_describe_cluster_find(const kafka_describe_cluster_response *res, int32_t broker_id);

#endif
