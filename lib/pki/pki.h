/* The X.509 work of a cluster CA run by the operator: a CA per Kafka
 * cluster, a certificate per broker (server and client auth, for mutual TLS
 * between brokers) and client certificates for the operator and the
 * sidecar; and, for certificates read back from Secrets, what they say,
 * whether the current CA signed them and whether a key belongs to them.
 *
 * Keys are EC P-256; certificates are signed with SHA-256. All PEM strings
 * are NUL-terminated; the new ones returned are for free(). Functions
 * return 0, or -1 with err saying why (OpenSSL's reason included when it
 * has one). */
#ifndef BERTH_PKI_PKI_H
#define BERTH_PKI_PKI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* The longest DNS name (RFC 1035), in bytes. */
#define PKI_NAME_MAX 253
/* The longest common name or organization (RFC 5280 upper bounds), in
 * bytes. */
#define PKI_CN_MAX 64

/* What to certify. Every pointer is borrowed for the call only. */
typedef struct pki_request {
    const char *common_name;      /* subject CN, required, <= PKI_CN_MAX bytes */
    const char *organization;     /* subject O, or NULL for none; <= PKI_CN_MAX bytes */
    const char *const *dns_names; /* subjectAltName dNSName entries */
    size_t ndns;                  /* entries in dns_names */
    const char *const *ip_addrs;  /* subjectAltName iPAddress entries as text, IPv4 or IPv6 */
    size_t nips;                  /* entries in ip_addrs */
    bool server;                  /* extendedKeyUsage serverAuth */
    bool client;                  /* extendedKeyUsage clientAuth; neither: no extendedKeyUsage */
    long long not_before;         /* Unix seconds */
    long long not_after;
} pki_request;

/* A new EC P-256 key and a self-signed CA certificate (basicConstraints
 * critical CA:TRUE, pathlen 0; keyUsage critical keyCertSign, cRLSign;
 * subjectKeyIdentifier) with subject CN=common_name, valid from not_before
 * to not_after. On success *cert_pem and *key_pem are new strings; on
 * failure both are NULL. */
int pki_ca_new(const char *common_name, long long not_before, long long not_after, char **cert_pem,
               char **key_pem, util_err *err) UTIL_MUST_CHECK;

/* A new EC P-256 key and a certificate for req signed by the CA given as
 * PEM (cert + key). Leaf: basicConstraints critical CA:FALSE; keyUsage
 * critical digitalSignature, keyEncipherment; extendedKeyUsage and
 * subjectAltName per req (a request with an empty or over-long DNS name, or
 * an IP text that does not parse, is refused, naming it);
 * subject/authorityKeyIdentifier (the CA's key id, or its issuer and serial
 * for a CA without one); a random positive 128-bit serial. The key
 * is unencrypted PKCS#8 ("BEGIN PRIVATE KEY"), which Kafka's PEM key store
 * reads. On success *cert_pem and *key_pem are new strings; on failure
 * both are NULL. */
int pki_issue(const char *ca_cert_pem, const char *ca_key_pem, const pki_request *req,
              char **cert_pem, char **key_pem, util_err *err) UTIL_MUST_CHECK;

/* A new EC P-256 key and a self-signed certificate for req that is at once
 * a CA (CA:TRUE, pathlen 0; keyUsage adds keyCertSign, cRLSign) and a leaf
 * as pki_issue makes it: one certificate that is its own trust anchor, as a
 * test's TLS peer wants. The operator's CA comes from pki_ca_new. */
int pki_self_signed_new(const pki_request *req, char **cert_pem, char **key_pem,
                        util_err *err) UTIL_MUST_CHECK;

/* What a certificate says. Filled from untrusted bytes (a Secret anyone
 * with edit rights could change): every field is bounded. */
typedef struct pki_cert_info {
    long long not_before, not_after;  /* Unix seconds */
    char common_name[PKI_CN_MAX + 1]; /* the first subject CN; "" when none */
    bool is_ca;                       /* basicConstraints CA:TRUE */
    char **dns;                       /* SAN dNSNames, owned; each <= PKI_NAME_MAX bytes */
    size_t ndns;                      /* entries in dns */
    char **ips;                       /* SAN IPs as canonical text (inet_ntop), owned */
    size_t nips;                      /* entries in ips */
    char fingerprint[65];             /* SHA-256 of the DER, lower-case hex */
} pki_cert_info;

