/* Making certificates for the cluster CA; see pki.h.
 *
 * Certificates are made in one place (make_cert) for the three roles a
 * certificate plays here: the CA, a leaf (broker, operator, sidecar), and
 * both at once for a test's self-signed peer. Extensions are written in the
 * syntax of `openssl x509 -extfile`, so what a certificate carries reads
 * like its openssl command line; only subjectAltName is built by hand, from
 * names checked first, so no name can smuggle in another. */
#include "pki/pki_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/ossl.h"

/* The validity a certificate can state: 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59Z (GeneralizedTime has four year digits). */
#define TIME_MIN (-62135596800LL)
#define TIME_MAX 253402300799LL

/* What a certificate is for; the self-signed test peer is both. */
enum { ROLE_CA = 1, ROLE_LEAF = 2 };

/* ---- the request ---- */

/* A DNS name as it may stand in a certificate: 1 to PKI_NAME_MAX bytes of
 * letters, digits, '-', '.', '_' and '*' (for a wildcard). */
static int check_dns_name(const char *name, size_t i, util_err *err)
{
    size_t n = name != NULL ? strlen(name) : 0;

    if (n == 0)
        return util_err_set(err, "DNS name %zu is empty", i + 1);
    if (n > PKI_NAME_MAX)
        return util_err_set(err, "DNS name '%.40s...' is longer than %d bytes", name, PKI_NAME_MAX);
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*") != n)
        return util_err_set(err, "DNS name '%s' holds a character DNS names cannot", name);
    return 0;
}

/* The bytes of an IPv4 or IPv6 address text into out, their count (4 or
 * 16) into *len; 0 when text is neither. */
static int parse_ip(const char *text, unsigned char out[16], size_t *len)
{
    if (text != NULL && inet_pton(AF_INET, text, out) == 1) {
        *len = 4;
        return 1;
    }
    if (text != NULL && inet_pton(AF_INET6, text, out) == 1) {
        *len = 16;
        return 1;
    }
    return 0;
}

/* A subject attribute (what: "common name") of 1 to PKI_CN_MAX bytes. */
static int check_attr(const char *what, const char *value, util_err *err)
{
    if (value == NULL || value[0] == '\0')
        return util_err_set(err, "%s is required", what);
    if (strlen(value) > PKI_CN_MAX)
        return util_err_set(err, "%s '%.40s...' is longer than %d bytes", what, value, PKI_CN_MAX);
    return 0;
}

/* Refuses a request that would make a bad certificate, naming what is
 * wrong, before any key is made. */
static int check_request(const pki_request *req, util_err *err)
{
    unsigned char ip[16];
    size_t i, n;

    if (check_attr("common name", req->common_name, err) < 0)
        return -1;
    if (req->organization != NULL && check_attr("organization", req->organization, err) < 0)
        return -1;
    for (i = 0; i < req->ndns; i++)
        if (check_dns_name(req->dns_names != NULL ? req->dns_names[i] : NULL, i, err) < 0)
            return -1;
    for (i = 0; i < req->nips; i++) {
        const char *text = req->ip_addrs != NULL ? req->ip_addrs[i] : NULL;
        if (!parse_ip(text, ip, &n))
            return util_err_set(err, "IP address '%.64s' is not IPv4 or IPv6",
                                text != NULL ? text : "(null)");
    }
    if (req->not_before < TIME_MIN || req->not_after > TIME_MAX)
        return util_err_set(err, "validity %lld to %lld: outside years 1 to 9999", req->not_before,
                            req->not_after);
    if (req->not_after < req->not_before)
        return util_err_set(err, "validity: not_after %lld is before not_before %lld",
                            req->not_after, req->not_before);
    return 0;
}

/* ---- making a certificate ---- */

/* Sets t to Unix time secs, counted from the epoch in whole days and
 * seconds as ASN1_TIME_adj takes them: no time_t arithmetic and no time
 * zone. UTCTime up to 2049, GeneralizedTime after, as RFC 5280 wants. */
