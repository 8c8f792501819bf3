/* How `kubectl berth health` reaches a broker (plugin/broker_link.h) and
 * what it says when it cannot: cluster.json read as berth-operator writes
 * it, and refused with the member named when it is not JSON or lacks the
 * Secret or the replication port; the Secret's CA and sidecar pair
 * decoded, a missing key or bad base64 named; Ready brokers tried first.
 * Then the command against a scripted API server: exit 2 without one
 * cluster name or with -A; exit 1 with the reason on stderr for an
 * unknown cluster, a missing ConfigMap (berth-operator creates it), a
 * malformed cluster.json, a Secret the user may not get, and a
 * port-forward the API server refuses (the RBAC it takes). With --direct:
 * the listener named by --listener, else the first the plugin can dial;
 * --listener without --direct exit 2; a SASL listener or one cluster.json
 * does not describe refused with exit 1 naming it, before the Secret is
 * read; a plaintext listener dialled at the broker's address in the
 * status, with no Secret read. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/broker_link.h"
#include "plugin/plugin.h"
#include "support/api_script.h"
#include "support/kube_test.h"
#include "support/loopback.h"
#include "support/pki.h"
#include "support/plugin_cmd.h"

#define WHAT "kafka/demo-brokers"

/* cluster.json as berth-operator writes it (operator/desired_brokers_cm.c). */
static const char doc_text[] =
    "{\"name\":\"demo\",\"namespace\":\"kafka\",\"flavor\":\"kafka\",\"clusterID\":"
    "\"MkU3OEVBNTcwNTJENDM2Qg\",\"controllers\":3,\"clusterDomain\":\"cluster.local\","
    "\"controllerPort\":9093,\"clusterTLS\":{\"secret\":\"demo-broker-certs\","
    "\"replicationPort\":9091},\"listeners\":[],\"config\":{}}";

/* pl_cluster_doc_parse's message for text, which must be refused. */
static const char *refusal(const char *text)
{
    static util_err err;
    pl_cluster_doc d;

    memset(&err, 0, sizeof err);
    ck_assert_int_eq(pl_cluster_doc_parse(text, WHAT, &d, &err), -1);
    return err.msg;
}

