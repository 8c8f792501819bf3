/* The cluster CA: what the operator issues into the two Secrets, when it
 * keeps a certificate and when it issues a new one, and that a broker's
 * init step takes exactly what the operator issued (the Secret is the
 * contract between operator/cluster_tls.c and sidecar/init/cluster_tls.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "operator/cluster.h"
#include "operator/cluster_tls.h"
#include "operator/diff.h"
#include "operator/secret_summary.h"
#include "pki/pki.h"
#include "sidecar/init/cluster_tls.h"
#include "sidecar/init/render.h"
#include "support/slurp.h"
#include "support/tmpdir.h"
#include "util/base64.h"

#define NOW  1767225600LL /* 2026-01-01T00:00:00Z */
#define DNS0 "demo-0.demo-brokers.kafka.svc.cluster.local"

static const op_cert_policy policy = {3650 * 86400LL, 365 * 86400LL, 30 * 86400LL};

static cJSON *J(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_msg(j != NULL, "bad JSON in the test: %s", text);
    return j;
}

/* A 3-broker cluster with an internal and a nodeport listener, the latter
 * served with the cluster CA's certificates. */
static cJSON *cluster(op_cluster *c)
{
    cJSON *cr = J("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                  "\"metadata\":{\"name\":\"demo\",\"namespace\":\"kafka\",\"uid\":\"u-1\"},"
                  "\"spec\":{\"flavor\":\"kafka\",\"image\":\"apache/kafka:4.4.0\",\"replicas\":3,"
                  "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                  "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                  "\"addressType\":\"ExternalIP\",\"nodePortBase\":31090,\"tls\":{}}],"
                  "\"storage\":{\"size\":\"1Gi\"}}}");
    util_err err = {{0}};

    ck_assert_msg(op_cluster_parse(cr, c, &err) == 0, "%s", err.msg);
    return cr;
}

static cJSON *nodes_with(const char *ip)
{
    char buf[512];

    snprintf(buf, sizeof buf,
             "[{\"metadata\":{\"name\":\"n1\"},\"status\":{\"addresses\":[{\"type\":"
             "\"ExternalIP\",\"address\":\"%s\"}]}}]",
             ip);
    return J(buf);
}

/* data[key] of a Secret, decoded (a new string). */
static char *value(const cJSON *secret, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(secret, "data"), key);
    char *out = NULL;
    size_t n;

    ck_assert_msg(cJSON_IsString(v), "no %s", key);
    ck_assert_int_eq(util_base64_decode(v->valuestring, strlen(v->valuestring), &out, &n), 0);
    return out;
}

static bool has_name(const pki_cert_info *i, const char *name)
{
    for (size_t k = 0; k < i->ndns; k++)
        if (strcmp(i->dns[k], name) == 0)
            return true;
    for (size_t k = 0; k < i->nips; k++)
        if (strcmp(i->ips[k], name) == 0)
            return true;
    return false;
}

static void inspect(const cJSON *secret, const char *key, pki_cert_info *info)
{
    char *pem = value(secret, key);
    util_err err = {{0}};

    ck_assert_msg(pki_inspect(pem, strlen(pem), info, &err) == 0, "%s: %s", key, err.msg);
    free(pem);
}

typedef struct built {
    op_cluster_tls tls;
    cJSON *all;        /* the three Secrets */
    cJSON *ca, *certs; /* borrowed from all */
} built;

