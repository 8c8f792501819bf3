/* Reading certificates back for the cluster CA; see pki.h: what a
 * certificate says, whether the current CA signed it, whether a key is
 * its own. Certificates read back come from Secrets that anyone with edit
 * rights could change: pki_inspect copies nothing unbounded and refuses
 * what OpenSSL itself marks invalid. */
#include "pki/pki_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/ossl.h"
#include "util/str.h"

/* ---- reading a certificate ---- */

/* Unix seconds of t: whole days and seconds since the epoch as
 * ASN1_TIME_diff counts them from t's fields, with no time zone and no
 * time_t. */
static int get_time(const ASN1_TIME *t, long long *secs)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days, rest;
    int ok = epoch != NULL && t != NULL && ASN1_TIME_diff(&days, &rest, epoch, t);

    ASN1_TIME_free(epoch);
    if (ok)
        *secs = (long long)days * PKI_SECS_PER_DAY + rest;
    return ok;
}

/* The first subject CN as UTF-8 into out ("" when there is none); refused
 * when longer than PKI_CN_MAX bytes or holding a NUL. */
static int get_common_name(X509 *x, char out[PKI_CN_MAX + 1], util_err *err)
{
    X509_NAME *name = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    int n;

    out[0] = '\0';
    if (i < 0)
        return 0;
    n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n < 0)
        return util_ossl_fail(err, "subject common name");
    if (n > PKI_CN_MAX || memchr(utf8, '\0', (size_t)n) != NULL) {
        OPENSSL_free(utf8);
        return util_err_set(err, "subject common name: over %d bytes or holding a NUL", PKI_CN_MAX);
    }
    memcpy(out, utf8, (size_t)n);
    out[n] = '\0';
    OPENSSL_free(utf8);
    return 0;
}

/* A SAN dNSName as a new string: 1 to PKI_NAME_MAX printable ASCII bytes;
 * NULL with err set otherwise or when out of memory. */
static char *dns_text(const ASN1_IA5STRING *s, util_err *err)
{
    const unsigned char *data = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s), i;
    char *t;

    if (n < 1 || n > PKI_NAME_MAX) {
        util_err_set(err, "subjectAltName: a dNSName of %d bytes", n);
        return NULL;
    }
    for (i = 0; i < n; i++)
        if (data[i] <= ' ' || data[i] > '~') {
            util_err_set(err, "subjectAltName: a dNSName with byte 0x%02x", data[i]);
            return NULL;
        }
    t = util_strndup((const char *)data, (size_t)n);
    if (t == NULL)
        util_err_set(err, "out of memory");
    return t;
}

/* A SAN iPAddress as a new string in inet_ntop's canonical text; NULL with
 * err set for a length other than 4 or 16 or when out of memory. */
static char *ip_text(const ASN1_OCTET_STRING *s, util_err *err)
{
    char buf[INET6_ADDRSTRLEN];
    int n = ASN1_STRING_length(s);
    char *t;

    if ((n != 4 && n != 16) ||
        inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), buf, sizeof buf) == NULL) {
        util_err_set(err, "subjectAltName: an iPAddress of %d bytes", n);
        return NULL;
    }
    t = strdup(buf);
    if (t == NULL)
        util_err_set(err, "out of memory");
    return t;
}

/* The SAN dNSNames and iPAddresses into out; other kinds of name are
 * passed over. */
static int get_san(X509 *x, pki_cert_info *out, util_err *err)
{
    int crit, i, n;
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    int rc = 0;

    if (names == NULL) {
        if (crit == -1)
            return 0;
        return util_ossl_fail(err, "subjectAltName: %s",
                              crit == -2 ? "more than one" : "unreadable");
    }
    n = sk_GENERAL_NAME_num(names);
    out->dns = calloc((size_t)n + 1, sizeof *out->dns);
    out->ips = calloc((size_t)n + 1, sizeof *out->ips);
    if (out->dns == NULL || out->ips == NULL)
        rc = util_err_set(err, "out of memory");
    for (i = 0; rc == 0 && i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        char *t;

        if (g->type != GEN_DNS && g->type != GEN_IPADD)
            continue;
        t = g->type == GEN_DNS ? dns_text(g->d.dNSName, err) : ip_text(g->d.iPAddress, err);
        if (t == NULL)
            rc = -1;
        else if (g->type == GEN_DNS)
            out->dns[out->ndns++] = t;
        else
            out->ips[out->nips++] = t;
    }
    GENERAL_NAMES_free(names);
    return rc;
}