static int set_time(ASN1_TIME *t, long long secs)
{
    long long days = secs / PKI_SECS_PER_DAY, rest = secs % PKI_SECS_PER_DAY;

    if (rest < 0) {
        rest += PKI_SECS_PER_DAY;
        days--;
    }
    return ASN1_TIME_adj(t, 0, (int)days, (long)rest) != NULL;
}

/* A random positive serial of exactly 128 bits (the top bit set). */
static int set_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = bn != NULL && BN_rand(bn, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

    BN_free(bn);
    return ok;
}

/* Subject O (if any) and CN from req; issuer from issuer, or the subject
 * itself when self-signed. */
static int set_names(X509 *x, X509 *issuer, const pki_request *req)
{
    X509_NAME *name = X509_get_subject_name(x);

    if (req->organization != NULL &&
        !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                    (const unsigned char *)req->organization, -1, -1, 0))
        return 0;
    if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                    (const unsigned char *)req->common_name, -1, -1, 0))
        return 0;
    return X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
}

/* Adds the extension nid = value (`openssl x509 -extfile` syntax) to x. */
static int add_ext(X509V3_CTX *ctx, X509 *x, int nid, const char *value, util_err *err)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1);

    X509_EXTENSION_free(ext);
    return ok ? 0 : util_ossl_fail(err, "%s '%s'", OBJ_nid2ln(nid), value);
}

/* Appends to names a GENERAL_NAME of type GEN_DNS or GEN_IPADD holding
 * data[0..len). */
static int push_name(GENERAL_NAMES *names, int type, const void *data, size_t len)
{
    ASN1_STRING *s = ASN1_STRING_type_new(type == GEN_DNS ? V_ASN1_IA5STRING : V_ASN1_OCTET_STRING);
    GENERAL_NAME *g = GENERAL_NAME_new();

    if (s == NULL || g == NULL || !ASN1_STRING_set(s, data, (int)len)) {
        ASN1_STRING_free(s);
        GENERAL_NAME_free(g);
        return 0;
    }
    GENERAL_NAME_set0_value(g, type, s);
    if (!sk_GENERAL_NAME_push(names, g)) {
        GENERAL_NAME_free(g);
        return 0;
    }
    return 1;
}

/* The subjectAltName of req's DNS names and IPs (checked before), if it
 * has any. */
static int add_san(X509 *x, const pki_request *req, util_err *err)
{
    GENERAL_NAMES *names;
    unsigned char ip[16];
    size_t i, n;
    int ok;

    if (req->ndns == 0 && req->nips == 0)
        return 0;
    names = sk_GENERAL_NAME_new_null();
    ok = names != NULL;
    for (i = 0; ok && i < req->ndns; i++)
        ok = push_name(names, GEN_DNS, req->dns_names[i], strlen(req->dns_names[i]));
    for (i = 0; ok && i < req->nips; i++)
        ok = parse_ip(req->ip_addrs[i], ip, &n) && push_name(names, GEN_IPADD, ip, n);
    ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_APPEND) == 1;
    GENERAL_NAMES_free(names);
    return ok ? 0 : util_ossl_fail(err, "subjectAltName");
}

/* The extensions of role: basicConstraints, keyUsage, extendedKeyUsage and
 * subjectAltName per req (leaves), the key identifiers. */