static void build(const op_cluster *c, const cJSON *live_ca, const cJSON *live_certs,
                  const cJSON *pods, const cJSON *nodes, long long now, built *b)
{
    util_err err = {{0}};

    ck_assert_msg(op_cluster_tls_build(c, "cluster.local", &policy, live_ca, live_certs, pods,
                                       nodes, NULL, now, &b->tls, &b->all, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(cJSON_GetArraySize(b->all), 3);
    b->ca = cJSON_GetArrayItem(b->all, 0);
    b->certs = cJSON_GetArrayItem(b->all, 2);
}

static void built_free(built *b)
{
    op_cluster_tls_clear(&b->tls);
    cJSON_Delete(b->all);
}

START_TEST(issues_a_ca_and_one_certificate_per_broker)
{
    op_cluster c;
    cJSON *cr = cluster(&c);
    cJSON *pods = J("[{\"metadata\":{\"name\":\"demo-0\"},\"spec\":{\"nodeName\":\"n1\"}}]");
    cJSON *nodes = nodes_with("203.0.113.10");
    pki_cert_info info;
    char *crt, *key, *ca;
    util_err err = {{0}};
    built b;

    build(&c, NULL, NULL, pods, nodes, NOW, &b);
    ck_assert_int_eq(b.tls.reissued, 4); /* three brokers and the sidecar */
    ck_assert_int_eq(b.tls.nbrokers, 3);
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b.certs, "metadata"), "name")->valuestring,
        "demo-broker-certs");
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b.ca, "metadata"), "name")->valuestring,
        "demo-cluster-ca");

    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(b.all, 1), "metadata"), "name")
            ->valuestring,
        "demo-cluster-ca-cert");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(b.all, 1), "data")),
                     1); /* ca.crt only: no key */
    inspect(b.ca, "ca.crt", &info);
    ck_assert(info.is_ca);
    ck_assert_int_eq(info.not_after, NOW + policy.ca_validity_s);
    pki_cert_info_clear(&info);

    /* Broker 0 runs on n1: its certificate names its node's address too. */
    inspect(b.certs, "demo-0.crt", &info);
    ck_assert(has_name(&info, DNS0));
    ck_assert(has_name(&info, "demo-0.demo-brokers.kafka.svc"));
    ck_assert(has_name(&info, "demo-bootstrap.kafka.svc.cluster.local"));
    ck_assert(has_name(&info, "demo-0-external.kafka.svc.cluster.local"));
    ck_assert(has_name(&info, "203.0.113.10"));
    ck_assert_int_eq(info.not_before, NOW);
    ck_assert_int_eq(info.not_after, NOW + policy.validity_s);
    ck_assert_int_eq(b.tls.issued[0], NOW);
    pki_cert_info_clear(&info);
    /* Broker 1 is not scheduled: no node address yet. */
    inspect(b.certs, "demo-1.crt", &info);
    ck_assert(has_name(&info, "demo-1.demo-brokers.kafka.svc.cluster.local"));
    ck_assert_int_eq(info.nips, 0);
    pki_cert_info_clear(&info);

    ca = value(b.certs, "ca.crt");
    crt = value(b.certs, "demo-2.crt");
    key = value(b.certs, "demo-2.key");
    ck_assert_msg(pki_verify_issued_by(crt, ca, &err) == 0, "%s", err.msg);
    ck_assert_msg(pki_key_matches(crt, key, &err) == 0, "%s", err.msg);
    free(crt);
    free(key);
    crt = value(b.certs, "sidecar.crt");
    ck_assert_int_eq(pki_verify_issued_by(crt, ca, &err), 0);
    free(crt);
    free(ca);
    built_free(&b);
    cJSON_Delete(pods);
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

/* Kept certificates are the same bytes, so the Secrets need no write; a
 * moved address re-issues that broker's only; nearing expiry renews. */