/* Parses the first certificate of pem[0..len) (other PEM blocks before it
 * are skipped). 0, or -1 with err saying why ("not a PEM certificate",
 * ...): a certificate OpenSSL marks invalid, or whose CN, dNSNames or
 * iPAddresses fall outside the bounds above, is refused. *out is always
 * reset first (not freed), and left empty on failure; a filled one is
 * emptied with pki_cert_info_clear. */
int pki_inspect(const char *pem, size_t len, pki_cert_info *out, util_err *err) UTIL_MUST_CHECK;

/* Frees what info owns and empties it for reuse. NULL-safe. */
void pki_cert_info_clear(pki_cert_info *info);

/* 0 when cert_pem's first certificate was issued and signed by
 * ca_cert_pem's certificate (its issuer name is the CA's subject and its
 * signature verifies with the CA's key); -1 with err saying why otherwise.
 * Does not check time. */
int pki_verify_issued_by(const char *cert_pem, const char *ca_cert_pem,
                         util_err *err) UTIL_MUST_CHECK;

/* 0 when key_pem is the private key of cert_pem's certificate; -1 with err
 * otherwise (also for unparsable input). An encrypted key is refused, never
 * prompted for. */
int pki_key_matches(const char *cert_pem, const char *key_pem, util_err *err) UTIL_MUST_CHECK;

/* What the cluster CA's checks need of a certificate, small enough to be
 * kept in its place for thousands of them (the operator's cache of its
 * Secrets): its times, a digest of its names, and its signature with the
 * digest of what it signs, so that whether a CA signed it is still checked
 * with the CA's key (pki_facts_issued_by). Strings are hex. */
#define PKI_SIG_MAX 1024 /* signature bytes kept: RSA keys up to 8192 bits */
#define PKI_MD_MAX  64   /* bytes of the largest digest */
typedef struct pki_cert_facts {
    long long not_before, not_after; /* Unix seconds */
    bool is_ca;
    bool key_matches;              /* the key given with it is its own */
    char names[33];                /* pki_names_digest of its SAN names */
    char issuer[33];               /* digest of its issuer name */
    char md[16];                   /* the signature's hash ("SHA256"); "" when not one
                                    * pki_facts_issued_by can check (Ed25519, RSA-PSS) */
    char tbs[2 * PKI_MD_MAX + 1];  /* that hash of the signed part */
    char sig[2 * PKI_SIG_MAX + 1]; /* the signature */
} pki_cert_facts;

/* The facts of the first certificate of cert_pem[0..len), and whether
 * key_pem (NULL: none, then key_matches is false) is its key. 0, or -1 with
 * err when the certificate is unreadable (as pki_inspect refuses it). */
int pki_facts(const char *cert_pem, size_t len, const char *key_pem, pki_cert_facts *out,
              util_err *err) UTIL_MUST_CHECK;

/* pki_verify_issued_by for a certificate known by its facts: 0 when
 * ca_cert_pem's subject is its issuer and the CA's key verifies its
 * signature; -1 with err saying why not (or that f->md is ""). */
int pki_facts_issued_by(const pki_cert_facts *f, const char *ca_cert_pem,
                        util_err *err) UTIL_MUST_CHECK;

/* The first 128 bits of the SHA-256 of b[0..n) as hex into out: the
 * digests of pki_cert_facts, and the operator's stubs of Secret values.
 * 0, or -1 when OpenSSL fails. */
int pki_digest(const void *b, size_t n, char out[33]) UTIL_MUST_CHECK;

/* A digest of a set of SAN names (order does not matter; the same name
 * twice is not the same set as once), as pki_facts computes it for a
 * certificate's, into out (hex). IP addresses as inet_ntop writes them.
 * 0, or -1 out of memory. */
int pki_names_digest(const char *const *dns, size_t ndns, const char *const *ips, size_t nips,
                     char out[33]) UTIL_MUST_CHECK;

/* The next certificate of a PEM bundle (a CA bundle, ca.crt): its block
 * from *p on, "-----BEGIN CERTIFICATE-----" through the END line, as its
 * start with *len its length, or NULL when no whole block is left; *p
 * moves past it. */
const char *pki_bundle_next(const char **p, size_t *len);

#endif
