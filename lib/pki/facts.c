/* Certificates known by their facts (see pki.h, pki_cert_facts): the
 * operator keeps these in place of the certificates of its Secrets and
 * still checks with the CA's key that the CA signed each. */
#include "pki/pki_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/ossl.h"
#include "util/str.h"

#define DIGEST_BYTES 16 /* of names and issuer: 128 bits tell sets apart */

int pki_digest(const void *b, size_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len;

    if (!EVP_Digest(b, n, md, &len, EVP_sha256(), NULL))
        return -1;
    util_hex(md, DIGEST_BYTES, out);
    return 0;
}

/* A digest of the DER of name into out. */
static int name_digest(const X509_NAME *name, char out[33], util_err *err)
{
    unsigned char *der = NULL;
    int n = i2d_X509_NAME(name, &der);
    int rc = n > 0 ? pki_digest(der, (size_t)n, out) : -1;

    OPENSSL_free(der);
    return rc == 0 ? 0 : util_ossl_fail(err, "certificate: issuer name");
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int pki_names_digest(const char *const *dns, size_t ndns, const char *const *ips, size_t nips,
                     char out[33])
{
    size_t n = ndns + nips, i, len = 0;
    const char **all = malloc((n + 1) * sizeof *all);
    unsigned char *text;
    char *p;
    int rc;

    if (all == NULL)
        return -1;
    /* "d:" and "i:" keep a DNS name apart from the same text as an IP. */
    for (i = 0; i < n; i++) {
        all[i] = i < ndns ? dns[i] : ips[i - ndns];
        len += strlen(all[i]) + 3;
    }
    text = malloc(len + 1);
    if (text == NULL) {
        free(all);
        return -1;
    }
    /* Sorted per kind, so order does not matter. */
    qsort(all, ndns, sizeof *all, cmp_text);
    qsort(all + ndns, nips, sizeof *all, cmp_text);
    p = (char *)text;
    for (i = 0; i < n; i++) {
        size_t l = strlen(all[i]);

        *p++ = i < ndns ? 'd' : 'i';
        *p++ = ':';
        memcpy(p, all[i], l);
        p += l;
        *p++ = '\0';
    }
    rc = pki_digest(text, (size_t)(p - (char *)text), out);
    free(text);
    free(all);
    return rc;
}

/* The signature's hash, the hash of the signed part and the signature of
 * x into out; md stays "" when the signature is not a hash signed by an EC
 * or RSA (PKCS #1 v1.5) key. */
static int get_signature(X509 *x, pki_cert_facts *out, util_err *err)
{
    const ASN1_BIT_STRING *sig = NULL;
    unsigned char *tbs = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen;
    const EVP_MD *type;
    int mdnid, pknid, n, rc = -1;

    if (!X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL) || mdnid == NID_undef ||
        (pknid != EVP_PKEY_EC && pknid != EVP_PKEY_RSA) ||
        (type = EVP_get_digestbynid(mdnid)) == NULL)
        return 0;
    X509_get0_signature(&sig, NULL, x);
    if (sig == NULL || ASN1_STRING_length(sig) <= 0 || ASN1_STRING_length(sig) > PKI_SIG_MAX)
        return 0;
    n = i2d_re_X509_tbs(x, &tbs);
    if (n > 0 && EVP_Digest(tbs, (size_t)n, md, &mdlen, type, NULL) && mdlen <= PKI_MD_MAX) {
        snprintf(out->md, sizeof out->md, "%s", OBJ_nid2sn(mdnid));
        util_hex(md, mdlen, out->tbs);
        util_hex(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), out->sig);
        rc = 0;
    }
    OPENSSL_free(tbs);
    return rc == 0 ? 0 : util_ossl_fail(err, "certificate: signed part");
}

int pki_facts(const char *cert_pem, size_t len, const char *key_pem, pki_cert_facts *out,
              util_err *err)
{
    pki_cert_info info;
    X509 *x;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (pki_inspect(cert_pem, len, &info, err) != 0)
        return -1;
    out->not_before = info.not_before;
    out->not_after = info.not_after;
    out->is_ca = info.is_ca;
    if (pki_names_digest((const char *const *)info.dns, info.ndns, (const char *const *)info.ips,
                         info.nips, out->names) != 0) {
        pki_cert_info_clear(&info);
        return util_err_set(err, "out of memory");
    }
    pki_cert_info_clear(&info);
    ERR_clear_error();
    x = pki_read_cert(cert_pem, len, err);
    if (x != NULL && name_digest(X509_get_issuer_name(x), out->issuer, err) == 0 &&
        get_signature(x, out, err) == 0)
        rc = 0;
    X509_free(x);
    ERR_clear_error();
    if (rc == 0 && key_pem != NULL) {
        char *cert = util_strndup(cert_pem, len);

        out->key_matches = cert != NULL && pki_key_matches(cert, key_pem, NULL) == 0;
        free(cert);
    }
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

/* Whether ca_pub signed the hash tbs[0..tbslen) of type into sig. */
static bool signed_by(EVP_PKEY *ca_pub, const EVP_MD *type, const unsigned char *tbs, size_t tbslen,
                      const unsigned char *sig, size_t siglen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ca_pub, NULL);
    bool ok = ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
              EVP_PKEY_CTX_set_signature_md(ctx, type) > 0 &&
              EVP_PKEY_verify(ctx, sig, siglen, tbs, tbslen) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

int pki_facts_issued_by(const pki_cert_facts *f, const char *ca_cert_pem, util_err *err)
{
    unsigned char tbs[PKI_MD_MAX], *sig = malloc(PKI_SIG_MAX);
    char subject[33];
    const EVP_MD *type = f->md[0] != '\0' ? EVP_get_digestbyname(f->md) : NULL;
    long tbslen = util_unhex(f->tbs, tbs, sizeof tbs);
    long siglen = sig != NULL ? util_unhex(f->sig, sig, PKI_SIG_MAX) : -1;
    X509 *ca = NULL;
    int rc = -1;

    ERR_clear_error();
    if (sig == NULL)
        util_err_set(err, "out of memory");
    else if (type == NULL || tbslen <= 0 || siglen <= 0)
        util_err_set(err, "certificate: its signature cannot be checked from its facts");
    else if ((ca = pki_read_cert_text(ca_cert_pem, "CA certificate", err)) == NULL)
        ;
    else if (name_digest(X509_get_subject_name(ca), subject, err) != 0)
        ;
    else if (strcmp(subject, f->issuer) != 0)
        util_err_set(err, "certificate: issued by another name than the CA's");
    else if (!signed_by(X509_get0_pubkey(ca), type, tbs, (size_t)tbslen, sig, (size_t)siglen))
        util_ossl_fail(err, "certificate: signature does not verify with the CA's key");
    else
        rc = 0;
    X509_free(ca);
    free(sig);
    ERR_clear_error();
    return rc;
}
