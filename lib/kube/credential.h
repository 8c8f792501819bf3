/* Checks of credentials: what config.c, kubeconfig.c and in_cluster.c load
 * and what an exec plugin returns (exec.c) are refused for the same things
 * with the same words. The checks run once, at load, so a broken
 * certificate or token is reported against its field rather than as an
 * obscure TLS or HTTP failure later. Internal to lib/kube. */
#ifndef BERTH_KUBE_CREDENTIAL_H
#define BERTH_KUBE_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* A bearer token goes into an HTTP header: surrounding whitespace is
 * trimmed (in place), and an empty token or one with whitespace or control
 * characters inside is refused. */
int kube_cred_check_token(char *s, util_err *err) UTIL_MUST_CHECK;

/* Checks that cert holds a PEM certificate and key an unencrypted PEM
 * private key that belongs to it. Returns 0, -1 when the certificate is at
 * fault or -2 when the key is, with err saying what is wrong (the caller
 * names the field). */
int kube_cred_check_pair(const char *cert, size_t cert_len, const char *key, size_t key_len,
                         util_err *err) UTIL_MUST_CHECK;

/* True when the len bytes at pem hold at least one PEM certificate. */
bool kube_cred_has_cert(const char *pem, size_t len);

/* Wipes the len bytes at p, then frees p: a core dump or a reused heap
 * block should not carry a private key or token. NULL is a no-op. */
void kube_cred_secret_free(char *p, size_t len);

#endif