START_TEST(cluster_json_names_the_secret_and_the_replication_port)
{
    pl_cluster_doc d;
    util_err err = {{0}};

    ck_assert_msg(pl_cluster_doc_parse(doc_text, WHAT, &d, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(d.flavor, "kafka");
    ck_assert_str_eq(d.secret, "demo-broker-certs");
    ck_assert_int_eq(d.replication_port, 9091);
    ck_assert_int_eq(pl_cluster_doc_parse("{\"flavor\":\"redpanda\",\"clusterTLS\":{\"secret\":"
                                          "\"x\",\"replicationPort\":1}}",
                                          WHAT, &d, &err),
                     0);
    ck_assert_str_eq(d.flavor, "redpanda");
    ck_assert_int_eq(pl_cluster_doc_parse("{\"clusterTLS\":{\"secret\":\"x\",\"replicationPort\":"
                                          "65535}}",
                                          WHAT, &d, &err),
                     0);
    ck_assert_str_eq(d.flavor, "kafka"); /* absent: kafka */
}
END_TEST

START_TEST(a_malformed_cluster_json_is_refused_naming_what_is_wrong)
{
    ck_assert_str_eq(refusal("{\"clusterTLS\":"),
                     "ConfigMap " WHAT ": cluster.json: not a JSON object");
    ck_assert_str_eq(refusal("[]"), "ConfigMap " WHAT ": cluster.json: not a JSON object");
    ck_assert_str_eq(refusal("{\"flavor\":\"kafka\"}"),
                     "ConfigMap " WHAT ": cluster.json: clusterTLS: missing");
    ck_assert_str_eq(refusal("{\"clusterTLS\":{\"replicationPort\":9091}}"),
                     "ConfigMap " WHAT ": cluster.json: clusterTLS.secret: missing");
    ck_assert_str_eq(refusal("{\"clusterTLS\":{\"secret\":\"s\"}}"),
                     "ConfigMap " WHAT ": cluster.json: clusterTLS.replicationPort: missing");
    ck_assert_str_eq(refusal("{\"clusterTLS\":{\"secret\":\"s\",\"replicationPort\":\"9091\"}}"),
                     "ConfigMap " WHAT
                     ": cluster.json: clusterTLS.replicationPort: not an integer");
    ck_assert_ptr_nonnull(
        strstr(refusal("{\"clusterTLS\":{\"secret\":\"s\",\"replicationPort\":70000}}"),
               "clusterTLS.replicationPort: 70000 out of range"));
    ck_assert_str_eq(refusal("{\"clusterTLS\":{\"secret\":\"\",\"replicationPort\":9091}}"),
                     "ConfigMap " WHAT
                     ": cluster.json: clusterTLS.secret: \"\" is not a Secret name");
    ck_assert_str_eq(
        refusal(
            "{\"flavor\":\"zookeeper\",\"clusterTLS\":{\"secret\":\"s\",\"replicationPort\":1}}"),
        "ConfigMap " WHAT ": cluster.json: flavor: \"zookeeper\" is neither kafka nor redpanda");
}
END_TEST

/* A broker-certs Secret with the given PEM texts (NULL: key left out). */
static cJSON *secret_of(const char *ca, const char *crt, const char *key)
{
    static const char *const keys[] = {"ca.crt", "sidecar.crt", "sidecar.key"};
    const char *vals[] = {ca, crt, key};
    cJSON *s = kt_json("{\"metadata\":{\"name\":\"demo-broker-certs\"},\"data\":{\"demo-0.key\":"
                       "\"c2VjcmV0\"}}");

    for (int i = 0; i < 3; i++) {
        char *b64 = vals[i] != NULL ? pki_base64(vals[i], strlen(vals[i])) : NULL;

        if (b64 != NULL)
            cJSON_AddStringToObject(cJSON_GetObjectItem(s, "data"), keys[i], b64);
        free(b64);
    }
    return s;
}

START_TEST(the_secret_gives_the_ca_and_the_sidecar_pair)
{
    cJSON *s = secret_of("CA", "CERT", "KEY");
    pl_broker_creds c;
    util_err err = {{0}};

    ck_assert_msg(pl_broker_creds_take(s, "kafka/demo-broker-certs", &c, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(c.ca_pem, "CA");
    ck_assert_str_eq(c.cert_pem, "CERT");
    ck_assert_str_eq(c.key_pem, "KEY");
    ck_assert_int_eq(c.key_len, 3);
    pl_broker_creds_clear(&c);
    ck_assert_ptr_null(c.key_pem);
    pl_broker_creds_clear(&c); /* twice: a no-op */
    cJSON_Delete(s);
    s = secret_of("CA", "CERT", NULL);
    ck_assert_int_eq(pl_broker_creds_take(s, "kafka/demo-broker-certs", &c, &err), -1);
    ck_assert_str_eq(err.msg,
                     "Secret kafka/demo-broker-certs has no sidecar.key: berth-operator writes it");
    ck_assert_ptr_null(c.ca_pem);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(s, "data"), "ca.crt", cJSON_CreateString("!!"));
    ck_assert_int_eq(pl_broker_creds_take(s, "kafka/demo-broker-certs", &c, &err), -1);
    ck_assert_str_eq(err.msg, "Secret kafka/demo-broker-certs: ca.crt is not base64");
    cJSON_Delete(s);
}
END_TEST

START_TEST(ready_brokers_are_tried_first)
{
    cJSON *st = kt_json("[{\"id\":0,\"pod\":\"demo-0\",\"ready\":false},{\"id\":1,\"ready\":false},"
                        "{\"id\":2,\"pod\":\"demo-2\",\"ready\":true},{\"id\":3,\"pod\":\"demo-3\","
                        "\"ready\":true}]");
    int32_t ids[8];

    ck_assert_int_eq(pl_broker_candidates(st, -1, ids, 8), 4);
    ck_assert_int_eq(ids[0], 2);
    ck_assert_int_eq(ids[1], 3);
    ck_assert_int_eq(ids[2], 0); /* a pod, not Ready */
    ck_assert_int_eq(ids[3], 1); /* no pod */
    ck_assert_int_eq(pl_broker_candidates(st, -1, ids, 2), 2);
    ck_assert_int_eq(pl_broker_candidates(NULL, -1, ids, 8), 1); /* no status yet */
    ck_assert_int_eq(ids[0], 0);
    cJSON_Delete(st);
}
END_TEST

/* cluster.json with listeners (name, securityProtocol, clusterCert?). */
static void doc_with(pl_cluster_doc *d, const char *listeners)
{
    char text[1024];
    util_err err = {{0}};

    snprintf(text, sizeof text,
             "{\"clusterTLS\":{\"secret\":\"s\",\"replicationPort\":9091},\"listeners\":%s}",
             listeners);
    ck_assert_msg(pl_cluster_doc_parse(text, WHAT, d, &err) == 0, "%s", err.msg);
}

START_TEST(direct_dials_the_named_listener_or_the_first_the_plugin_can)
{
    pl_cluster_doc d;
    util_err err = {{0}};
    bool tls = false;

    doc_with(&d, "[{\"name\":\"sasl\",\"securityProtocol\":\"SASL_SSL\"},{\"name\":\"user\","
                 "\"securityProtocol\":\"SSL\"},{\"name\":\"tls\",\"securityProtocol\":\"SSL\","
                 "\"clusterCert\":true},{\"name\":\"external\",\"securityProtocol\":"
                 "\"PLAINTEXT\"}]");
    ck_assert_int_eq(pl_direct_listener(&d, NULL, &tls, &err), 2);
    ck_assert(tls);
    ck_assert_int_eq(pl_direct_listener(&d, "external", &tls, &err), 3);
    ck_assert(!tls);
    ck_assert_int_eq(pl_direct_listener(&d, "sasl", &tls, &err), -1);
    ck_assert_str_eq(err.msg, "--direct: listener sasl is SASL_SSL: the plugin has no SASL "
                              "credentials; drop --direct to reach the broker through the API "
                              "server's port-forward");
    ck_assert_int_eq(pl_direct_listener(&d, "user", &tls, &err), -1);
    ck_assert_msg(strstr(err.msg, "listener user is SSL with the certificate of a user's Secret") !=
                      NULL,
                  "%s", err.msg);
    ck_assert_int_eq(pl_direct_listener(&d, "nope", &tls, &err), -1);
    ck_assert_str_eq(err.msg,
                     "--direct: no listener \"nope\" (its listeners: sasl, user, tls, external)");
    doc_with(&d, "[{\"name\":\"sasl\",\"securityProtocol\":\"SASL_PLAINTEXT\"}]");
    ck_assert_int_eq(pl_direct_listener(&d, NULL, &tls, &err), -1);
    ck_assert_msg(strstr(err.msg, "--direct: the plugin can dial none of the listeners (sasl)") ==
                          err.msg &&
                      strstr(err.msg, "drop --direct") != NULL,
                  "%s", err.msg);
    doc_with(&d, "[]");
    ck_assert_int_eq(pl_direct_listener(&d, NULL, &tls, &err), -1);
    ck_assert_msg(strstr(err.msg, "describes no client listener") != NULL, "%s", err.msg);
}
END_TEST

/* ---- the command against a scripted API server ---- */

static plugin_cmd P;

static void api_setup(void)
{
    plugin_cmd_start(&P, "health");
}

static void api_teardown(void)
{
    plugin_cmd_stop(&P);
}

/* Runs `health arg` (NULL: no argument); returns its exit status and
 * leaves what it wrote on stderr in err. */
static int health(const char *arg, char *err, size_t size)
{
    return plugin_cmd_run(&P, pl_cmd_health, arg, err, size);
}

static const char cr[] = "{\"metadata\":{\"name\":\"demo\",\"namespace\":\"default\"},\"status\":"
                         "{\"brokers\":[{\"id\":0,\"pod\":\"demo-0\",\"ready\":true}]}}";

/* The ConfigMap demo-brokers holding cluster.json text (a JSON string). */
static void answer_configmap(const char *doc_json_string)
{
    char body[1024];

    snprintf(body, sizeof body, "{\"data\":{\"cluster.json\":%s}}", doc_json_string);
    api_script_answer(P.api, "GET", "/configmaps/demo-brokers", 200, body, 1);
}

START_TEST(health_takes_one_cluster_of_one_namespace)
{
    char err[1024];

    ck_assert_int_eq(health(NULL, err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: health takes one KafkaCluster name\n");
    P.ctx.namespace = NULL;
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: health works in one namespace, not -A\n");
    ck_assert_int_eq(api_script_count(P.api), 0);
}
END_TEST

START_TEST(health_names_what_is_missing)
{
    char err[1024];
    cJSON *d = cJSON_CreateString(doc_text);
    char *doc_string = cJSON_PrintUnformatted(d);

    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 404, "{}", 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err,
                     "kubectl-berth: KafkaCluster \"demo\" not found in namespace \"default\"\n");
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 4);
    api_script_answer(P.api, "GET", "/configmaps/demo-brokers", 404, "{}", 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_msg(strstr(err, "KafkaCluster demo: ConfigMap default/demo-brokers not found: "
                              "berth-operator creates it") != NULL,
                  "%s", err);
    answer_configmap("\"{\\\"flavor\\\":\\\"kafka\\\"}\"");
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: KafkaCluster demo: ConfigMap default/demo-brokers: "
                          "cluster.json: clusterTLS: missing\n");
    answer_configmap(doc_string);
    api_script_answer(P.api, "GET", "/secrets/demo-broker-certs", 403, "{}", 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_msg(strstr(err, "not allowed to get Secret default/demo-broker-certs") != NULL &&
                      strstr(err, "health needs get on secrets in namespace default") != NULL,
                  "%s", err);
    free(doc_string);
    cJSON_Delete(d);
}
END_TEST

/* KafkaCluster demo whose broker 0 is at hostport on listeners sasl
 * (SASL_SSL), external (PLAINTEXT) and tls (SSL with the cluster CA's
 * certificate), times over, and its cluster.json. */
static void answer_direct_cluster(const char *hostport, int times)
{
    char body[1024];
    static const char cm[] =
        "{\"data\":{\"cluster.json\":\"{\\\"clusterTLS\\\":{\\\"secret\\\":"
        "\\\"demo-broker-certs\\\",\\\"replicationPort\\\":9091},\\\"listeners\\\":[{"
        "\\\"name\\\":\\\"sasl\\\",\\\"securityProtocol\\\":\\\"SASL_SSL\\\"},{"
        "\\\"name\\\":\\\"external\\\",\\\"securityProtocol\\\":\\\"PLAINTEXT\\\"},{"
        "\\\"name\\\":\\\"tls\\\",\\\"securityProtocol\\\":\\\"SSL\\\",\\\"clusterCert\\\":true}]}"
        "\"}}";

    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"demo\",\"namespace\":\"default\"},\"status\":"
             "{\"brokers\":[{\"id\":0,\"pod\":\"demo-0\",\"ready\":true,\"listeners\":"
             "{\"sasl\":\"%s\",\"external\":\"%s\",\"tls\":\"%s\"}}]}}",
             hostport, hostport, hostport);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, body, times);
    api_script_answer(P.api, "GET", "/configmaps/demo-brokers", 200, cm, times);
}

/* True when the API server was asked for path_part. */
static bool asked_for(const char *path_part)
{
    for (int i = 0; i < api_script_count(P.api); i++)
        if (strstr(api_script_request(P.api, i)->path, path_part) != NULL)
            return true;
    return false;
}

START_TEST(listener_needs_direct_and_direct_refuses_what_it_cannot_dial)
{
    char err[2048];

    P.opts.listener = "external";
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: --listener goes with --direct (health)\n");
    ck_assert_int_eq(api_script_count(P.api), 0);
    P.opts.direct = true;
    P.opts.listener = "sasl";
    answer_direct_cluster("127.0.0.1:1", 2);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: KafkaCluster demo: --direct: listener sasl is SASL_SSL: "
                          "the plugin has no SASL credentials; drop --direct to reach the broker "
                          "through the API server's port-forward\n");
    P.opts.listener = "internal";
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: KafkaCluster demo: --direct: no listener \"internal\" "
                          "(its listeners: sasl, external, tls)\n");
    ck_assert(!asked_for("/secrets/"));
    ck_assert(!asked_for("/portforward"));
}
END_TEST

