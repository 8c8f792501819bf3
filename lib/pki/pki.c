/* The cluster CA's X.509 work; see pki.h.
 *
 * Certificates are made in one place (make_cert) for the three roles a
 * certificate plays here: the CA, a leaf (broker, operator, sidecar), and
 * both at once for a test's self-signed peer. Extensions are written in the
 * syntax of `openssl x509 -extfile`, so what a certificate carries reads
 * like its openssl command line; only subjectAltName is built by hand, from
 * names checked first, so no name can smuggle in another.
 *
 * Certificates read back come from Secrets that anyone with edit rights
 * could change: pki_inspect copies nothing unbounded, refuses what OpenSSL
 * itself marks invalid, and never prompts for a PEM password (OpenSSL's
 * default for an "ENCRYPTED" header is to read the terminal). */
#include "pki/pki.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/ossl.h"

#define SECS_PER_DAY 86400LL
/* The validity a certificate can state: 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59Z (GeneralizedTime has four year digits). */
#define TIME_MIN (-62135596800LL)
#define TIME_MAX 253402300799LL

/* What a certificate is for; the self-signed test peer is both. */
enum { ROLE_CA = 1, ROLE_LEAF = 2 };

/* ---- PEM ---- */

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

/* The first certificate in pem[0..len) (other PEM blocks before it are
 * skipped), for X509_free; NULL with err set. */
static X509 *read_cert(const char *pem, size_t len, util_err *err)
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

/* read_cert for a NUL-terminated pem; what names it in err
 * ("CA certificate: not a PEM certificate: no start line"). */
static X509 *read_cert_text(const char *pem, const char *what, util_err *err)
{
    X509 *x = read_cert(pem, pem != NULL ? strlen(pem) : 0, err);

    if (x == NULL)
        util_err_prefix(err, "%s", what);
    return x;
}

/* A certificate (*cert, for X509_free) and its private key (*key, for
 * EVP_PKEY_free) from NUL-terminated PEM; an encrypted key is refused.
 * who ("CA " or "") starts their names in err. -1 with both NULL when
 * either is unreadable or the key is not the certificate's. */
static int read_pair(const char *cert_pem, const char *key_pem, const char *who, X509 **cert,
                     EVP_PKEY **key, util_err *err)
{
    BIO *b;
    EVP_PKEY *pub;
    char what[32];

    snprintf(what, sizeof what, "%scertificate", who);
    *key = NULL;
    *cert = read_cert_text(cert_pem, what, err);
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

/* What was written to the memory BIO b, as a new NUL-terminated string;
 * NULL when out of memory. With wipe, b's buffer is zeroed after (it held
 * a private key). */
static char *bio_string(BIO *b, int wipe)
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
    long long days = secs / SECS_PER_DAY, rest = secs % SECS_PER_DAY;

    if (rest < 0) {
        rest += SECS_PER_DAY;
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
        *cert_pem = bio_string(cb, 0);
        *key_pem = bio_string(kb, 1);
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
    if (read_pair(ca_cert_pem, ca_key_pem, "CA ", &ca, &ca_key, err) < 0)
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
        *secs = (long long)days * SECS_PER_DAY + rest;
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
    t = malloc((size_t)n + 1);
    if (t == NULL) {
        util_err_set(err, "out of memory");
        return NULL;
    }
    memcpy(t, data, (size_t)n);
    t[n] = '\0';
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
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n, i;

    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
        return util_ossl_fail(err, "fingerprint");
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * n] = '\0';
    return 0;
}

int pki_inspect(const char *pem, size_t len, pki_cert_info *out, util_err *err)
{
    X509 *x;
    uint32_t flags;
    int rc = -1;

    memset(out, 0, sizeof *out);
    ERR_clear_error();
    x = read_cert(pem, len, err);
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
    cert = read_cert_text(cert_pem, "certificate", err);
    if (cert != NULL)
        ca = read_cert_text(ca_cert_pem, "CA certificate", err);
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
    if (read_pair(cert_pem, key_pem, "", &cert, &key, err) < 0)
        return -1;
    X509_free(cert);
    EVP_PKEY_free(key);
    return 0;
}
