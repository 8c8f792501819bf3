/* Checks that config.c makes of credentials and that the exec credential
 * plugin (exec.c) applies to what a plugin returns too, so both refuse the
 * same things with the same words. Internal to lib/kube. */
#ifndef BERTH_KUBE_CONFIG_INT_H
#define BERTH_KUBE_CONFIG_INT_H

#include <stddef.h>

#include "util/err.h"

/* A bearer token goes into an HTTP header: surrounding whitespace is
 * trimmed (in place), and an empty token or one with whitespace or control
 * characters inside is refused. */
int kube_config_check_token(char *s, util_err *err);

/* Checks that cert holds a PEM certificate and key an unencrypted PEM
 * private key that belongs to it. Returns 0, -1 when the certificate is at
 * fault or -2 when the key is, with err saying what is wrong (the caller
 * names the field). */
int kube_config_check_pair(const char *cert, size_t cert_len, const char *key, size_t key_len,
                           util_err *err);

#endif
