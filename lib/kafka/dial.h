/* Opening a broker connection ready for admin calls: TCP, then TLS if
 * configured, then ApiVersions, then SASL if configured, in the one order a
 * Kafka listener accepts.
 *
 * Every caller of the admin calls (drain, readiness, restore, status) needs
 * exactly this sequence with its own settings; it lives here once so none of
 * them gets the order, or a cleanup path, wrong. */
#ifndef BERTH_KAFKA_DIAL_H
#define BERTH_KAFKA_DIAL_H

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/sasl.h"
#include "kafka/tls.h"
#include "util/err.h"

typedef struct kafka_dial_opts {
    int connect_timeout_ms;      /* TCP connect + TLS handshake; 0: the default */
    int call_timeout_ms;         /* each ApiVersions/SASL round trip; 0: the connect timeout */
    const char *client_id;       /* NULL: "berth" */
    kafka_tls *tls;              /* borrowed; NULL: plaintext */
    const kafka_sasl_opts *sasl; /* borrowed; NULL: no SASL */
    size_t max_frame_bytes;      /* largest answer accepted; 0: KAFKA_MAX_FRAME_DEFAULT */
} kafka_dial_opts;

/* Connects to hostport as opts says (NULL: plaintext, no SASL, defaults).
 * On success *c is the connection (kafka_conn_free) and *av its broker's
 * ApiVersions answer (kafka_api_versions_free); on failure both are NULL and
 * err names the broker and the step that failed. */
int kafka_dial(const char *hostport, const kafka_dial_opts *opts, kafka_conn **c,
               kafka_api_versions **av, util_err *err) UTIL_MUST_CHECK;

#endif
