/* ElectLeaders (key 43): ask the controller to elect leaders for chosen
 * partitions. PREFERRED makes the first replica leader if it is in the ISR
 * and active; drain calls it after reordering replicas so that the broker
 * being drained is last, restore after putting the original order back.
 *
 * Per-partition outcomes are data, not failures: ELECTION_NOT_NEEDED (the
 * preferred replica leads already) is success for drain, and
 * PREFERRED_LEADER_NOT_AVAILABLE is to be reported, not forced. The caller
 * reads the codes.
 *
 * berth speaks v0..v2 (flexible from v2); v0 knows only PREFERRED and has no
 * top-level error code. */
#ifndef BERTH_KAFKA_ELECT_LEADERS_H
#define BERTH_KAFKA_ELECT_LEADERS_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "kafka/topic_partitions.h"
#include "util/err.h"

#define KAFKA_ELECT_LEADERS_MIN 0
#define KAFKA_ELECT_LEADERS_MAX 2

typedef struct kafka_elect_leaders_request {
    int8_t election_type; /* KAFKA_ELECTION_PREFERRED or _UNCLEAN */
    /* Borrowed; NULL elects for every partition of the cluster. */
    const kafka_topic_partitions *topics;
    int32_t n_topics;
    int32_t timeout_ms; /* how long the broker waits for the elections */
} kafka_elect_leaders_request;

typedef struct kafka_elect_partition_result {
    int32_t partition;
    int16_t error_code; /* 0, ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ... */
    const char *error_message;
} kafka_elect_partition_result;

typedef struct kafka_elect_topic_result {
    const char *topic;
    int32_t n_partitions;
    kafka_elect_partition_result *partitions;
} kafka_elect_topic_result;

/* A decoded answer (or several batches' answers merged); every pointer
 * inside lives until kafka_elect_leaders_free. */
typedef struct kafka_elect_leaders_response {
    int16_t version;
    int32_t throttle_time_ms;
    int16_t error_code; /* v1+ */
    int32_t n_topics;
    kafka_elect_topic_result *topics;
    kafka_arena arena;
} kafka_elect_leaders_response;

int kafka_elect_leaders_encode(kafka_writer *w, int16_t version,
                               const kafka_elect_leaders_request *req,
                               util_err *err) UTIL_MUST_CHECK;

int kafka_elect_leaders_decode(const void *body, size_t len, int16_t version,
                               kafka_elect_leaders_response **out, util_err *err) UTIL_MUST_CHECK;

void kafka_elect_leaders_free(kafka_elect_leaders_response *res);

/* Negotiates, sends and decodes; a top-level error fails the call. */
int kafka_elect_leaders_call(kafka_conn *c, const kafka_api_versions *av,
                             const kafka_elect_leaders_request *req, int timeout_ms,
                             kafka_elect_leaders_response **out, util_err *err) UTIL_MUST_CHECK;

/* Elects leaders for req's partitions in requests of at most batch_size
 * partitions each (one request when req->topics is NULL), so that a broker
 * leading thousands of partitions never sends one huge request the
 * controller must finish within one timeout. timeout_ms bounds each round
 * trip. *out merges every batch's results. A failing batch stops the run:
 * err says which, and the batches before it have taken effect. */
int kafka_elect_leaders_batched(kafka_conn *c, const kafka_api_versions *av,
                                const kafka_elect_leaders_request *req, int32_t batch_size,
                                int timeout_ms, kafka_elect_leaders_response **out,
                                util_err *err) UTIL_MUST_CHECK;

/* The outcome for (topic, partition), borrowed from res; NULL if absent. */
const kafka_elect_partition_result *
kafka_elect_leaders_find(const kafka_elect_leaders_response *res, const char *topic,
                         int32_t partition);

#endif
