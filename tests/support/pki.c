/* Throwaway certificates for tests; see pki.h. The X.509 work is
 * lib/pki's: here only the tests' validity (an hour ago to a day on) and
 * aborting on failure. */
#include "support/pki.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "pki/pki.h"
#include "util/base64.h"

/* A request for cn valid from an hour ago to a day from now. */
static pki_request request(const char *cn)
{
    long long now = (long long)time(NULL);
    pki_request r = {.common_name = cn, .not_before = now - 3600, .not_after = now + 86400};

    return r;
}

static void check(int rc, const util_err *err, const char *cn)
{
    if (rc != 0) {
        fprintf(stderr, "pki: certificate for '%s': %s\n", cn, err->msg);
        abort();
    }
}

void pki_self_signed(const char *cn, char **cert_pem, char **key_pem)
{
    pki_request r = request(cn);
    util_err err;

    /* No extendedKeyUsage: it serves as TLS server, client and CA alike. */
    check(pki_self_signed_new(&r, cert_pem, key_pem, &err), &err, cn);
}

void pki_issue_client(const char *ca_cert_pem, const char *ca_key_pem, const char *cn,
                      const char *org, char **cert_pem, char **key_pem)
{
    pki_request r = request(cn);
    util_err err;

    r.organization = org;
    r.client = true;
    check(pki_issue(ca_cert_pem, ca_key_pem, &r, cert_pem, key_pem, &err), &err, cn);
}

char *pki_base64(const void *data, size_t len)
{
    char *out = util_base64_encode(data, len);

    if (out == NULL)
        abort();
    return out;
}

static void die_pem(const char *what)
{
    fprintf(stderr, "pki: not a PEM %s\n", what);
    abort();
}

static X509 *cert_of(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    if (x == NULL)
        die_pem("certificate");
    return x;
}

static EVP_PKEY *key_of(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    if (k == NULL)
        die_pem("private key");
    return k;
}

SSL_CTX *pki_server_ctx(const char *cert_pem, const char *key_pem, const char *client_ca_pem)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509 *cert = cert_of(cert_pem);
    EVP_PKEY *key = key_of(key_pem);

    if (ctx == NULL || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        fprintf(stderr, "pki: setting up a TLS server failed\n");
        abort();
    }
    if (client_ca_pem != NULL) {
        X509 *ca = cert_of(client_ca_pem);

        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
        X509_free(ca);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
}

int pki_ssl_read_all(SSL *ssl, void *buf, size_t n)
{
    size_t off = 0, got;

    while (off < n) {
        if (SSL_read_ex(ssl, (char *)buf + off, n - off, &got) != 1)
            return -1;
        off += got;
    }
    return 0;
}
