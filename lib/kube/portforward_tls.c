/* The TLS side of port-forwarding; see portforward_tls.h.
 *
 * libwebsockets checks the server's chain against the SSL_CTX's store but
 * is told to skip the name: it takes the name from the Host header and cuts
 * it at the first ':', which breaks IPv6 addresses, and its check cannot be
 * pointed at tls-server-name alone. kube_pf_tls_verify checks the name
 * instead. */
#include "kube/portforward_tls.h"

#include <limits.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/ossl.h"

/* Every certificate in the PEM bundle into store. */
static int add_ca_pem(X509_STORE *store, const char *pem, size_t len, util_err *err)
{
    BIO *b = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x;
    int n = 0, rc = 0;

    if (b == NULL)
        return util_ossl_fail(err, "certificate authority");
    while (rc == 0 && (x = PEM_read_bio_X509(b, NULL, util_ossl_no_password, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, x) != 1)
            rc = util_ossl_fail(err, "certificate authority");
        X509_free(x);
        n++;
    }
    ERR_clear_error();
    BIO_free(b);
    if (rc == 0 && n == 0)
        return util_err_set(err, "certificate authority: no PEM certificate found");
    return rc;
}

/* Makes the PEM certificate chain and key the ones ctx presents. */
static int use_cert_key(SSL_CTX *ctx, const char *cert, size_t cert_len, const char *key,
                        size_t key_len, util_err *err)
{
    BIO *cb = cert_len <= INT_MAX ? BIO_new_mem_buf(cert, (int)cert_len) : NULL;
    BIO *kb = key_len <= INT_MAX ? BIO_new_mem_buf(key, (int)key_len) : NULL;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = -1;

    if (cb == NULL || kb == NULL ||
        (x = PEM_read_bio_X509(cb, NULL, util_ossl_no_password, NULL)) == NULL ||
        SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_clear_chain_certs(ctx) != 1) {
        util_ossl_fail(err, "client certificate");
        goto out;
    }
    X509_free(x);
    while ((x = PEM_read_bio_X509(cb, NULL, util_ossl_no_password, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
            util_ossl_fail(err, "client certificate chain");
            goto out;
        }
    }
    ERR_clear_error();
    if ((k = PEM_read_bio_PrivateKey(kb, NULL, util_ossl_no_password, NULL)) == NULL ||
        SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        util_ossl_fail(err, "client key");
        goto out;
    }
    rc = 0;
out:
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

int kube_pf_tls_new(const kube_config *cfg, SSL_CTX **out, util_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int rc = 0;

    *out = NULL;
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        SSL_CTX_free(ctx);
        return util_ossl_fail(err, "TLS context");
    }
    if (cfg->ca_pem != NULL)
        rc = add_ca_pem(SSL_CTX_get_cert_store(ctx), cfg->ca_pem, cfg->ca_pem_len, err);
    else if (!cfg->insecure && SSL_CTX_set_default_verify_paths(ctx) != 1)
        rc = util_ossl_fail(err, "the system's certificate authorities");
    if (rc == 0 && cfg->cert_pem != NULL)
        rc = use_cert_key(ctx, cfg->cert_pem, cfg->cert_pem_len, cfg->key_pem, cfg->key_pem_len,
                          err);
    if (rc != 0) {
        SSL_CTX_free(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}

int kube_pf_tls_exec(const kube_config *cfg, SSL_CTX *ctx, unsigned long *serial, util_err *err)
{
    kube_exec_credential cred;
    unsigned long now;
    int rc = 0;

    if (cfg->exec == NULL)
        return 0;
    if (kube_exec_get(cfg->exec, &cred, &now, err) != 0)
        return -1;
    if (now != *serial && cred.cert_pem != NULL && ctx != NULL)
        rc = use_cert_key(ctx, cred.cert_pem, cred.cert_pem_len, cred.key_pem, cred.key_pem_len,
                          err);
    if (rc == 0)
        *serial = now;
    kube_exec_credential_clear(&cred);
    return rc == 0 ? 0 : util_err_prefix(err, "exec plugin");
}

/* Whether cert is for name. */
static bool cert_names(X509 *cert, const char *name)
{
    int r = X509_check_ip_asc(cert, name, 0);

    if (r == -2) /* not an IP address */
        r = X509_check_host(cert, name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
    ERR_clear_error();
    return r == 1;
}

int kube_pf_tls_verify(bool insecure, const char *name, X509_STORE_CTX *x, int preverify_ok,
                       char *why, size_t size)
{
    if (insecure) {
        X509_STORE_CTX_set_error(x, X509_V_OK);
        return 0;
    }
    if (!preverify_ok) {
        snprintf(why, size, "server certificate: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
        return 1;
    }
    if (X509_STORE_CTX_get_error_depth(x) == 0 &&
        !cert_names(X509_STORE_CTX_get_current_cert(x), name)) {
        X509_STORE_CTX_set_error(x, X509_V_ERR_HOSTNAME_MISMATCH);
        snprintf(why, size, "server certificate is not for %s", name);
        return 1;
    }
    return 0;
}