START_TEST(keeps_what_is_good_and_reissues_what_changed)
{
    op_cluster c;
    cJSON *cr = cluster(&c);
    cJSON *pods = J("[{\"metadata\":{\"name\":\"demo-0\"},\"spec\":{\"nodeName\":\"n1\"}}]");
    cJSON *nodes = nodes_with("203.0.113.10"), *moved = nodes_with("203.0.113.77");
    pki_cert_info info;
    built a, b, d, e;

    build(&c, NULL, NULL, pods, nodes, NOW, &a);
    build(&c, a.ca, a.certs, pods, nodes, NOW + 3600, &b);
    ck_assert_int_eq(b.tls.reissued, 0);
    ck_assert(cJSON_Compare(a.ca, b.ca, 1));
    ck_assert(cJSON_Compare(a.certs, b.certs, 1));
    ck_assert_int_eq(b.tls.issued[1], NOW);

    /* Node n1's address changed: broker 0's certificate follows it. */
    build(&c, b.ca, b.certs, pods, moved, NOW + 7200, &d);
    ck_assert_int_eq(d.tls.reissued, 1);
    ck_assert_ptr_nonnull(strstr(d.tls.why, "demo-0.crt: the names it must carry changed"));
    ck_assert_int_eq(d.tls.issued[0], NOW + 7200);
    ck_assert_int_eq(d.tls.issued[1], NOW);
    inspect(d.certs, "demo-0.crt", &info);
    ck_assert(has_name(&info, "203.0.113.77"));
    ck_assert(!has_name(&info, "203.0.113.10"));
    pki_cert_info_clear(&info);
    ck_assert(cJSON_Compare(cJSON_GetObjectItem(cJSON_GetObjectItem(b.certs, "data"), "demo-1.crt"),
                            cJSON_GetObjectItem(cJSON_GetObjectItem(d.certs, "data"), "demo-1.crt"),
                            1));

    /* 30 days before expiry a certificate is renewed; broker 0's, two
     * hours younger, is not due yet; the CA stays. */
    build(&c, d.ca, d.certs, pods, moved, NOW + policy.validity_s - 30 * 86400LL, &e);
    ck_assert_int_eq(e.tls.reissued, 3);
    ck_assert_int_eq(e.tls.issued[0], NOW + 7200);
    ck_assert_ptr_nonnull(strstr(e.tls.why, "due for renewal"));
    ck_assert(cJSON_Compare(d.ca, e.ca, 1));
    /* A shorter validity applies at once: every certificate is issued
     * again, for as long as it now allows. */
    {
        const op_cert_policy hour = {3650 * 86400LL, 3600, 600};
        util_err err = {{0}};
        op_cluster_tls t;
        cJSON *out = NULL;

        ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &hour, e.ca, e.certs, pods,
                                              moved, NULL, NOW + 8000, &t, &out, &err),
                         0);
        ck_assert_int_eq(t.reissued, 4);
        ck_assert_ptr_nonnull(strstr(t.why, "lives longer than the validity now set"));
        inspect(cJSON_GetArrayItem(out, 2), "demo-2.crt", &info);
        ck_assert_int_eq(info.not_after - info.not_before, 3600);
        pki_cert_info_clear(&info);
        op_cluster_tls_clear(&t);
        cJSON_Delete(out);
    }
    built_free(&a);
    built_free(&b);
    built_free(&d);
    built_free(&e);
    cJSON_Delete(pods);
    cJSON_Delete(nodes);
    cJSON_Delete(moved);
    cJSON_Delete(cr);
}
END_TEST

/* A certificate from another CA, or a key that is not its own, is
 * replaced; a CA Secret that cannot be used stops reconcile instead of
 * being replaced behind the brokers' back. */
START_TEST(bad_secrets)
{
    op_cluster c;
    cJSON *cr = cluster(&c), *bad;
    op_cluster_tls t;
    cJSON *out = NULL;
    util_err err = {{0}};
    built a, other, b;

    build(&c, NULL, NULL, NULL, NULL, NOW, &a);
    build(&c, NULL, NULL, NULL, NULL, NOW, &other);
    /* other's broker certificates next to a's CA: all re-issued. */
    build(&c, a.ca, other.certs, NULL, NULL, NOW + 60, &b);
    ck_assert_int_eq(b.tls.reissued, 4);
    ck_assert_ptr_nonnull(strstr(b.tls.why, "not from the cluster CA"));
    built_free(&b);
    /* A key swapped in from another broker. */
    bad = cJSON_Duplicate(a.certs, 1);
    cJSON_ReplaceItemInObject(
        cJSON_GetObjectItem(bad, "data"), "demo-1.key",
        cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(a.certs, "data"), "demo-2.key"),
                        1));
    build(&c, a.ca, bad, NULL, NULL, NOW + 60, &b);
    ck_assert_int_eq(b.tls.reissued, 1);
    ck_assert_ptr_nonnull(strstr(b.tls.why, "demo-1.crt: its key is not its own"));
    built_free(&b);
    cJSON_Delete(bad);

    /* The CA Secret: a key that is not the CA's, garbage, nothing. */
    bad = cJSON_Duplicate(a.ca, 1);
    cJSON_ReplaceItemInObject(
        cJSON_GetObjectItem(bad, "data"), "ca.key",
        cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(other.ca, "data"), "ca.key"), 1));
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, bad, a.certs, NULL, NULL,
                                          NULL, NOW, &t, &out, &err),
                     1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ca.key is not the key of ca.crt"));
    ck_assert_ptr_null(out);
    cJSON_Delete(bad);
    bad = J("{\"data\":{\"ca.crt\":\"bm90IGEgY2VydA==\",\"ca.key\":\"eA==\"}}");
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, bad, NULL, NULL, NULL, NULL,
                                          NOW, &t, &out, &err),
                     1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ca.crt: "));
    cJSON_Delete(bad);
    bad = J("{\"data\":{}}");
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, bad, NULL, NULL, NULL, NULL,
                                          NOW, &t, &out, &err),
                     1);
    ck_assert_str_eq(err.msg, "has no base64 ca.crt and ca.key");
    cJSON_Delete(bad);
    /* An expired CA. */
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, NULL, NULL, NULL,
                                          NULL, NOW + policy.ca_validity_s, &t, &out, &err),
                     1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ca.crt expired"));
    built_free(&a);
    built_free(&other);
    cJSON_Delete(cr);
}
END_TEST

