/* Kafka PEM key stores from mounted TLS Secrets; see tls_bundle.h. */
#include "init/tls_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "files.h"
#include "init/paths.h"
#include "util/file.h"
#include "util/ossl.h"

#define PEM_MAX (1024 * 1024)

/* The whole PEM file, or an error naming it. */
static char *read_pem(const char *path, size_t *len, util_err *err)
{
    char *buf = NULL;
    int rc = util_file_read(path, PEM_MAX, UTIL_FILE_FOLLOW, &buf, len, err);

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

/* The PKCS#8 form of the PEM private key key_pem[0..key_len), into out;
 * what names it in messages. */
static int append_pkcs8(BIO *out, const char *key_pem, size_t key_len, const char *what,
                        util_err *err)
{
    BIO *in = BIO_new_mem_buf(key_pem, (int)key_len);
    EVP_PKEY *key =
        in != NULL ? PEM_read_bio_PrivateKey(in, NULL, util_ossl_no_password, NULL) : NULL;
    int rc = 0;

    ERR_clear_error();
    if (key == NULL)
        rc = util_err_set(err, "%s: not an unencrypted PEM private key", what);
    else if (PEM_write_bio_PKCS8PrivateKey(out, key, NULL, NULL, 0, NULL, NULL) != 1)
        rc = util_err_set(err, "%s: cannot write it as PKCS#8", what);
    EVP_PKEY_free(key);
    BIO_free(in);
    return rc;
}

int sc_tls_bundle_write(const char *tls_dir, const char *config_dir, const char *listener,
                        util_err *err)
{
    char path[1024], out_path[1024];
    char *key_pem = NULL, *crt_pem = NULL, *ca_pem = NULL;
    size_t key_len = 0, crt_len = 0, ca_len = 0;
    BIO *ks = NULL, *ca = NULL;
    int rc = -1;

    snprintf(path, sizeof path, "%s/tls", config_dir);
    if (sc_mkdirs(path, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s/tls.key", tls_dir, listener);
    if ((key_pem = read_pem(path, &key_len, err)) == NULL)
        goto out;
    ks = BIO_new(BIO_s_mem());
    ca = BIO_new(BIO_s_mem());
    if (ks == NULL || ca == NULL) {
        util_err_set(err, "%s: out of memory", path);
        goto out;
    }
    if (append_pkcs8(ks, key_pem, key_len, path, err) != 0)
        goto out;
    snprintf(path, sizeof path, "%s/%s/tls.crt", tls_dir, listener);
    if ((crt_pem = read_pem(path, &crt_len, err)) == NULL)
        goto out;
    if (append_certs(ks, crt_pem, crt_len, path, err) != 0)
        goto out;

    /* The CA: ca.crt if the Secret has one, else the chain (self-signed). */
    snprintf(path, sizeof path, "%s/%s/ca.crt", tls_dir, listener);
    if (util_file_read(path, PEM_MAX, UTIL_FILE_FOLLOW, &ca_pem, &ca_len, err) < 0)
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
    BIO_free(ks);
    BIO_free(ca);
    if (key_pem != NULL)
        OPENSSL_cleanse(key_pem, key_len);
    free(key_pem);
    free(crt_pem);
    free(ca_pem);
    return rc;
}

int sc_tls_cluster_write(const char *config_dir, const sc_tls_pair *p, util_err *err)
{
    static const char *const names[] = {SC_CLUSTER_TLS_KEYSTORE, SC_CLUSTER_TLS_CERT,
                                        SC_CLUSTER_TLS_KEY, SC_CLUSTER_TLS_CA};
    BIO *out[4] = {0};
    char path[1024];
    int rc = -1;

    sc_cluster_tls_path(config_dir, "", path, sizeof path);
    if (sc_mkdirs(path, err) != 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if ((out[i] = BIO_new(BIO_s_mem())) == NULL) {
            util_err_set(err, "%s: out of memory", path);
            goto done;
        }
    if (append_pkcs8(out[0], p->key_pem, p->key_len, p->key_what, err) != 0 ||
        append_certs(out[0], p->cert_pem, p->cert_len, p->cert_what, err) != 0 ||
        append_certs(out[1], p->cert_pem, p->cert_len, p->cert_what, err) != 0 ||
        append_pkcs8(out[2], p->key_pem, p->key_len, p->key_what, err) != 0 ||
        append_certs(out[3], p->ca_pem, p->ca_len, p->ca_what, err) != 0)
        goto done;
    for (int i = 0; i < 4; i++) {
        sc_cluster_tls_path(config_dir, names[i], path, sizeof path);
        if (write_bio(out[i], path, err) != 0)
            goto done;
    }
    rc = 0;
done:
    for (int i = 0; i < 4; i++)
        BIO_free(out[i]);
    return rc;
}
