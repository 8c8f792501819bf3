/* TLS for broker connections, through OpenSSL: a kafka_transport that
 * verifies the broker's certificate chain against a CA bundle and its name
 * against the host dialled, and may present a client certificate.
 *
 * Brokers behind an SSL or SASL_SSL listener speak TLS from the first byte;
 * the framing, deadlines and calls of conn.c stay the same, only the bytes
 * pass through here. Verification is never optional: a broker whose
 * certificate does not check out is refused with the reason OpenSSL gives
 * ("certificate verify failed: self-signed certificate in certificate
 * chain"). */
#ifndef BERTH_KAFKA_TLS_H
#define BERTH_KAFKA_TLS_H

#include "kafka/conn.h"
#include "util/err.h"

typedef struct kafka_tls_opts {
    const char *ca_file;     /* PEM bundle of trusted CAs; NULL: OpenSSL's default paths */
    const char *cert_file;   /* client certificate chain (PEM), or NULL for none */
    const char *key_file;    /* its private key (PEM); needed with cert_file */
    const char *server_name; /* name the certificate must carry; NULL: the host dialled */
} kafka_tls_opts;

/* Trust settings and client identity, shared by any number of connections
 * (an OpenSSL SSL_CTX). */
typedef struct kafka_tls kafka_tls;

/* Loads the files opts names; err names the file that failed and why. On
 * success *out is for kafka_tls_free, which must come after every
 * connection using it is freed. */
int kafka_tls_new(const kafka_tls_opts *opts, kafka_tls **out, util_err *err);

void kafka_tls_free(kafka_tls *t);

/* The transport: set kafka_conn_opts.transport to &kafka_tls_transport and
 * transport_config to a kafka_tls. */
extern const kafka_transport kafka_tls_transport;

#endif
