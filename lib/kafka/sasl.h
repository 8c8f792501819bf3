/* SASL authentication of a broker connection: SaslHandshake (key 17) picks
 * the mechanism, then SaslAuthenticate (key 36) carries its messages, with
 * PLAIN (RFC 4616) or SCRAM-SHA-256/512 (scram.h).
 *
 * A SASL_PLAINTEXT or SASL_SSL listener answers nothing but ApiVersions and
 * these two until the client has authenticated, so this runs once per
 * connection, right after kafka_api_versions_fetch. berth speaks
 * SaslHandshake v1 only (v0 sent the mechanism's bytes raw, outside Kafka
 * framing) and SaslAuthenticate v0..v2 (v2 flexible). berth does not
 * re-authenticate: a listener with connections.max.reauth.ms closes a
 * connection once its session ends, and berth's short-lived connections are
 * opened again like after any other failure. kafka_dial (dial.h) runs the
 * whole set-up. */
#ifndef BERTH_KAFKA_SASL_H
#define BERTH_KAFKA_SASL_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/conn.h"
#include "kafka/result.h"
#include "util/err.h"

#define KAFKA_SASL_HANDSHAKE_MIN    1
#define KAFKA_SASL_HANDSHAKE_MAX    1
#define KAFKA_SASL_AUTHENTICATE_MIN 0
#define KAFKA_SASL_AUTHENTICATE_MAX 2

typedef enum kafka_sasl_mechanism {
    KAFKA_SASL_PLAIN,
    KAFKA_SASL_SCRAM_SHA_256,
    KAFKA_SASL_SCRAM_SHA_512,
} kafka_sasl_mechanism;

typedef struct kafka_sasl_opts {
    kafka_sasl_mechanism mechanism;
    const char *username;
    const char *password;
} kafka_sasl_opts;

/* "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512". */
const char *kafka_sasl_mechanism_name(kafka_sasl_mechanism m);

/* Parses a mechanism name as Kafka spells it (case-insensitive). */
int kafka_sasl_mechanism_parse(const char *name, kafka_sasl_mechanism *out,
                               util_err *err) UTIL_MUST_CHECK;

typedef struct kafka_sasl_handshake_response {
    int16_t version;
    int16_t error_code;
    int32_t n_mechanisms;
    const char **mechanisms; /* the listener's enabled mechanisms */
    kafka_arena arena;
} kafka_sasl_handshake_response;

typedef struct kafka_sasl_authenticate_response {
    int16_t version;
    int16_t error_code;
    const char *error_message;   /* NULL when none */
    kafka_bytes auth_bytes;      /* the mechanism's answer, in the arena */
    int64_t session_lifetime_ms; /* v1+; 0: the session does not expire */
    kafka_arena arena;
} kafka_sasl_authenticate_response;

int kafka_sasl_handshake_encode(kafka_writer *w, int16_t version, const char *mechanism,
                                util_err *err) UTIL_MUST_CHECK;
int kafka_sasl_handshake_decode(const void *body, size_t len, int16_t version,
                                kafka_sasl_handshake_response **out, util_err *err) UTIL_MUST_CHECK;
void kafka_sasl_handshake_free(kafka_sasl_handshake_response *res);

int kafka_sasl_authenticate_encode(kafka_writer *w, int16_t version, const void *auth_bytes,
                                   size_t len, util_err *err) UTIL_MUST_CHECK;
int kafka_sasl_authenticate_decode(const void *body, size_t len, int16_t version,
                                   kafka_sasl_authenticate_response **out,
                                   util_err *err) UTIL_MUST_CHECK;
void kafka_sasl_authenticate_free(kafka_sasl_authenticate_response *res);

/* Authenticates c as opts says, each round trip within timeout_ms. av is
 * c's ApiVersions answer. A refusal reads "broker ADDR: SASL authentication
 * as 'user' with SCRAM-SHA-512 failed: SASL_AUTHENTICATION_FAILED (error
 * 58): <the broker's reason>"; a mechanism the listener lacks is named with
 * the ones it offers. After a failure the broker closes c. */
int kafka_sasl_authenticate(kafka_conn *c, const kafka_api_versions *av,
                            const kafka_sasl_opts *opts, int timeout_ms,
                            util_err *err) UTIL_MUST_CHECK;

#endif
