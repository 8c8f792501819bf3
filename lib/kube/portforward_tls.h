/* The TLS side of port-forwarding (portforward.h): an OpenSSL client
 * SSL_CTX made from a kube_config, the exec plugin's client certificate
 * put on it when the plugin hands out a new one, and the verdict on each
 * certificate of the API server's chain, which libwebsockets asks for in
 * its verification callback. Internal to lib/kube. */
#ifndef BERTH_KUBE_PORTFORWARD_TLS_H
#define BERTH_KUBE_PORTFORWARD_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "kube/config.h"
#include "util/err.h"

/* A new client SSL_CTX (TLS 1.2 or later) for SSL_CTX_free: it trusts the
 * config's CA bundle only, or the system's store when there is none (and
 * nothing when insecure-skip-tls-verify), and presents the config's client
 * certificate chain and key, if any. */
int kube_pf_tls_new(const kube_config *cfg, SSL_CTX **out, util_err *err) UTIL_MUST_CHECK;

/* With an exec plugin: runs it if its credential expired or was refused,
 * and when it gave a certificate other than the one of *serial (0: none
 * yet), makes that certificate and key the ones ctx presents. Connections
 * take ctx's certificate when their TLS session is made, so those already
 * open keep theirs. Without a plugin, nothing. */
int kube_pf_tls_exec(const kube_config *cfg, SSL_CTX *ctx, unsigned long *serial,
                     util_err *err) UTIL_MUST_CHECK;

/* The verdict on the certificate x is at (OpenSSL's preverify_ok given):
 * 0 accepts it, 1 refuses it, with why (size bytes) saying why. The chain
 * is OpenSSL's to judge; the name is checked here, at depth 0, against
 * name: an IP address against the certificate's IP entries, else a DNS
 * name against its names. insecure accepts everything. */
int kube_pf_tls_verify(bool insecure, const char *name, X509_STORE_CTX *x, int preverify_ok,
                       char *why, size_t size);

#endif
