/* ApiVersions (key 18): the first call on every broker connection. The broker
 * lists, for each API it serves, the range of versions it accepts; berth then
 * speaks, per API, the highest version both sides know, and never assumes.
 *
 * A broker that does not know the ApiVersions version it was sent answers
 * UNSUPPORTED_VERSION in the v0 layout (listing its own ApiVersions range),
 * whatever version was asked; the decoder follows it and
 * kafka_api_versions_fetch retries once with a version the broker accepts.
 *
 * From v3 on the answer also carries, as tagged fields, the features the
 * broker supports (each a range of levels) and the cluster's finalized ones
 * (KIP-584): metadata.version among them, which an upgrade raises once every
 * broker runs the new release. */
#ifndef BERTH_KAFKA_API_VERSIONS_H
#define BERTH_KAFKA_API_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

/* The ApiVersions versions berth speaks. v3 is the first flexible one. */
#define KAFKA_API_VERSIONS_MIN 0
#define KAFKA_API_VERSIONS_MAX 3

typedef struct kafka_api_range {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
} kafka_api_range;

/* One feature's levels: the range a broker supports (min..max), or the
 * cluster's finalized level (max; min is what the protocol calls the
 * finalized min level). */
typedef struct kafka_feature_range {
    const char *name;
    int16_t min_level;
    int16_t max_level;
} kafka_feature_range;

/* The feature whose finalized level says which metadata records every
 * broker understands; levels are Kafka's MetadataVersion feature levels. */
#define KAFKA_FEATURE_METADATA_VERSION "metadata.version"

typedef struct kafka_api_versions {
    int16_t version;          /* layout decoded: 0 after the UNSUPPORTED_VERSION fallback */
    int16_t error_code;       /* KAFKA_ERR_*, 0 for none */
    int32_t throttle_time_ms; /* 0 in v0 */
    int32_t n_apis;
    kafka_api_range *apis; /* owned, in the broker's order; NULL when n_apis is 0 */
    /* v3+ tagged fields; empty (and the epoch -1) when absent. */
    int32_t n_supported;
    kafka_feature_range *supported; /* the features this broker can run */
    int64_t finalized_epoch;        /* -1: the broker knows no finalized features */
    int32_t n_finalized;
    kafka_feature_range *finalized; /* the levels the cluster runs at */
    kafka_arena arena;              /* the feature arrays and names */
} kafka_api_versions;

/* Appends the body of an ApiVersions request of the given version (0..3) to
 * w; from v3 on it names the client as "berth" and its version. */
int kafka_api_versions_encode(kafka_writer *w, int16_t version, util_err *err) UTIL_MUST_CHECK;

/* Decodes a response body (after the v0 response header) to a request of the
 * given version. The whole body must be consumed. On success *out is a new
 * result for kafka_api_versions_free; a non-zero error_code is not a decode
 * failure. */
int kafka_api_versions_decode(const void *body, size_t len, int16_t version,
                              kafka_api_versions **out, util_err *err) UTIL_MUST_CHECK;

void kafka_api_versions_free(kafka_api_versions *v);

/* The broker's range for api_key, borrowed from v; NULL if not listed. */
const kafka_api_range *kafka_api_versions_find(const kafka_api_versions *v, int16_t api_key);

/* The broker's supported range, or the cluster's finalized level, of the
 * feature name, borrowed from v; NULL if not listed. */
const kafka_feature_range *kafka_api_versions_supported(const kafka_api_versions *v,
                                                        const char *name);
const kafka_feature_range *kafka_api_versions_finalized(const kafka_api_versions *v,
                                                        const char *name);

/* Picks the highest version of api_key in both the broker's range and
 * ours_min..ours_max. Returns 0 with *picked, or -1 with err saying whether
 * the broker lacks the API or the ranges do not meet. */
int kafka_api_versions_pick(const kafka_api_versions *v, int16_t api_key, int16_t ours_min,
                            int16_t ours_max, int16_t *picked, util_err *err) UTIL_MUST_CHECK;

/* Asks c's broker for its versions (v3, or lower after an UNSUPPORTED_VERSION
 * answer), within timeout_ms per round trip. Succeeds only with error_code 0;
 * *out is then a new result for kafka_api_versions_free. */
int kafka_api_versions_fetch(kafka_conn *c, int timeout_ms, kafka_api_versions **out,
                             util_err *err) UTIL_MUST_CHECK;

#endif
