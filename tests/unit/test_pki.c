/* The cluster CA: certificates made by lib/pki read back as they were
 * asked for, are accepted by OpenSSL's own chain, name and purpose checks
 * (what a TLS peer will do with them), are told apart from another CA's
 * and another key; bad requests and bad PEM are refused with a message
 * that names the problem. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

#define DAY 86400LL

static const char *const broker_dns[] = {"demo-0.demo-brokers.kafka.svc.cluster.local",
                                         "demo-0.demo-brokers"};
/* The IPv6 one is written long-hand; it reads back canonical. */
static const char *const broker_ips[] = {"10.1.2.3", "2001:DB8:0:0::1"};

/* A CA and a broker certificate from it, made once per test (forked). */
static long long now;
static char *ca_cert, *ca_key, *cert, *key;

static pki_request broker_request(void)
{
    pki_request r = {.common_name = "demo-0",
                     .dns_names = broker_dns,
                     .ndns = 2,
                     .ip_addrs = broker_ips,
                     .nips = 2,
                     .server = true,
                     .client = true,
                     .not_before = now - 60,
                     .not_after = now + 30 * DAY};
    return r;
}

static void setup(void)
{
    pki_request r;
    util_err err = {{0}};

    now = (long long)time(NULL);
    r = broker_request();
    ck_assert_msg(pki_ca_new("demo CA", now - 60, now + 365 * DAY, &ca_cert, &ca_key, &err) == 0,
                  "%s", err.msg);
    ck_assert_msg(pki_issue(ca_cert, ca_key, &r, &cert, &key, &err) == 0, "%s", err.msg);
}

static void teardown(void)
{
    free(ca_cert);
    free(ca_key);
    free(cert);
    free(key);
}

static X509 *parse(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

    BIO_free(b);
    ck_assert_ptr_nonnull(x);
    return x;
}

/* Whether OpenSSL verifies leaf_pem up to a store holding ca_pem, with
 * host (when not NULL) or ip (when not NULL) as the name TLS checks. */
static int openssl_verifies(const char *leaf_pem, const char *ca_pem, const char *host,
                            const char *ip)
{
    X509 *leaf = parse(leaf_pem), *ca = parse(ca_pem);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_VERIFY_PARAM *param;
    int ok;

    ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
    ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
    param = X509_STORE_CTX_get0_param(ctx);
    if (host != NULL)
        ck_assert_int_eq(X509_VERIFY_PARAM_set1_host(param, host, 0), 1);
    if (ip != NULL)
        ck_assert_int_eq(X509_VERIFY_PARAM_set1_ip_asc(param, ip), 1);
    ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
    return ok;
}