/* The SHA-256 of x's DER as lower-case hex. */
static int get_fingerprint(X509 *x, char out[65], util_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n;

    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
        return util_ossl_fail(err, "fingerprint");
    util_hex(md, n, out);
    return 0;
}

int pki_inspect(const char *pem, size_t len, pki_cert_info *out, util_err *err)
{
    X509 *x;
    uint32_t flags;
    int rc = -1;

    memset(out, 0, sizeof *out);
    ERR_clear_error();
    x = pki_read_cert(pem, len, err);
    if (x == NULL)
        return -1;
    /* OpenSSL marks a certificate whose extensions it cannot read, or
     * which holds one twice; TLS would refuse it too. */
    flags = X509_get_extension_flags(x);
    if (flags & EXFLAG_INVALID)
        util_ossl_fail(err, "certificate: invalid extensions");
    else if (!get_time(X509_get0_notBefore(x), &out->not_before))
        util_ossl_fail(err, "certificate: notBefore");
    else if (!get_time(X509_get0_notAfter(x), &out->not_after))
        util_ossl_fail(err, "certificate: notAfter");
    else if (get_common_name(x, out->common_name, err) == 0 && get_san(x, out, err) == 0 &&
             get_fingerprint(x, out->fingerprint, err) == 0)
        rc = 0;
    out->is_ca = (flags & EXFLAG_CA) != 0;
    X509_free(x);
    ERR_clear_error();
    if (rc < 0)
        pki_cert_info_clear(out);
    return rc;
}

void pki_cert_info_clear(pki_cert_info *info)
{
    size_t i;

    if (info == NULL)
        return;
    for (i = 0; i < info->ndns; i++)
        free(info->dns[i]);
    for (i = 0; i < info->nips; i++)
        free(info->ips[i]);
    free(info->dns);
    free(info->ips);
    memset(info, 0, sizeof *info);
}

/* ---- checking a certificate against a CA or a key ---- */

/* 0 when ca's subject is cert's issuer and ca's key verifies cert's
 * signature; -1 with err saying which is not so. */
static int issued_by(X509 *cert, X509 *ca, util_err *err)
{
    EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
    char issuer[256], subject[256];

    if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)) != 0) {
        X509_NAME_oneline(X509_get_issuer_name(cert), issuer, sizeof issuer);
        X509_NAME_oneline(X509_get_subject_name(ca), subject, sizeof subject);
        return util_err_set(err, "certificate: issued by '%s', not by the CA '%s'", issuer,
                            subject);
    }
    if (ca_pub == NULL || X509_verify(cert, ca_pub) != 1)
        return util_ossl_fail(err, "certificate: signature does not verify with the CA's key");
    return 0;
}

int pki_verify_issued_by(const char *cert_pem, const char *ca_cert_pem, util_err *err)
{
    X509 *cert, *ca = NULL;
    int rc = -1;

    ERR_clear_error();
    cert = pki_read_cert_text(cert_pem, "certificate", err);
    if (cert != NULL)
        ca = pki_read_cert_text(ca_cert_pem, "CA certificate", err);
    if (ca != NULL)
        rc = issued_by(cert, ca, err);
    X509_free(cert);
    X509_free(ca);
    ERR_clear_error();
    return rc;
}

int pki_key_matches(const char *cert_pem, const char *key_pem, util_err *err)
{
    X509 *cert;
    EVP_PKEY *key;

    ERR_clear_error();
    if (pki_read_pair(cert_pem, key_pem, "", &cert, &key, err) < 0)
        return -1;
    X509_free(cert);
    EVP_PKEY_free(key);
    return 0;
}
