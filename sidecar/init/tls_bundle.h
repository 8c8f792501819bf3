/* Kafka's PEM key store for a TLS listener. The operator mounts the
 * listener's kubernetes.io/tls Secret at <tls dir>/<listener>/ (tls.crt,
 * tls.key, optionally ca.crt); Kafka wants one file holding an unencrypted
 * PKCS#8 private key and the certificate chain, while Secrets often hold a
 * PKCS#1 or SEC1 key. So init rewrites the key as PKCS#8 and writes the
 * bundle, plus the CA file Kafka trusts for inter-broker connections
 * (ca.crt, or the chain itself when there is none), into the config
 * directory (paths.h: sc_tls_bundle_path, sc_tls_ca_path). Redpanda reads
 * the Secret's files directly.
 *
 * The same goes for the broker's certificate of the cluster's own mutual
 * TLS (paths.h: SC_CLUSTER_TLS_*), which init takes from the API rather
 * than from a mounted file, so the caller hands it over in memory. */
#ifndef BERTH_SIDECAR_INIT_TLS_BUNDLE_H
#define BERTH_SIDECAR_INIT_TLS_BUNDLE_H

#include <stddef.h>

#include "util/err.h"

/* Builds both files for listener. Returns 0, or -1 with err naming the file
 * that is missing or unreadable. */
int sc_tls_bundle_write(const char *tls_dir, const char *config_dir, const char *listener,
                        util_err *err) UTIL_MUST_CHECK;

/* A certificate chain, its private key and the CAs to trust, in PEM, each
 * with the name of where it came from for messages ("Secret x/y:
 * key-0.key"). Borrowed. */
typedef struct sc_tls_pair {
    const char *cert_pem, *key_pem, *ca_pem;
    size_t cert_len, key_len, ca_len;
    const char *cert_what, *key_what, *ca_what;
} sc_tls_pair;

/* Writes the cluster TLS files (paths.h: SC_CLUSTER_TLS_KEYSTORE, _CERT,
 * _KEY, _CA) from p into <config_dir>/SC_CLUSTER_TLS_SUBDIR. Returns 0,
 * or -1 with err naming the part that is not PEM or the file that could
 * not be written. */
int sc_tls_cluster_write(const char *config_dir, const sc_tls_pair *p,
                         util_err *err) UTIL_MUST_CHECK;

#endif