/* How many certificates a PEM bundle holds. */
static int pem_count(const char *pem)
{
    int n = 0;

    for (const char *p = pem; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
        n++;
    return n;
}

/* A Secret of the user's holding a CA, as cert-manager writes one. */
static cJSON *user_ca_secret(char **ca_pem)
{
    char *key = NULL, *b1, *b2;
    util_err err = {{0}};
    cJSON *s;

    ck_assert_int_eq(pki_ca_new("my CA", NOW - 60, NOW + 86400 * 30, ca_pem, &key, &err), 0);
    b1 = util_base64_encode(*ca_pem, strlen(*ca_pem));
    b2 = util_base64_encode(key, strlen(key));
    s = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "metadata"), "name", "my-ca");
    cJSON_AddStringToObject(s, "type", "kubernetes.io/tls");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "data"), "tls.crt", b1);
    cJSON_AddStringToObject(cJSON_GetObjectItem(s, "data"), "tls.key", b2);
    free(b1);
    free(b2);
    free(key);
    return s;
}

/* spec.clusterCA: the brokers' certificates come from the user's CA, whose
 * key is never copied; a missing one stops reconcile; moving to it keeps
 * the previous CA trusted until every broker runs with its new
 * certificate. */
START_TEST(user_ca_and_the_move_to_it)
{
    op_cluster c;
    cJSON *cr = cluster(&c), *user, *out = NULL, *stale_pods, *current_pods;
    char *user_ca = NULL, *crt, *bundle;
    op_cluster_tls t;
    util_err err = {{0}};
    built a;

    build(&c, NULL, NULL, NULL, NULL, NOW, &a);
    user = user_ca_secret(&user_ca);
    c.ca_secret = "my-ca";

    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, NULL, a.certs, NULL, NULL,
                                          NULL, NOW, &t, &out, &err),
                     1);
    ck_assert_str_eq(err.msg, "does not exist");

    /* The pods still run with the old CA's certificates (made before,
     * their init step done before the new ones were issued). */
    stale_pods = J("[{\"metadata\":{\"name\":\"demo-0\",\"creationTimestamp\":"
                   "\"2025-12-31T00:00:00Z\"},\"spec\":{},\"status\":{\"initContainerStatuses\":"
                   "[{\"name\":\"init\",\"state\":{\"terminated\":{\"finishedAt\":"
                   "\"2025-12-31T00:01:00Z\"}}}]}}]");
    ck_assert_msg(op_cluster_tls_build(&c, "cluster.local", &policy, user, a.certs, stale_pods,
                                       NULL, NULL, NOW + 60, &t, &out, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(cJSON_GetArraySize(out), 2); /* no <c>-cluster-ca: the key stays the user's */
    ck_assert_int_eq(t.reissued, 4);
    ck_assert_ptr_nonnull(strstr(t.why, "not from the cluster CA"));
    crt = value(cJSON_GetArrayItem(out, 1), "demo-0.crt");
    ck_assert_int_eq(pki_verify_issued_by(crt, user_ca, &err), 0);
    free(crt);
    bundle = value(cJSON_GetArrayItem(out, 1), "ca.crt");
    ck_assert_int_eq(pem_count(bundle), 2); /* the user's CA, and the one before */
    ck_assert_ptr_nonnull(strstr(bundle, user_ca));
    free(bundle);
    bundle = value(cJSON_GetArrayItem(out, 0), "ca.crt");
    ck_assert_int_eq(pem_count(bundle), 2);
    free(bundle);

    /* Once every broker has restarted with its new certificate, only the
     * user's CA is trusted. */
    {
        cJSON *live = cJSON_Duplicate(cJSON_GetArrayItem(out, 1), 1);
        op_cluster_tls t2;
        cJSON *out2 = NULL;
        char text[1024];

        snprintf(text, sizeof text,
                 "[{\"metadata\":{\"name\":\"demo-%d\",\"creationTimestamp\":"
                 "\"2026-01-01T00:02:00Z\"},\"spec\":{},\"status\":{\"initContainerStatuses\":"
                 "[{\"name\":\"init\",\"state\":{\"terminated\":{\"finishedAt\":"
                 "\"2026-01-01T00:02:30Z\"}}}]}}]",
                 0);
        current_pods = J(text);
        for (int id = 1; id < 3; id++) {
            cJSON *p = cJSON_Duplicate(cJSON_GetArrayItem(current_pods, 0), 1);

            snprintf(text, sizeof text, "demo-%d", id);
            cJSON_ReplaceItemInObject(cJSON_GetObjectItem(p, "metadata"), "name",
                                      cJSON_CreateString(text));
            cJSON_AddItemToArray(current_pods, p);
        }
        ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, user, live,
                                              current_pods, NULL, NULL, NOW + 300, &t2, &out2,
                                              &err),
                         0);
        ck_assert_int_eq(t2.reissued, 0);
        bundle = value(cJSON_GetArrayItem(out2, 1), "ca.crt");
        ck_assert_int_eq(pem_count(bundle), 1);
        ck_assert_str_eq(bundle, user_ca);
        free(bundle);
        op_cluster_tls_clear(&t2);
        cJSON_Delete(out2);
        cJSON_Delete(live);
        cJSON_Delete(current_pods);
    }
    op_cluster_tls_clear(&t);
    cJSON_Delete(out);
    cJSON_Delete(stale_pods);
    cJSON_Delete(user);
    free(user_ca);
    built_free(&a);
    cJSON_Delete(cr);
}
END_TEST

