/* One admin round trip: negotiate the version, send the encoded body, hand
 * back the response body.
 *
 * Every admin API helper (metadata.c, elect_leaders.c, ...) does the same
 * three steps around its own codec; they live here once so each helper only
 * says which API, which versions berth speaks and how to encode and decode.
 * The caller fetches ApiVersions once per connection and passes it in:
 * versions are negotiated, never assumed. */
#ifndef BERTH_KAFKA_CALL_H
#define BERTH_KAFKA_CALL_H

#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "util/err.h"

/* Picks the highest version of api_key that both av (the broker's list) and
 * ours_min..ours_max allow. err names the broker and the API on failure. */
int kafka_call_pick(kafka_conn *c, const kafka_api_versions *av, int16_t api_key, int16_t ours_min,
                    int16_t ours_max, int16_t *version, util_err *err) UTIL_MUST_CHECK;

/* Sends the request body in w (api_key at version; flexible says which header
 * versions apply) and waits up to timeout_ms for the answer. Checks w's
 * status first, so an encoder failure surfaces here. On success *resp is the
 * response body, borrowed from c until its next call. */
int kafka_call_send(kafka_conn *c, int16_t api_key, int16_t version, int flexible,
                    const kafka_writer *w, int timeout_ms, kafka_bytes *resp,
                    util_err *err) UTIL_MUST_CHECK;

/* Sets err for a top-level error code of a decoded answer: "broker ADDR:
 * NAME vV: CODE_NAME (error N): message". Returns -1. message may be NULL. */
int kafka_call_error(kafka_conn *c, int16_t api_key, int16_t version, int16_t code,
                     const char *message, util_err *err);

#endif
