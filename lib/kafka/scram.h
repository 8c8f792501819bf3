/* The client side of SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677):
 * the four messages of one authentication exchange, with no I/O.
 *
 * Kafka's SCRAM listeners carry these messages inside SaslAuthenticate
 * requests (sasl.c). Kept apart from the wire so the exchange can be checked
 * against the RFC's test vector, and its parser of the server's messages
 * (untrusted bytes) fuzzed on its own.
 *
 * Usage: kafka_scram_new, send kafka_scram_client_first, feed the answer to
 * kafka_scram_server_first, send kafka_scram_client_final, feed the answer
 * to kafka_scram_server_final, which proves that the server knew the
 * password too. Names and passwords are used as given (no SASLprep), as
 * Kafka does. */
#ifndef BERTH_KAFKA_SCRAM_H
#define BERTH_KAFKA_SCRAM_H

#include <stddef.h>

#include "util/err.h"

typedef enum kafka_scram_hash {
    KAFKA_SCRAM_SHA_256,
    KAFKA_SCRAM_SHA_512,
} kafka_scram_hash;

/* Kafka accepts 4096..16384 iterations; a server asking for far more would
 * only burn the client's CPU. */
#define KAFKA_SCRAM_MAX_ITERATIONS 100000

typedef struct kafka_scram kafka_scram;

/* Starts an exchange for user and password. nonce is the client nonce
 * (printable ASCII without ','), or NULL for 24 random bytes from RAND_bytes
 * in base64; tests pass the RFC's. On success *out is for kafka_scram_free. */
int kafka_scram_new(kafka_scram_hash hash, const char *user, const char *password,
                    const char *nonce, kafka_scram **out, util_err *err) UTIL_MUST_CHECK;

void kafka_scram_free(kafka_scram *s);

/* "SCRAM-SHA-256" or "SCRAM-SHA-512". */
const char *kafka_scram_mechanism(kafka_scram_hash hash);

/* "n,,n=user,r=nonce"; borrowed from s. */
const char *kafka_scram_client_first(const kafka_scram *s);

/* Reads the server-first message ("r=...,s=...,i=..."), checks that its
 * nonce extends ours, derives the keys and builds the client-final message.
 * err names what is wrong with the message. */
int kafka_scram_server_first(kafka_scram *s, const void *msg, size_t len,
                             util_err *err) UTIL_MUST_CHECK;

/* "c=biws,r=...,p=..."; borrowed from s; NULL before kafka_scram_server_first
 * succeeded. */
const char *kafka_scram_client_final(const kafka_scram *s);

/* Reads the server-final message: "v=signature" must equal the signature
 * only a server that knows the password can compute; "e=reason" is the
 * server refusing. */
int kafka_scram_server_final(kafka_scram *s, const void *msg, size_t len,
                             util_err *err) UTIL_MUST_CHECK;

#endif