/* secret as the operator's cache keeps it (secret_summary.h). */
static cJSON *summary_of(const cJSON *secret)
{
    cJSON *s = cJSON_Duplicate(secret, 1);

    op_secret_summarize(s, OP_CERTS_CA_KEY);
    ck_assert(op_secret_is_summary(s));
    return s;
}

static const char *data_str(const cJSON *secret, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(secret, "data"), key);

    ck_assert_msg(cJSON_IsString(v), "no %s", key);
    return v->valuestring;
}

static size_t printed_len(const cJSON *o)
{
    char *t = cJSON_PrintUnformatted(o);
    size_t n = strlen(t);

    free(t);
    return n;
}

/* The cache keeps the certificate Secrets as summaries: each value a stub
 * the diff still compares, each certificate's facts beside; a pass decides
 * from them what it decides from the whole Secret, and asks for the whole
 * Secret whenever the one it built would have to be written. */
START_TEST(a_summary_decides_as_the_whole_secret)
{
    op_cluster c;
    cJSON *cr = cluster(&c);
    cJSON *pods = J("[{\"metadata\":{\"name\":\"demo-0\"},\"spec\":{\"nodeName\":\"n1\"}}]");
    cJSON *nodes = nodes_with("203.0.113.10"), *moved = nodes_with("203.0.113.77");
    cJSON *sum, *pub, *out = NULL, *bad;
    op_cluster_tls t;
    pki_cert_facts f;
    util_err err = {{0}};
    built a, other;

    build(&c, NULL, NULL, pods, nodes, NOW, &a);
    sum = summary_of(a.certs);
    ck_assert_msg(printed_len(sum) * 2 < printed_len(a.certs), "summary %zu of %zu bytes",
                  printed_len(sum), printed_len(a.certs));
    ck_assert(op_secret_has_stub(sum));
    ck_assert(
        op_secret_value_matches(data_str(sum, "demo-1.crt"), data_str(a.certs, "demo-1.crt")));
    ck_assert(
        !op_secret_value_matches(data_str(sum, "demo-1.crt"), data_str(a.certs, "demo-2.crt")));
    ck_assert(op_subset(a.certs, sum));
    ck_assert_int_eq(op_secret_facts(sum, "demo-1.crt", &f), 0);
    ck_assert(f.key_matches);
    ck_assert_int_eq(f.not_before, NOW);
    ck_assert_int_eq(op_secret_facts(sum, "demo-1.key", &f), -1);
    /* The public CA Secret (the CA's own stays whole: test_op_cache_trim). */
    pub = summary_of(cJSON_GetArrayItem(a.all, 1));
    ck_assert(op_subset(cJSON_GetArrayItem(a.all, 1), pub));

    /* Nothing changed: kept by their stubs, nothing to write. */
    ck_assert_msg(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, sum, pods, nodes, NULL,
                                       NOW + 3600, &t, &out, &err) == 0,
                  "%s", err.msg);
    ck_assert(!t.need_whole);
    ck_assert_int_eq(t.reissued, 0);
    ck_assert_int_eq(t.issued[1], NOW);
    ck_assert(op_secret_has_stub(cJSON_GetArrayItem(out, 2)));
    ck_assert(op_subset(cJSON_GetArrayItem(out, 2), sum));
    ck_assert(op_subset(cJSON_GetArrayItem(out, 1), pub));
    op_cluster_tls_clear(&t);
    cJSON_Delete(out);

    /* A certificate's names changed: the Secret must be written with the
     * other certificates in it, so the whole one is asked for. */
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, sum, pods, moved,
                                          NULL, NOW + 3600, &t, &out, &err),
                     0);
    ck_assert(t.need_whole);
    ck_assert_ptr_null(out);
    ck_assert_ptr_null(t.ca_cert_pem);
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, sum, pods, nodes,
                                          NULL, NOW + policy.validity_s - 30 * 86400LL, &t, &out,
                                          &err),
                     0);
    /* All of them due: all issued again, nothing kept, nothing asked. */
    ck_assert(!t.need_whole);
    ck_assert_int_eq(t.reissued, 4);
    ck_assert_ptr_nonnull(strstr(t.why, "due for renewal"));
    ck_assert(!op_secret_has_stub(cJSON_GetArrayItem(out, 2)));
    op_cluster_tls_clear(&t);
    cJSON_Delete(out);

    /* Another CA's certificates (a CA of the same name: only the signature
     * tells): all issued again from the facts alone; the summary of their
     * bundle (which names the other CA) is left out, else the whole Secret
     * is asked for, to keep trusting that CA while brokers use it. */
    build(&c, NULL, NULL, NULL, NULL, NOW, &other);
    bad = summary_of(other.certs);
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, bad, NULL, NULL, NULL,
                                          NOW + 60, &t, &out, &err),
                     0);
    ck_assert(t.need_whole);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(bad, OP_SUMMARY_MEMBER), "ca.crt");
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, bad, NULL, NULL, NULL,
                                          NOW + 60, &t, &out, &err),
                     0);
    ck_assert(!t.need_whole);
    ck_assert_int_eq(t.reissued, 4);
    ck_assert_ptr_nonnull(strstr(t.why, "not from the cluster CA"));
    ck_assert(!op_secret_has_stub(cJSON_GetArrayItem(out, 2)));
    ck_assert(!op_subset(cJSON_GetArrayItem(out, 2), bad));
    op_cluster_tls_clear(&t);
    cJSON_Delete(out);
    cJSON_Delete(bad);

    /* A key swapped in from another broker: its facts say so. */
    bad = cJSON_Duplicate(a.certs, 1);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(bad, "data"), "demo-1.key",
                              cJSON_CreateString(data_str(a.certs, "demo-2.key")));
    op_secret_summarize(bad, OP_CERTS_CA_KEY);
    ck_assert_int_eq(op_secret_facts(bad, "demo-1.crt", &f), 0);
    ck_assert(!f.key_matches);
    ck_assert_int_eq(op_secret_facts(bad, "demo-2.crt", &f), 0);
    ck_assert(f.key_matches);
    ck_assert_int_eq(op_cluster_tls_build(&c, "cluster.local", &policy, a.ca, bad, pods, nodes,
                                          NULL, NOW + 60, &t, &out, &err),
                     0);
    ck_assert(t.need_whole);
    cJSON_Delete(bad);

    /* Values that are not certificates: no facts, issued again. */
    bad = J("{\"metadata\":{\"name\":\"demo-broker-certs\"},\"data\":{\"demo-0.crt\":\"eA==\","
            "\"demo-0.key\":\"eA==\",\"ca.crt\":\"!!\"}}");
    op_secret_summarize(bad, OP_CERTS_CA_KEY);
    ck_assert_int_eq(op_secret_facts(bad, "demo-0.crt", &f), -1);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(bad, OP_SUMMARY_MEMBER), "ca.crt")),
                     0);
    ck_assert(!op_secret_value_matches(data_str(bad, "demo-0.crt"), "eB=="));
    cJSON_Delete(bad);

    built_free(&a);
    built_free(&other);
    cJSON_Delete(sum);
    cJSON_Delete(pub);
    cJSON_Delete(pods);
    cJSON_Delete(nodes);
    cJSON_Delete(moved);
    cJSON_Delete(cr);
}
END_TEST

