/* Kafka's PEM key store for a TLS listener. The operator mounts the
 * listener's kubernetes.io/tls Secret at <tls dir>/<listener>/ (tls.crt,
 * tls.key, optionally ca.crt); Kafka wants one file holding an unencrypted
 * PKCS#8 private key and the certificate chain, while Secrets often hold a
 * PKCS#1 or SEC1 key. So init rewrites the key as PKCS#8 and writes the
 * bundle, plus the CA file Kafka trusts for inter-broker connections
 * (ca.crt, or the chain itself when there is none), into the config
 * directory (render.h: sc_tls_bundle_path, sc_tls_ca_path). Redpanda reads
 * the Secret's files directly. */
#ifndef BERTH_SIDECAR_TLS_BUNDLE_H
#define BERTH_SIDECAR_TLS_BUNDLE_H

#include "util/err.h"

/* Builds both files for listener. Returns 0, or -1 with err naming the file
 * that is missing or unreadable. */
int sc_tls_bundle_write(const char *tls_dir, const char *config_dir, const char *listener,
                        util_err *err);

#endif
