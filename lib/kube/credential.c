/* The checks every credential berth hands the API passes, whether it came
 * from a kubeconfig, the pod's service account or an exec plugin (exec.c),
 * so all refuse the same things with the same words; and wiping secrets
 * before their memory is freed. */
#include "kube/credential.h"
#include "util/ossl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

void kube_cred_secret_free(char *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

/* The first certificate in a PEM buffer, or NULL. */
static X509 *pem_first_cert(const char *pem, size_t len)
{
    BIO *b;
    X509 *x;

    if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
        return NULL;
    x = PEM_read_bio_X509(b, NULL, util_ossl_no_password, NULL);
    BIO_free(b);
    ERR_clear_error();
    return x;
}

bool kube_cred_has_cert(const char *pem, size_t len)
{
    X509 *x = pem_first_cert(pem, len);

    X509_free(x);
    return x != NULL;
}

int kube_cred_check_pair(const char *cert, size_t cert_len, const char *key, size_t key_len,
                         util_err *err)
{
    X509 *x = pem_first_cert(cert, cert_len);
    EVP_PKEY *k = NULL;
    BIO *b = NULL;
    int rc = -1;

    if (x == NULL) {
        util_err_set(err, "no PEM certificate found");
        goto out;
    }
    if (key_len <= INT_MAX && (b = BIO_new_mem_buf(key, (int)key_len)) != NULL)
        k = PEM_read_bio_PrivateKey(b, NULL, util_ossl_no_password, NULL);
    if (k == NULL) {
        util_err_set(err, "no unencrypted PEM private key found");
        rc = -2;
        goto out;
    }
    if (X509_check_private_key(x, k) != 1) {
        util_err_set(err, "does not match the client certificate");
        rc = -2;
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_free(k);
    BIO_free(b);
    X509_free(x);
    ERR_clear_error();
    return rc;
}

int kube_cred_check_token(char *s, util_err *err)
{
    size_t start = 0, end = strlen(s);

    while (end > 0 &&
           (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r' || s[end - 1] == '\n'))
        end--;
    while (start < end &&
           (s[start] == ' ' || s[start] == '\t' || s[start] == '\r' || s[start] == '\n'))
        start++;
    if (start == end)
        return util_err_set(err, "empty");
    for (size_t i = start; i < end; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
            return util_err_set(err, "contains whitespace or control characters");
    memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return 0;
}