/* The operator's own client certificate comes from the same CA. */
START_TEST(operator_certificate)
{
    op_cluster c;
    cJSON *cr = cluster(&c);
    char *crt = NULL, *key = NULL;
    pki_cert_info info;
    util_err err = {{0}};
    built a;

    build(&c, NULL, NULL, NULL, NULL, NOW, &a);
    ck_assert_int_eq(op_cluster_tls_operator_cert(&a.tls, NOW, &crt, &key, &err), 0);
    ck_assert_int_eq(pki_verify_issued_by(crt, a.tls.ca_cert_pem, &err), 0);
    ck_assert_int_eq(pki_key_matches(crt, key, &err), 0);
    ck_assert_int_eq(pki_inspect(crt, strlen(crt), &info, &err), 0);
    ck_assert_str_eq(info.common_name, "berth-operator");
    ck_assert_int_eq(info.not_after, NOW + 3600);
    pki_cert_info_clear(&info);
    free(crt);
    free(key);
    built_free(&a);
    cJSON_Delete(cr);
}
END_TEST

/* The init step's side: it takes the pair the operator issued, once it
 * has settled, and waits for what is not there or not right yet. */
START_TEST(init_takes_what_the_operator_issued)
{
    op_cluster c;
    cJSON *cr = cluster(&c), *bad;
    char *dir, path[512], why[512];
    char *text;
    util_err err = {{0}};
    struct stat st;
    built a;

    build(&c, NULL, NULL, NULL, NULL, NOW, &a);
    dir = tmpdir_new();

    ck_assert_int_eq(sc_cluster_tls_take(a.certs, "demo-0", (const char *[]){DNS0}, 1, NOW + 1, dir,
                                         why, sizeof why, &err),
                     SC_CLUSTER_TLS_WAITING);
    ck_assert_str_eq(why, "demo-0.crt was issued less than 2 s ago");
    ck_assert_int_eq(sc_cluster_tls_take(a.certs, "demo-7", (const char *[]){"demo-7.x"}, 1,
                                         NOW + 5, dir, why, sizeof why, &err),
                     SC_CLUSTER_TLS_WAITING);
    ck_assert_ptr_nonnull(strstr(why, "has no demo-7.crt yet"));
    ck_assert_int_eq(sc_cluster_tls_take(a.certs, "demo-0", (const char *[]){"demo-0.elsewhere"}, 1,
                                         NOW + 5, dir, why, sizeof why, &err),
                     SC_CLUSTER_TLS_WAITING);
    ck_assert_str_eq(why, "demo-0.crt does not name demo-0.elsewhere yet");
    ck_assert_int_eq(sc_cluster_tls_take(a.certs, "demo-0", (const char *[]){DNS0}, 1,
                                         NOW + policy.validity_s, dir, why, sizeof why, &err),
                     SC_CLUSTER_TLS_WAITING);
    ck_assert_str_eq(why, "demo-0.crt expired");
    bad = cJSON_Duplicate(a.certs, 1);
    cJSON_ReplaceItemInObject(
        cJSON_GetObjectItem(bad, "data"), "demo-0.key",
        cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetObjectItem(a.certs, "data"), "demo-1.key"),
                        1));
    ck_assert_int_eq(sc_cluster_tls_take(bad, "demo-0", (const char *[]){DNS0}, 1, NOW + 5, dir,
                                         why, sizeof why, &err),
                     SC_CLUSTER_TLS_WAITING);
    ck_assert_str_eq(why, "demo-0.key is not the key of demo-0.crt");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(bad, "data"), "demo-0.key",
                              cJSON_CreateString("!!"));
    ck_assert_int_eq(sc_cluster_tls_take(bad, "demo-0", (const char *[]){DNS0}, 1, NOW + 5, dir,
                                         why, sizeof why, &err),
                     SC_CLUSTER_TLS_WAITING);
    ck_assert_ptr_nonnull(strstr(why, "demo-0.key is not base64"));
    cJSON_Delete(bad);
    snprintf(path, sizeof path, "%s/" SC_CLUSTER_TLS_SUBDIR, dir);
    ck_assert_int_ne(stat(path, &st), 0); /* nothing written while waiting */

    /* The address it advertises on a listener served with the certificate:
     * taken once the operator has issued one that names it. */
    {
        cJSON *pods = J("[{\"metadata\":{\"name\":\"demo-0\"},\"spec\":{\"nodeName\":\"n1\"}}]");
        cJSON *nodes = nodes_with("203.0.113.10");
        built placed;

        ck_assert_int_eq(sc_cluster_tls_take(a.certs, "demo-0",
                                             (const char *[]){DNS0, "203.0.113.10"}, 2, NOW + 5,
                                             dir, why, sizeof why, &err),
                         SC_CLUSTER_TLS_WAITING);
        ck_assert_str_eq(why, "demo-0.crt does not name 203.0.113.10 yet");
        build(&c, a.ca, a.certs, pods, nodes, NOW + 10, &placed);
        ck_assert_int_eq(placed.tls.reissued, 1);
        ck_assert_int_eq(sc_cluster_tls_take(placed.certs, "demo-0",
                                             (const char *[]){DNS0, "203.0.113.10"}, 2, NOW + 12,
                                             dir, why, sizeof why, &err),
                         0);
        built_free(&placed);
        cJSON_Delete(pods);
        cJSON_Delete(nodes);
        tmpdir_remove(dir);
        dir = tmpdir_new();
    }

    ck_assert_msg(sc_cluster_tls_take(a.certs, "demo-0", (const char *[]){DNS0}, 1, NOW + 2, dir,
                                      why, sizeof why, &err) == 0,
                  "%s", err.msg);
    snprintf(path, sizeof path, "%s/" SC_CLUSTER_TLS_SUBDIR "/" SC_CLUSTER_TLS_KEYSTORE, dir);
    text = slurp_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "-----BEGIN PRIVATE KEY-----"));
    ck_assert_ptr_nonnull(strstr(text, "-----BEGIN CERTIFICATE-----"));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    free(text);
    snprintf(path, sizeof path, "%s/" SC_CLUSTER_TLS_SUBDIR "/" SC_CLUSTER_TLS_CA, dir);
    text = slurp_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    {
        char *ca = value(a.certs, "ca.crt");

        ck_assert_str_eq(text, ca);
        free(ca);
    }
    free(text);
    tmpdir_remove(dir);
    built_free(&a);
    cJSON_Delete(cr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_cluster_tls");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, issues_a_ca_and_one_certificate_per_broker);
    tcase_add_test(tc, keeps_what_is_good_and_reissues_what_changed);
    tcase_add_test(tc, bad_secrets);
    tcase_add_test(tc, a_summary_decides_as_the_whole_secret);
    tcase_add_test(tc, operator_certificate);
    tcase_add_test(tc, user_ca_and_the_move_to_it);
    tcase_add_test(tc, init_takes_what_the_operator_issued);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
