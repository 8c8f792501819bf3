/* TLS for broker connections, through OpenSSL: a kafka_transport that
 * verifies the broker's certificate chain against a CA bundle and its name
 * against the host dialled, and may present a client certificate.
 *
 * Brokers behind an SSL or SASL_SSL listener speak TLS from the first byte;
 * the framing, deadlines and calls of conn.c stay the same, only the bytes
 * pass through here. Verification is never optional: a broker whose
 * certificate does not check out is refused with the reason OpenSSL gives
 * ("certificate verify failed: self-signed certificate in certificate
 * chain").
 *
 * Trust and identity come from files or from memory. Files are what a
 * long-running process gets from a mounted Kubernetes Secret, which the
 * kubelet replaces when the certificate is renewed; so every new connection
 * first checks whether those files changed and, if they did, loads them
 * again and uses them from then on. A process that holds its certificate in
 * memory passes it as PEM and makes a new kafka_tls when it renews. */
#ifndef BERTH_KAFKA_TLS_H
#define BERTH_KAFKA_TLS_H

#include "kafka/conn.h"
#include "util/err.h"

/* Each of the CA, the certificate and the key is given as a file or as PEM
 * text, not both; the certificate and its key go together, both as files or
 * both as PEM. Strings are borrowed for the call only (kafka_tls_new copies
 * what it keeps). */
typedef struct kafka_tls_opts {
    const char *ca_file;     /* PEM bundle of trusted CAs; neither this nor ca_pem: the
                                system's (OpenSSL's default paths) */
    const char *cert_file;   /* client certificate chain (PEM), or NULL for none */
    const char *key_file;    /* its private key (PEM); needed with cert_file */
    const char *server_name; /* name the certificate must carry; NULL: the host dialled */
    const char *ca_pem;      /* the CA bundle in memory (NUL-terminated PEM) */
    const char *cert_pem;    /* the client certificate chain in memory */
    const char *key_pem;     /* its unencrypted private key in memory; needed with cert_pem */
} kafka_tls_opts;

/* Trust settings and client identity, shared by any number of connections
 * in any number of threads. Each connection keeps the settings it was made
 * with; a reload affects only connections made after it. */
typedef struct kafka_tls kafka_tls;

/* Loads what opts names; err names the setting (and file) that failed and
 * why. On success *out is for kafka_tls_free, which must come after every
 * connection using it is freed.
 *
 * Settings given as files are watched: each new connection stats them, and
 * when one changed (another file at the path, or new content) they are all
 * loaded again. If the new files do not load (a certificate whose key is
 * not yet there), the connection uses the previous settings and the next
 * connection tries again; nothing is reported. */
int kafka_tls_new(const kafka_tls_opts *opts, kafka_tls **out, util_err *err) UTIL_MUST_CHECK;

/* Frees t and wipes the key it kept. NULL is a no-op. */
void kafka_tls_free(kafka_tls *t);

/* The transport: set kafka_conn_opts.transport to &kafka_tls_transport and
 * transport_config to a kafka_tls. */
extern const kafka_transport kafka_tls_transport;

#endif
