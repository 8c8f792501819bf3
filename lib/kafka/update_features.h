/* UpdateFeatures (key 57): change the cluster's finalized feature levels
 * (KIP-584), e.g. raise metadata.version once every broker runs a release
 * that supports the new level. Any broker takes the request and forwards it
 * to the active controller, which refuses a level some registered broker
 * does not support.
 *
 * berth speaks v0..v2, all flexible. v0 says "may downgrade" with a bool
 * (berth sends it for any type but UPGRADE), v1 adds the upgrade type and
 * validate_only, v2 drops the per-feature results: every error is then
 * top-level. */
#ifndef BERTH_KAFKA_UPDATE_FEATURES_H
#define BERTH_KAFKA_UPDATE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_UPDATE_FEATURES_MIN 0
#define KAFKA_UPDATE_FEATURES_MAX 2

/* How far a level may move (the protocol's UpgradeType). */
enum kafka_feature_upgrade_type {
    KAFKA_FEATURE_UPGRADE = 1,          /* only up */
    KAFKA_FEATURE_SAFE_DOWNGRADE = 2,   /* down, if no metadata is lost */
    KAFKA_FEATURE_UNSAFE_DOWNGRADE = 3, /* down, even losing metadata */
};

typedef struct kafka_feature_update {
    const char *feature;       /* borrowed */
    int16_t max_version_level; /* the new finalized level; < 1 deletes the feature */
    int8_t upgrade_type;       /* KAFKA_FEATURE_* */
} kafka_feature_update;

typedef struct kafka_update_features_request {
    int32_t timeout_ms;                  /* how long the controller may take */
    const kafka_feature_update *updates; /* borrowed, n_updates of them */
    int32_t n_updates;
    int validate_only; /* v1+: check, change nothing */
} kafka_update_features_request;

typedef struct kafka_feature_update_result {
    const char *feature;
    int16_t error_code;
    const char *error_message;
} kafka_feature_update_result;

/* A decoded answer; every pointer inside lives until
 * kafka_update_features_free. */
typedef struct kafka_update_features_response {
    int16_t version;
    int32_t throttle_time_ms;
    int16_t error_code;
    const char *error_message;
    int32_t n_results; /* v0..v1 only */
    kafka_feature_update_result *results;
    kafka_arena arena;
} kafka_update_features_response;

int kafka_update_features_encode(kafka_writer *w, int16_t version,
                                 const kafka_update_features_request *req,
                                 util_err *err) UTIL_MUST_CHECK;

int kafka_update_features_decode(const void *body, size_t len, int16_t version,
                                 kafka_update_features_response **out,
                                 util_err *err) UTIL_MUST_CHECK;

void kafka_update_features_free(kafka_update_features_response *res);

/* Negotiates, sends and decodes. Any error fails the call, top-level or for
 * one feature (err names it), so the outcome is the same whichever version
 * was spoken; *out is then NULL. On success *out is the answer. */
int kafka_update_features_call(kafka_conn *c, const kafka_api_versions *av,
                               const kafka_update_features_request *req, int timeout_ms,
                               kafka_update_features_response **out, util_err *err) UTIL_MUST_CHECK;

#endif