START_TEST(direct_dials_the_address_in_the_status_on_the_first_plaintext_listener)
{
    char err[2048], hostport[64], want[256];
    int port, fd = lo_listen(1, &port);

    close(fd); /* nothing listens there now */
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", port);
    P.opts.direct = true;
    answer_direct_cluster(hostport, 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    snprintf(want, sizeof want,
             "kubectl-berth: KafkaCluster demo: Kafka at %s (listener external, "
             "plaintext)",
             hostport);
    ck_assert_msg(strstr(err, want) == err, "%s", err);
    ck_assert(!asked_for("/secrets/")); /* plaintext: no CA needed */
    ck_assert(!asked_for("/portforward"));
}
END_TEST

START_TEST(direct_over_tls_reads_the_ca_certificate_only)
{
    char err[2048], hostport[64], want[256], *ca, *ca_key, *b64, secret[4096];
    int port, fd = lo_listen(1, &port);

    close(fd); /* nothing listens there now */
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", port);
    P.opts.direct = true;
    P.opts.listener = "tls";
    answer_direct_cluster(hostport, 2);
    api_script_answer(P.api, "GET", "/secrets/demo-cluster-ca-cert", 403, "{}", 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: KafkaCluster demo: not allowed to get Secret "
                          "default/demo-cluster-ca-cert (the cluster CA's certificate, to "
                          "verify the brokers): health needs get on secrets in "
                          "namespace default\n");
    pki_self_signed("demo-ca", &ca, &ca_key);
    b64 = pki_base64(ca, strlen(ca));
    snprintf(secret, sizeof secret, "{\"data\":{\"ca.crt\":\"%s\"}}", b64);
    api_script_answer(P.api, "GET", "/secrets/demo-cluster-ca-cert", 200, secret, 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    snprintf(want, sizeof want,
             "kubectl-berth: KafkaCluster demo: Kafka at %s (listener tls, TLS verified against "
             "the cluster CA)",
             hostport);
    ck_assert_msg(strstr(err, want) == err, "%s", err);
    ck_assert(!asked_for("/secrets/demo-broker-certs")); /* no broker's key is read */
    ck_assert(!asked_for("/portforward"));
    free(b64);
    free(ca);
    free(ca_key);
}
END_TEST

START_TEST(a_refused_port_forward_says_which_right_it_takes)
{
    char err[2048], *ca, *ca_key, *crt, *key, *doc_string;
    cJSON *d = cJSON_CreateString(doc_text), *secret;
    char *secret_text;

    pki_self_signed("demo-ca", &ca, &ca_key);
    pki_issue_client(ca, ca_key, "berth-sidecar", NULL, &crt, &key);
    secret = secret_of(ca, crt, key);
    secret_text = cJSON_PrintUnformatted(secret);
    doc_string = cJSON_PrintUnformatted(d);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 1);
    answer_configmap(doc_string);
    api_script_answer(P.api, "GET", "/secrets/demo-broker-certs", 200, secret_text, 1);
    api_script_answer(P.api, "GET", "/pods/demo-0/portforward", 403, "{}", 1);
    ck_assert_int_eq(health("demo", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_msg(strstr(err, "kubectl-berth: KafkaCluster demo: port-forward to pod "
                              "default/demo-0 port 9091: 403 Forbidden") != NULL &&
                      strstr(err, "get and create on pods/portforward in namespace default") !=
                          NULL,
                  "%s", err);
    free(secret_text);
    free(doc_string);
    free(ca);
    free(ca_key);
    free(crt);
    free(key);
    cJSON_Delete(secret);
    cJSON_Delete(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugin_health_link");
    TCase *tc = tcase_create("parse"), *cmd = tcase_create("command");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, cluster_json_names_the_secret_and_the_replication_port);
    tcase_add_test(tc, a_malformed_cluster_json_is_refused_naming_what_is_wrong);
    tcase_add_test(tc, the_secret_gives_the_ca_and_the_sidecar_pair);
    tcase_add_test(tc, ready_brokers_are_tried_first);
    tcase_add_test(tc, direct_dials_the_named_listener_or_the_first_the_plugin_can);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(cmd, api_setup, api_teardown);
    tcase_set_timeout(cmd, 30);
    tcase_add_test(cmd, health_takes_one_cluster_of_one_namespace);
    tcase_add_test(cmd, health_names_what_is_missing);
    tcase_add_test(cmd, a_refused_port_forward_says_which_right_it_takes);
    tcase_add_test(cmd, listener_needs_direct_and_direct_refuses_what_it_cannot_dial);
    tcase_add_test(cmd, direct_dials_the_address_in_the_status_on_the_first_plaintext_listener);
    tcase_add_test(cmd, direct_over_tls_reads_the_ca_certificate_only);
    suite_add_tcase(s, cmd);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
