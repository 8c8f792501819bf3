/* Throwaway certificates for tests; see pki.h. */
#include "support/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static void die(const char *what)
{
    fprintf(stderr, "pki: %s failed\n", what);
    abort();
}

static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = malloc((size_t)n + 1);

    if (s == NULL)
        abort();
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

/* Gives x a random positive serial, version 3, a validity from an hour ago
 * to a day from now, and key's public half. */
static void start_cert(X509 *x, EVP_PKEY *key)
{
    unsigned char serial[8];
    BIGNUM *bn;

    if (RAND_bytes(serial, sizeof serial) != 1)
        die("RAND_bytes");
    serial[0] &= 0x7f; /* serials are positive */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        die("serial");
    BN_free(bn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
}

/* Adds the extension nid = value to x; what names it when that fails. */
static void add_ext(X509V3_CTX *ctx, X509 *x, int nid, const char *value, const char *what)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

    if (ext == NULL || !X509_add_ext(x, ext, -1))
        die(what);
    X509_EXTENSION_free(ext);
}

/* Signs x with signer, then gives x and key back as new PEM strings. */
static void sign_to_pem(X509 *x, EVP_PKEY *signer, EVP_PKEY *key, char **cert_pem, char **key_pem)
{
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());

    if (cb == NULL || kb == NULL)
        die("allocation");
    if (!X509_sign(x, signer, EVP_sha256()))
        die("X509_sign");
    if (!PEM_write_bio_X509(cb, x) || !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
        die("PEM write");
    *cert_pem = bio_string(cb);
    *key_pem = bio_string(kb);
    BIO_free(cb);
    BIO_free(kb);
}

void pki_self_signed(const char *cn, char **cert_pem, char **key_pem)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX ctx;

    if (key == NULL || x == NULL)
        die("allocation");
    start_cert(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    add_ext(&ctx, x, NID_basic_constraints, "critical,CA:TRUE", "basicConstraints");
    sign_to_pem(x, key, key, cert_pem, key_pem);
    X509_free(x);
    EVP_PKEY_free(key);
}

char *pki_base64(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);

    if (out == NULL)
        abort();
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

void pki_issue_client(const char *ca_cert_pem, const char *ca_key_pem, const char *cn,
                      const char *org, char **cert_pem, char **key_pem)
{
    BIO *in_cert = BIO_new_mem_buf(ca_cert_pem, -1), *in_key = BIO_new_mem_buf(ca_key_pem, -1);
    X509 *ca = in_cert != NULL ? PEM_read_bio_X509(in_cert, NULL, NULL, NULL) : NULL;
    EVP_PKEY *ca_key = in_key != NULL ? PEM_read_bio_PrivateKey(in_key, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX ctx;

    if (ca == NULL || ca_key == NULL)
        die("reading the CA certificate and key");
    if (key == NULL || x == NULL)
        die("allocation");
    start_cert(x, key);
    name = X509_get_subject_name(x);
    if (org != NULL)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(ca));
    X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
    add_ext(&ctx, x, NID_ext_key_usage, "clientAuth", "extendedKeyUsage");
    sign_to_pem(x, ca_key, key, cert_pem, key_pem);
    BIO_free(in_cert);
    BIO_free(in_key);
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
}
