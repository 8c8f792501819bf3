/* PEM in and out for lib/pki; see pki_int.h. Input comes from Secrets
 * anyone with edit rights could change: it is bounded, and a PEM password
 * is never prompted for (OpenSSL's default for an "ENCRYPTED" header is to
 * read the terminal). */
#include "pki/pki_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "util/ossl.h"

/* A memory BIO over pem[0..len), or NULL with err set. */
static BIO *pem_bio(const char *pem, size_t len, util_err *err)
{
    BIO *b;

    if (pem == NULL) {
        util_err_set(err, "missing");
        return NULL;
    }
    if (len > INT_MAX) {
        util_err_set(err, "%zu bytes is too long", len);
        return NULL;
    }
    b = BIO_new_mem_buf(pem, (int)len);
    if (b == NULL)
        util_ossl_fail(err, "reading PEM");
    return b;
}

X509 *pki_read_cert(const char *pem, size_t len, util_err *err)
{
    BIO *b = pem_bio(pem, len, err);
    X509 *x;

    if (b == NULL)
        return NULL;
    x = PEM_read_bio_X509(b, NULL, util_ossl_no_password, NULL);
    BIO_free(b);
    if (x == NULL)
        util_ossl_fail(err, "not a PEM certificate");
    return x;
}

X509 *pki_read_cert_text(const char *pem, const char *what, util_err *err)
{
    X509 *x = pki_read_cert(pem, pem != NULL ? strlen(pem) : 0, err);

    if (x == NULL)
        util_err_prefix(err, "%s", what);
    return x;
}

int pki_read_pair(const char *cert_pem, const char *key_pem, const char *who, X509 **cert,
                  EVP_PKEY **key, util_err *err)
{
    BIO *b;
    EVP_PKEY *pub;
    char what[32];

    snprintf(what, sizeof what, "%scertificate", who);
    *key = NULL;
    *cert = pki_read_cert_text(cert_pem, what, err);
    if (*cert == NULL)
        return -1;
    b = pem_bio(key_pem, key_pem != NULL ? strlen(key_pem) : 0, err);
    if (b != NULL) {
        *key = PEM_read_bio_PrivateKey(b, NULL, util_ossl_no_password, NULL);
        BIO_free(b);
        if (*key == NULL)
            util_ossl_fail(err, "not an unencrypted PEM private key");
    }
    if (*key == NULL) {
        util_err_prefix(err, "%skey", who);
    } else if ((pub = X509_get0_pubkey(*cert)) == NULL || EVP_PKEY_eq(pub, *key) != 1) {
        util_err_set(err, "%skey: not the key of the %s", who, what);
    } else {
        return 0;
    }
    X509_free(*cert);
    EVP_PKEY_free(*key);
    *cert = NULL;
    *key = NULL;
    return -1;
}

char *pki_bio_string(BIO *b, int wipe)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;

    if (s != NULL) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    if (wipe && n > 0)
        OPENSSL_cleanse(data, (size_t)n);
    return s;
}

const char *pki_bundle_next(const char **p, size_t *len)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    const char *b = *p != NULL ? strstr(*p, begin) : NULL;
    const char *e = b != NULL ? strstr(b, end) : NULL;

    if (e == NULL) {
        *p = NULL;
        return NULL;
    }
    e += sizeof end - 1;
    *len = (size_t)(e - b);
    *p = e;
    return b;
}
