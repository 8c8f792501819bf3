/* Kafka PEM key stores from mounted TLS Secrets; see tls_bundle.h. */
#include "tls_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "files.h"
#include "render.h"

#define PEM_MAX (1024 * 1024)

/* The whole PEM file, or an error naming it. */
static char *read_pem(const char *path, size_t *len, util_err *err)
{
    char *buf = NULL;
    int rc = sc_file_read(path, PEM_MAX, &buf, len, err);

    if (rc == 1)
        util_err_set(err, "%s: missing (the listener's TLS Secret must hold it)", path);
    return rc == 0 ? buf : NULL;
}

/* Appends every certificate of pem to out; at least one must be there. */
static int append_certs(BIO *out, const char *pem, size_t len, const char *path, util_err *err)
{
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    X509 *x;
    int n = 0;

    if (in == NULL)
        return util_err_set(err, "%s: out of memory", path);
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        PEM_write_bio_X509(out, x);
        X509_free(x);
        n++;
    }
    ERR_clear_error();
    BIO_free(in);
    if (n == 0)
        return util_err_set(err, "%s: no PEM certificate in it", path);
    return 0;
}

static int write_bio(BIO *b, const char *path, util_err *err)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);

    return sc_file_write(path, data, (size_t)n, 0640, err);
}

int sc_tls_bundle_write(const char *tls_dir, const char *config_dir, const char *listener,
                        util_err *err)
{
    char path[1024], out_path[1024];
    char *key_pem = NULL, *crt_pem = NULL, *ca_pem = NULL;
    size_t key_len = 0, crt_len = 0, ca_len = 0;
    BIO *in = NULL, *ks = NULL, *ca = NULL;
    EVP_PKEY *key = NULL;
    int rc = -1;

    snprintf(path, sizeof path, "%s/tls", config_dir);
    if (sc_mkdirs(path, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s/tls.key", tls_dir, listener);
    if ((key_pem = read_pem(path, &key_len, err)) == NULL)
        goto out;
    in = BIO_new_mem_buf(key_pem, (int)key_len);
    key = in != NULL ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
    ERR_clear_error();
    if (key == NULL) {
        util_err_set(err, "%s: not an unencrypted PEM private key", path);
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s/tls.crt", tls_dir, listener);
    if ((crt_pem = read_pem(path, &crt_len, err)) == NULL)
        goto out;
    ks = BIO_new(BIO_s_mem());
    ca = BIO_new(BIO_s_mem());
    if (ks == NULL || ca == NULL ||
        PEM_write_bio_PKCS8PrivateKey(ks, key, NULL, NULL, 0, NULL, NULL) != 1) {
        util_err_set(err, "%s/%s/tls.key: cannot write it as PKCS#8", tls_dir, listener);
        goto out;
    }
    if (append_certs(ks, crt_pem, crt_len, path, err) != 0)
        goto out;

    /* The CA: ca.crt if the Secret has one, else the chain (self-signed). */
    snprintf(path, sizeof path, "%s/%s/ca.crt", tls_dir, listener);
    if (sc_file_read(path, PEM_MAX, &ca_pem, &ca_len, err) < 0)
        goto out;
    if (ca_pem == NULL)
        snprintf(path, sizeof path, "%s/%s/tls.crt", tls_dir, listener);
    if (append_certs(ca, ca_pem != NULL ? ca_pem : crt_pem, ca_pem != NULL ? ca_len : crt_len, path,
                     err) != 0)
        goto out;

    sc_tls_bundle_path(config_dir, listener, out_path, sizeof out_path);
    if (write_bio(ks, out_path, err) != 0)
        goto out;
    sc_tls_ca_path(config_dir, listener, out_path, sizeof out_path);
    if (write_bio(ca, out_path, err) != 0)
        goto out;
    rc = 0;
out:
    EVP_PKEY_free(key);
    BIO_free(in);
    BIO_free(ks);
    BIO_free(ca);
    if (key_pem != NULL)
        OPENSSL_cleanse(key_pem, key_len);
    free(key_pem);
    free(crt_pem);
    free(ca_pem);
    return rc;
}
