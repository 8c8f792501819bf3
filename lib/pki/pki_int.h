/* What the files of lib/pki share: PEM in and out (pem.c). Not for use
 * outside lib/pki. */
#ifndef BERTH_PKI_PKI_INT_H
#define BERTH_PKI_PKI_INT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/pki.h"

#define PKI_SECS_PER_DAY 86400LL

/* The first certificate in pem[0..len) (other PEM blocks before it are
 * skipped), for X509_free; NULL with err set. */
X509 *pki_read_cert(const char *pem, size_t len, util_err *err) UTIL_MUST_CHECK;

/* pki_read_cert for a NUL-terminated pem; what names it in err
 * ("CA certificate: not a PEM certificate: no start line"). */
X509 *pki_read_cert_text(const char *pem, const char *what, util_err *err) UTIL_MUST_CHECK;

/* A certificate (*cert, for X509_free) and its private key (*key, for
 * EVP_PKEY_free) from NUL-terminated PEM; an encrypted key is refused.
 * who ("CA " or "") starts their names in err. -1 with both NULL when
 * either is unreadable or the key is not the certificate's. */
int pki_read_pair(const char *cert_pem, const char *key_pem, const char *who, X509 **cert,
                  EVP_PKEY **key, util_err *err) UTIL_MUST_CHECK;

/* What was written to the memory BIO b, as a new NUL-terminated string;
 * NULL when out of memory. With wipe, b's buffer is zeroed after (it held
 * a private key). */
char *pki_bio_string(BIO *b, int wipe);

#endif