static int add_extensions(X509 *x, X509 *issuer, const pki_request *req, int role, util_err *err)
{
    static const char *const usage[] = {
        [ROLE_CA] = "critical,keyCertSign,cRLSign",
        [ROLE_LEAF] = "critical,digitalSignature,keyEncipherment",
        [ROLE_CA | ROLE_LEAF] = "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign",
    };
    static const char *const eku[] = {NULL, "clientAuth", "serverAuth", "serverAuth,clientAuth"};
    const char *purposes = role & ROLE_LEAF ? eku[req->server * 2 + req->client] : NULL;
    X509V3_CTX ctx;

    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (add_ext(&ctx, x, NID_basic_constraints,
                role & ROLE_CA ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE", err) < 0 ||
        add_ext(&ctx, x, NID_key_usage, usage[role], err) < 0 ||
        (purposes != NULL && add_ext(&ctx, x, NID_ext_key_usage, purposes, err) < 0) ||
        add_ext(&ctx, x, NID_subject_key_identifier, "hash", err) < 0 ||
        (issuer != NULL &&
         add_ext(&ctx, x, NID_authority_key_identifier, "keyid,issuer", err) < 0) ||
        ((role & ROLE_LEAF) && add_san(x, req, err) < 0))
        return -1;
    return 0;
}

/* *cert_pem and *key_pem (unencrypted PKCS#8) as new strings. */
static int write_pem(X509 *x, EVP_PKEY *key, char **cert_pem, char **key_pem, util_err *err)
{
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    int rc = -1;

    if (cb == NULL || kb == NULL || !PEM_write_bio_X509(cb, x) ||
        !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL)) {
        util_ossl_fail(err, "writing PEM");
    } else {
        *cert_pem = pki_bio_string(cb, 0);
        *key_pem = pki_bio_string(kb, 1);
        if (*cert_pem != NULL && *key_pem != NULL) {
            rc = 0;
        } else {
            free(*cert_pem);
            free(*key_pem);
            *cert_pem = *key_pem = NULL;
            util_err_set(err, "writing PEM: out of memory");
        }
    }
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

/* Fills x for req: version, serial, public key, names, validity and the
 * extensions of role. */
static int fill_cert(X509 *x, EVP_PKEY *key, X509 *issuer, const pki_request *req, int role,
                     util_err *err)
{
    if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) || !X509_set_pubkey(x, key) ||
        !set_names(x, issuer, req))
        return util_ossl_fail(err, "certificate '%s'", req->common_name);
    if (!set_time(X509_getm_notBefore(x), req->not_before) ||
        !set_time(X509_getm_notAfter(x), req->not_after))
        return util_ossl_fail(err, "validity %lld to %lld", req->not_before, req->not_after);
    return add_extensions(x, issuer, req, role, err);
}

/* A new P-256 key and a certificate of role for req, signed by issuer_key
 * as issuer; both NULL: self-signed by the new key. The one place
 * certificates are made. */
static int make_cert(X509 *issuer, EVP_PKEY *issuer_key, const pki_request *req, int role,
                     char **cert_pem, char **key_pem, util_err *err)
{
    EVP_PKEY *key;
    X509 *x;
    int rc;

    if (check_request(req, err) < 0)
        return -1;
    key = EVP_EC_gen("P-256");
    x = X509_new();
    if (key == NULL || x == NULL)
        rc = util_ossl_fail(err, "making a P-256 key");
    else
        rc = fill_cert(x, key, issuer, req, role, err);
    if (rc == 0 && X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) == 0)
        rc = util_ossl_fail(err, "signing '%s'", req->common_name);
    if (rc == 0)
        rc = write_pem(x, key, cert_pem, key_pem, err);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

int pki_ca_new(const char *common_name, long long not_before, long long not_after, char **cert_pem,
               char **key_pem, util_err *err)
{
    pki_request req = {
        .common_name = common_name, .not_before = not_before, .not_after = not_after};

    *cert_pem = *key_pem = NULL;
    ERR_clear_error();
    return make_cert(NULL, NULL, &req, ROLE_CA, cert_pem, key_pem, err);
}

int pki_self_signed_new(const pki_request *req, char **cert_pem, char **key_pem, util_err *err)
{
    *cert_pem = *key_pem = NULL;
    ERR_clear_error();
    return make_cert(NULL, NULL, req, ROLE_CA | ROLE_LEAF, cert_pem, key_pem, err);
}

int pki_issue(const char *ca_cert_pem, const char *ca_key_pem, const pki_request *req,
              char **cert_pem, char **key_pem, util_err *err)
{
    X509 *ca;
    EVP_PKEY *ca_key;
    int rc = -1;

    *cert_pem = *key_pem = NULL;
    ERR_clear_error();
    if (pki_read_pair(ca_cert_pem, ca_key_pem, "CA ", &ca, &ca_key, err) < 0)
        return -1;
    if (X509_check_ca(ca) != 1)
        util_err_set(err, "CA certificate: not a CA (basicConstraints CA:TRUE, keyCertSign)");
    else
        rc = make_cert(ca, ca_key, req, ROLE_LEAF, cert_pem, key_pem, err);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    ERR_clear_error();
    return rc;
}
