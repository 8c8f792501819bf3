/* The envelope around every Kafka request and response: a big-endian int32
 * size prefix, then a request header (v1, or v2 from an API's first flexible
 * version) or a response header (v0, or v1 when flexible), then the body.
 *
 * The client id stays a classic (int16-length) string even in the flexible
 * header v2, so that any broker can read the header of an ApiVersions request
 * of a version it does not know yet. */
#ifndef BERTH_KAFKA_FRAME_H
#define BERTH_KAFKA_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/codec.h"
#include "util/err.h"

typedef struct kafka_request_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    const char *client_id; /* borrowed; NULL sends a null client id */
} kafka_request_header;

/* The header versions for a request of api_key: request v2 and response v1
 * when the API version is flexible, v1 and v0 otherwise. ApiVersions
 * responses always use v0, so a client can read them before it knows
 * which versions the broker speaks. */
void kafka_header_versions(int16_t api_key, int flexible, int *request_version,
                           int *response_version);

/* Reserves the size prefix of a frame at the writer's end and returns where
 * the frame starts, for kafka_frame_end. */
size_t kafka_frame_begin(kafka_writer *w);

/* Fills in the size prefix of the frame begun at start, now that everything
 * after it is written. */
void kafka_frame_end(kafka_writer *w, size_t start);

/* Writes a request header; header_version is 1 or 2 (anything else fails the
 * writer). */
void kafka_put_request_header(kafka_writer *w, int header_version, const kafka_request_header *h);

/* Reads a response header (header_version 0 or 1) and returns its
 * correlation id. */
int kafka_read_response_header(kafka_reader *r, int header_version, int32_t *correlation_id);

/* Checks the four-byte size prefix of an incoming frame: the size must be
 * non-negative and at most max bytes. Returns 0 with *size, or -1 with err. */
int kafka_frame_size(const unsigned char prefix[4], size_t max, size_t *size,
                     util_err *err) UTIL_MUST_CHECK;

#endif