static int is_hex64(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

START_TEST(a_ca_reads_back_as_made)
{
    pki_cert_info info;
    util_err err = {{0}};

    ck_assert_msg(pki_inspect(ca_cert, strlen(ca_cert), &info, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(info.common_name, "demo CA");
    ck_assert(info.is_ca);
    ck_assert_int_eq(info.not_before, now - 60);
    ck_assert_int_eq(info.not_after, now + 365 * DAY);
    ck_assert_uint_eq(info.ndns, 0);
    ck_assert_uint_eq(info.nips, 0);
    ck_assert(is_hex64(info.fingerprint));
    pki_cert_info_clear(&info);
    ck_assert(strstr(ca_key, "-----BEGIN PRIVATE KEY-----") == ca_key);
}
END_TEST

START_TEST(an_issued_certificate_reads_back_as_requested)
{
    pki_cert_info info, again, ca;
    util_err err = {{0}};

    ck_assert_msg(pki_inspect(cert, strlen(cert), &info, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(info.common_name, "demo-0");
    ck_assert(!info.is_ca);
    ck_assert_int_eq(info.not_before, now - 60);
    ck_assert_int_eq(info.not_after, now + 30 * DAY);
    ck_assert_uint_eq(info.ndns, 2);
    ck_assert_str_eq(info.dns[0], broker_dns[0]);
    ck_assert_str_eq(info.dns[1], broker_dns[1]);
    ck_assert_uint_eq(info.nips, 2);
    ck_assert_str_eq(info.ips[0], "10.1.2.3");
    ck_assert_str_eq(info.ips[1], "2001:db8::1");
    /* Kafka's PEM key store reads unencrypted PKCS#8. */
    ck_assert(strstr(key, "-----BEGIN PRIVATE KEY-----") == key);

    /* The fingerprint is the certificate's: the same each time, another
     * for another certificate. */
    ck_assert(is_hex64(info.fingerprint));
    ck_assert_int_eq(pki_inspect(cert, strlen(cert), &again, &err), 0);
    ck_assert_str_eq(again.fingerprint, info.fingerprint);
    ck_assert_int_eq(pki_inspect(ca_cert, strlen(ca_cert), &ca, &err), 0);
    ck_assert_str_ne(ca.fingerprint, info.fingerprint);
    pki_cert_info_clear(&info);
    pki_cert_info_clear(&again);
    pki_cert_info_clear(&ca);
    pki_cert_info_clear(NULL);
}
END_TEST

START_TEST(times_far_from_now_read_back_exactly)
{
    /* Before 1970 (negative), and after 2049 (GeneralizedTime). */
    long long from = -400 * DAY - 7, to = 4102444800LL + 59;
    char *c, *k;
    pki_cert_info info;
    util_err err = {{0}};

    ck_assert_msg(pki_ca_new("old CA", from, to, &c, &k, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(pki_inspect(c, strlen(c), &info, &err), 0);
    ck_assert_int_eq(info.not_before, from);
    ck_assert_int_eq(info.not_after, to);
    pki_cert_info_clear(&info);
    free(c);
    free(k);
}
END_TEST

START_TEST(issued_by_its_ca_and_no_other)
{
    char *other_cert, *other_key, *twin_cert, *twin_key;
    util_err err = {{0}};

    ck_assert_msg(pki_verify_issued_by(cert, ca_cert, &err) == 0, "%s", err.msg);
    /* A CA of another name. */
    ck_assert_int_eq(pki_ca_new("other CA", now, now + DAY, &other_cert, &other_key, &err), 0);
    ck_assert_int_eq(pki_verify_issued_by(cert, other_cert, &err), -1);
    ck_assert_str_eq(err.msg, "certificate: issued by '/CN=demo CA', not by the CA '/CN=other CA'");
    /* A CA of the same name (one made anew): only the signature tells. */
    ck_assert_int_eq(pki_ca_new("demo CA", now, now + DAY, &twin_cert, &twin_key, &err), 0);
    ck_assert_int_eq(pki_verify_issued_by(cert, twin_cert, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate: signature does not verify with the CA's key") ==
                      err.msg,
                  "%s", err.msg);
    ck_assert_int_eq(pki_verify_issued_by("garbage", ca_cert, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate: not a PEM certificate") == err.msg, "%s", err.msg);
    ck_assert_int_eq(pki_verify_issued_by(cert, NULL, &err), -1);
    ck_assert_str_eq(err.msg, "CA certificate: missing");
    free(other_cert);
    free(other_key);
    free(twin_cert);
    free(twin_key);
}
END_TEST

START_TEST(a_key_matches_its_certificate_only)
{
    util_err err = {{0}};

    ck_assert_msg(pki_key_matches(cert, key, &err) == 0, "%s", err.msg);
    ck_assert_msg(pki_key_matches(ca_cert, ca_key, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(pki_key_matches(cert, ca_key, &err), -1);
    ck_assert_str_eq(err.msg, "key: not the key of the certificate");
    ck_assert_int_eq(pki_key_matches(cert, "not a key", &err), -1);
    ck_assert_msg(strstr(err.msg, "key: not an unencrypted PEM private key") == err.msg, "%s",
                  err.msg);
    ck_assert_int_eq(pki_key_matches(key, key, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate: not a PEM certificate") == err.msg, "%s", err.msg);
}
END_TEST

/* A certificate known by its facts passes and fails the same checks as
 * the certificate itself: its times and names, its key, and whether a CA
 * signed it (a CA of the same name but another key included). */
START_TEST(facts_tell_what_the_certificate_tells)
{
    static const char *const dns_shuffled[] = {"demo-0.demo-brokers",
                                               "demo-0.demo-brokers.kafka.svc.cluster.local"};
    static const char *const ips_canonical[] = {"2001:db8::1", "10.1.2.3"};
    char *twin_cert, *twin_key, *other_cert, *other_key, digest[33];
    pki_cert_facts f, ca_f, bad;
    pki_cert_info info;
    util_err err = {{0}};

    ck_assert_msg(pki_facts(cert, strlen(cert), key, &f, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(pki_inspect(cert, strlen(cert), &info, &err), 0);
    ck_assert_int_eq(f.not_before, info.not_before);
    ck_assert_int_eq(f.not_after, info.not_after);
    ck_assert(!f.is_ca);
    ck_assert(f.key_matches);
    ck_assert_str_eq(f.md, "SHA256");
    pki_cert_info_clear(&info);
    /* The names: in any order, IPs as they read back. */
    ck_assert_int_eq(pki_names_digest(dns_shuffled, 2, ips_canonical, 2, digest), 0);
    ck_assert_str_eq(digest, f.names);
    ck_assert_int_eq(pki_names_digest(dns_shuffled, 1, ips_canonical, 2, digest), 0);
    ck_assert_str_ne(digest, f.names);
    ck_assert_int_eq(pki_names_digest(dns_shuffled, 2, ips_canonical, 1, digest), 0);
    ck_assert_str_ne(digest, f.names);
    /* A DNS name is not the same text as an IP address. */
    ck_assert_int_eq(pki_names_digest(ips_canonical, 1, NULL, 0, digest), 0);
    {
        char as_ip[33];

        ck_assert_int_eq(pki_names_digest(NULL, 0, ips_canonical, 1, as_ip), 0);
        ck_assert_str_ne(digest, as_ip);
    }
    /* Its key, another key, no key. */
    ck_assert_int_eq(pki_facts(cert, strlen(cert), ca_key, &bad, &err), 0);
    ck_assert(!bad.key_matches);
    ck_assert_int_eq(pki_facts(cert, strlen(cert), NULL, &bad, &err), 0);
    ck_assert(!bad.key_matches);
    ck_assert_int_eq(pki_facts(ca_cert, strlen(ca_cert), ca_key, &ca_f, &err), 0);
    ck_assert(ca_f.is_ca);

    /* Signed by its CA; not by a CA of another name, nor by one of the
     * same name with another key. */
    ck_assert_msg(pki_facts_issued_by(&f, ca_cert, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(pki_ca_new("other CA", now, now + DAY, &other_cert, &other_key, &err), 0);
    ck_assert_int_eq(pki_facts_issued_by(&f, other_cert, &err), -1);
    ck_assert_str_eq(err.msg, "certificate: issued by another name than the CA's");
    ck_assert_int_eq(pki_ca_new("demo CA", now, now + DAY, &twin_cert, &twin_key, &err), 0);
    ck_assert_int_eq(pki_facts_issued_by(&f, twin_cert, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate: signature does not verify with the CA's key") ==
                      err.msg,
                  "%s", err.msg);
    /* Facts changed after the fact: another signed part, a damaged
     * signature, a hash it cannot check. */
    bad = f;
    bad.tbs[0] = bad.tbs[0] == '0' ? '1' : '0';
    ck_assert_int_eq(pki_facts_issued_by(&bad, ca_cert, &err), -1);
    bad = f;
    snprintf(bad.sig, sizeof bad.sig, "3006020101020101");
    ck_assert_int_eq(pki_facts_issued_by(&bad, ca_cert, &err), -1);
    bad = f;
    bad.sig[3] = 'x';
    ck_assert_int_eq(pki_facts_issued_by(&bad, ca_cert, &err), -1);
    ck_assert_str_eq(err.msg, "certificate: its signature cannot be checked from its facts");
    bad = f;
    bad.md[0] = '\0';
    ck_assert_int_eq(pki_facts_issued_by(&bad, ca_cert, &err), -1);
    ck_assert_str_eq(err.msg, "certificate: its signature cannot be checked from its facts");
    ck_assert_int_eq(pki_facts_issued_by(&f, "garbage", &err), -1);
    ck_assert_int_eq(pki_facts("garbage", 7, NULL, &bad, &err), -1);
    ck_assert_msg(strstr(err.msg, "not a PEM certificate") == err.msg, "%s", err.msg);
    free(other_cert);
    free(other_key);
    free(twin_cert);
    free(twin_key);
}
END_TEST

/* A bundle is walked a certificate at a time, whatever stands between
 * them; a block cut short ends it. */
START_TEST(a_bundle_is_walked_a_certificate_at_a_time)
{
    size_t n = strlen(ca_cert) + strlen(cert) + 64, len = 0;
    char *bundle = malloc(n);
    const char *p = bundle, *b;

    snprintf(bundle, n, "junk\n%sbetween\n%s-----BEGIN CERTIFICATE-----\nMII", ca_cert, cert);
    b = pki_bundle_next(&p, &len);
    ck_assert_ptr_eq(b, bundle + 5);
    ck_assert_int_eq(len, strlen(ca_cert) - 1); /* through END, not its newline */
    b = pki_bundle_next(&p, &len);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(strncmp(b, cert, len), 0);
    ck_assert_int_eq(len, strlen(cert) - 1);
    ck_assert_ptr_null(pki_bundle_next(&p, &len));
    ck_assert_ptr_null(pki_bundle_next(&p, &len));
    p = NULL;
    ck_assert_ptr_null(pki_bundle_next(&p, &len));
    free(bundle);
}
END_TEST

START_TEST(openssl_accepts_the_chain_names_and_purposes)
{
    const char *client_dns[] = {"berth-operator"};
    pki_request r = {.common_name = "berth-operator",
                     .dns_names = client_dns,
                     .ndns = 1,
                     .client = true,
                     .not_before = now - 60,
                     .not_after = now + DAY};
    char *client_cert, *client_key;
    util_err err = {{0}};
    X509 *x;

    ck_assert(openssl_verifies(cert, ca_cert, NULL, NULL));
    ck_assert(openssl_verifies(cert, ca_cert, "demo-0.demo-brokers", NULL));
    ck_assert(openssl_verifies(cert, ca_cert, NULL, "2001:db8::1"));
    ck_assert(openssl_verifies(cert, ca_cert, NULL, "10.1.2.3"));
    ck_assert(!openssl_verifies(cert, ca_cert, "demo-1.demo-brokers", NULL));
    ck_assert(!openssl_verifies(cert, ca_cert, NULL, "10.1.2.4"));

    x = parse(cert);
    ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
    ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
    X509_free(x);

    ck_assert_msg(pki_issue(ca_cert, ca_key, &r, &client_cert, &client_key, &err) == 0, "%s",
                  err.msg);
    ck_assert(openssl_verifies(client_cert, ca_cert, NULL, NULL));
    x = parse(client_cert);
    ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 0);
    ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
    X509_free(x);
    free(client_cert);
    free(client_key);
}
END_TEST

START_TEST(an_organization_joins_the_subject)
{
    pki_request r = broker_request();
    char *c, *k, o[65];
    util_err err = {{0}};
    X509 *x;

    r.organization = "system:masters";
    ck_assert_msg(pki_issue(ca_cert, ca_key, &r, &c, &k, &err) == 0, "%s", err.msg);
    x = parse(c);
    ck_assert_int_gt(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, o, sizeof o), 0);
    ck_assert_str_eq(o, "system:masters");
    X509_free(x);
    free(c);
    free(k);
}
END_TEST

START_TEST(a_self_signed_peer_is_its_own_trust_anchor)
{
    pki_request r = {.common_name = "localhost", .not_before = now - 60, .not_after = now + DAY};
    char *c, *k;
    pki_cert_info info;
    util_err err = {{0}};
    X509 *x;

    ck_assert_msg(pki_self_signed_new(&r, &c, &k, &err) == 0, "%s", err.msg);
    ck_assert(openssl_verifies(c, c, "localhost", NULL));
    x = parse(c);
    ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
    ck_assert_int_eq(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
    X509_free(x);
    ck_assert_int_eq(pki_inspect(c, strlen(c), &info, &err), 0);
    ck_assert(info.is_ca);
    pki_cert_info_clear(&info);
    ck_assert_int_eq(pki_verify_issued_by(c, c, &err), 0);
    free(c);
    free(k);
}
END_TEST

/* Issues r from the test CA, expecting a refusal whose message is want. */
static void expect_refused(const pki_request *r, const char *want)
{
    char *c = (char *)"unset", *k = (char *)"unset";
    util_err err = {{0}};

    ck_assert_int_eq(pki_issue(ca_cert, ca_key, r, &c, &k, &err), -1);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(c);
    ck_assert_ptr_null(k);
}

START_TEST(bad_requests_are_refused_naming_the_name)
{
    const char *empty[] = {"demo-0", ""};
    const char *spaced[] = {"demo 0"};
    const char *short_ip[] = {"1.2.3"};
    const char *junk_ip[] = {"10.1.2.3x"};
    char long_name[PKI_NAME_MAX + 2], long_cn[PKI_CN_MAX + 2], want[128];
    const char *long_dns[] = {long_name};
    pki_request r = broker_request();
    char *c, *k;
    util_err err = {{0}};

    r.dns_names = empty;
    expect_refused(&r, "DNS name 2 is empty");
    r.dns_names = spaced;
    r.ndns = 1;
    expect_refused(&r, "DNS name 'demo 0' holds a character DNS names cannot");
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    r.dns_names = long_dns;
    expect_refused(&r, "DNS name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than 253 "
                       "bytes");
    long_name[PKI_NAME_MAX] = '\0'; /* exactly the longest */
    ck_assert_msg(pki_issue(ca_cert, ca_key, &r, &c, &k, &err) == 0, "%s", err.msg);
    free(c);
    free(k);

    r = broker_request();
    r.ip_addrs = short_ip;
    r.nips = 1;
    expect_refused(&r, "IP address '1.2.3' is not IPv4 or IPv6");
    r.ip_addrs = junk_ip;
    expect_refused(&r, "IP address '10.1.2.3x' is not IPv4 or IPv6");

    r = broker_request();
    memset(long_cn, 'c', sizeof long_cn - 1);
    long_cn[sizeof long_cn - 1] = '\0';
    r.common_name = long_cn;
    expect_refused(&r, "common name 'cccccccccccccccccccccccccccccccccccccccc...' is longer than "
                       "64 bytes");
    r.common_name = NULL;
    expect_refused(&r, "common name is required");
    r = broker_request();
    r.not_after = r.not_before - 1;
    snprintf(want, sizeof want, "validity: not_after %lld is before not_before %lld", r.not_after,
             r.not_before);
    expect_refused(&r, want);
}
END_TEST

START_TEST(a_bad_ca_is_named)
{
    pki_request r = broker_request();
    char *c, *k;
    util_err err = {{0}};

    ck_assert_int_eq(pki_issue("garbage", ca_key, &r, &c, &k, &err), -1);
    ck_assert_msg(strstr(err.msg, "CA certificate: not a PEM certificate") == err.msg, "%s",
                  err.msg);
    ck_assert_int_eq(pki_issue(ca_cert, key, &r, &c, &k, &err), -1);
    ck_assert_str_eq(err.msg, "CA key: not the key of the CA certificate");
    /* A leaf cannot sign. */
    ck_assert_int_eq(pki_issue(cert, key, &r, &c, &k, &err), -1);
    ck_assert_str_eq(err.msg, "CA certificate: not a CA (basicConstraints CA:TRUE, keyCertSign)");
}
END_TEST

/* Inspects len bytes of pem, expecting a refusal that starts with want and
 * leaves info empty. */
static void expect_unreadable(const char *pem, size_t len, const char *want)
{
    pki_cert_info info;
    util_err err = {{0}};

    memset(&info, 0xa5, sizeof info);
    ck_assert_int_eq(pki_inspect(pem, len, &info, &err), -1);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    ck_assert_ptr_null(info.dns);
    ck_assert_ptr_null(info.ips);
    ck_assert_uint_eq(info.ndns + info.nips, 0);
    ck_assert_str_eq(info.common_name, "");
    pki_cert_info_clear(&info);
}

START_TEST(bad_pem_is_refused_with_a_message)
{
    const char *encrypted = "-----BEGIN CERTIFICATE-----\n"
                            "Proc-Type: 4,ENCRYPTED\n"
                            "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n"
                            "AAAA\n"
                            "-----END CERTIFICATE-----\n";
    size_t n = strlen(cert);
    char *both = malloc(strlen(key) + n + 1);
    pki_cert_info info;
    util_err err = {{0}};

    expect_unreadable("garbage", 7, "not a PEM certificate");
    expect_unreadable("", 0, "not a PEM certificate");
    expect_unreadable(NULL, 0, "missing");
    expect_unreadable(cert, n / 2, "not a PEM certificate");
    expect_unreadable(cert, n - 30, "not a PEM certificate");
    expect_unreadable(key, strlen(key), "not a PEM certificate");
    /* Never a password prompt on the terminal. */
    expect_unreadable(encrypted, strlen(encrypted), "not a PEM certificate");

    /* A key before the certificate is passed over. */
    strcpy(both, key);
    strcat(both, cert);
    ck_assert_msg(pki_inspect(both, strlen(both), &info, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(info.common_name, "demo-0");
    pki_cert_info_clear(&info);
    free(both);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pki");
    TCase *tc = tcase_create("pki");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_ca_reads_back_as_made);
    tcase_add_test(tc, an_issued_certificate_reads_back_as_requested);
    tcase_add_test(tc, times_far_from_now_read_back_exactly);
    tcase_add_test(tc, issued_by_its_ca_and_no_other);
    tcase_add_test(tc, a_key_matches_its_certificate_only);
    tcase_add_test(tc, facts_tell_what_the_certificate_tells);
    tcase_add_test(tc, a_bundle_is_walked_a_certificate_at_a_time);
    tcase_add_test(tc, openssl_accepts_the_chain_names_and_purposes);
    tcase_add_test(tc, an_organization_joins_the_subject);
    tcase_add_test(tc, a_self_signed_peer_is_its_own_trust_anchor);
    tcase_add_test(tc, bad_requests_are_refused_naming_the_name);
    tcase_add_test(tc, a_bad_ca_is_named);
    tcase_add_test(tc, bad_pem_is_refused_with_a_message);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
