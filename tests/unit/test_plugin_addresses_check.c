/* What `kubectl berth addresses --check` makes of an address
 * (plugin/addresses_check.h): ok when the Metadata answered there lists
 * that host:port under the expected broker id (hosts without case, IPv6
 * literals in brackets), wrong broker when under another id, not
 * advertised when not at all (saying where the broker is listed instead);
 * a listener dialled plaintext or with the cluster CA as cluster.json
 * describes it, and not checked, with the reason, for SASL or a user's
 * certificate. Then the command against a scripted API server: --listener
 * without --check is a usage error, a listener the cluster lacks is named
 * (exit 1), an address nobody listens on is unreachable (exit 3) and a
 * SASL listener is not checked and does not fail the check (exit 0). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/addresses_check.h"
#include "plugin/broker_link.h"
#include "plugin/plugin.h"
#include "support/api_script.h"
#include "support/loopback.h"
#include "support/plugin_cmd.h"

/* Metadata as the brokers of demo answer it on the external listener. */
static kafka_metadata_broker brokers[] = {
    {.node_id = 0, .host = "node-a.example", .port = 30000},
    {.node_id = 1, .host = "node-b.example", .port = 30001},
    {.node_id = 2, .host = "fd00::2", .port = 30002},
};
static const kafka_metadata md = {.n_brokers = 3, .brokers = brokers};

static pl_check_verdict judge(int32_t id, const char *hostport, char *detail, size_t size)
{
    return pl_check_judge(&md, id, hostport, detail, size);
}

START_TEST(an_address_listed_under_its_broker_is_ok)
{
    char d[256];

    ck_assert_int_eq(judge(0, "node-a.example:30000", d, sizeof d), PL_CHECK_OK);
    ck_assert_str_eq(d, "");
    ck_assert_int_eq(judge(0, "NODE-A.example:30000", d, sizeof d), PL_CHECK_OK);
    ck_assert_int_eq(judge(2, "[fd00::2]:30002", d, sizeof d), PL_CHECK_OK);
    ck_assert_str_eq(pl_check_verdict_name(PL_CHECK_OK), "ok");
}
END_TEST

START_TEST(an_address_listed_under_another_id_is_the_wrong_broker)
{
    char d[256];

    ck_assert_int_eq(judge(0, "node-b.example:30001", d, sizeof d), PL_CHECK_WRONG_BROKER);
    ck_assert_str_eq(d, "Metadata lists this address under broker 1");
    /* Broker 3 is not in the answer, yet its address is someone else's. */
    ck_assert_int_eq(judge(3, "node-a.example:30000", d, sizeof d), PL_CHECK_WRONG_BROKER);
    ck_assert_str_eq(d, "Metadata lists this address under broker 0");
    ck_assert_str_eq(pl_check_verdict_name(PL_CHECK_WRONG_BROKER), "wrong broker");
}
END_TEST

START_TEST(an_address_not_listed_is_not_advertised_saying_where_the_broker_is)
{
    char d[256];

    ck_assert_int_eq(judge(0, "node-a.example:30009", d, sizeof d), PL_CHECK_NOT_ADVERTISED);
    ck_assert_str_eq(d, "Metadata lists broker 0 at node-a.example:30000");
    ck_assert_int_eq(judge(1, "demo-1.demo-brokers.kafka.svc:9092", d, sizeof d),
                     PL_CHECK_NOT_ADVERTISED);
    ck_assert_str_eq(d, "Metadata lists broker 1 at node-b.example:30001");
    ck_assert_int_eq(judge(5, "node-e.example:30005", d, sizeof d), PL_CHECK_NOT_ADVERTISED);
    ck_assert_str_eq(d, "Metadata does not list broker 5");
    /* Not host:port at all: nothing can list it. */
    ck_assert_int_eq(judge(0, "node-a.example", d, sizeof d), PL_CHECK_NOT_ADVERTISED);
    ck_assert_int_eq(judge(0, "node-a.example:x", d, sizeof d), PL_CHECK_NOT_ADVERTISED);
    ck_assert_str_eq(pl_check_verdict_name(PL_CHECK_NOT_ADVERTISED), "not advertised");
    ck_assert_str_eq(pl_check_verdict_name(PL_CHECK_UNREACHABLE), "unreachable");
    ck_assert_str_eq(pl_check_verdict_name(PL_CHECK_NOT_CHECKED), "not checked");
}
END_TEST

/* cluster.json as berth-operator writes it (operator/desired_brokers_cm.c),
 * with one listener of each kind. */
#define DOC_HEAD                                                                                   \
    "{\"flavor\":\"kafka\",\"clusterTLS\":{\"secret\":\"demo-broker-certs\","                      \
    "\"replicationPort\":9091},\"listeners\":["
static const char doc_text[] = DOC_HEAD
    "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
    "\"PLAINTEXT\"},{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
    "\"securityProtocol\":\"SSL\",\"clusterCert\":true},{\"name\":\"mine\",\"port\":9095,"
    "\"type\":\"nodeport\",\"securityProtocol\":\"SSL\"},{\"name\":\"sasl\",\"port\":9096,"
    "\"type\":\"nodeport\",\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"PLAIN\"}]}";

START_TEST(each_listener_is_dialled_as_cluster_json_describes_it)
{
    pl_cluster_doc doc;
    util_err err = {{0}};
    char why[256];

    ck_assert_msg(pl_cluster_doc_parse(doc_text, "kafka/demo-brokers", &doc, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(doc.nlisteners, 4);
    ck_assert_int_eq(pl_check_how(&doc, "internal", why, sizeof why), PL_DIAL_PLAINTEXT);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(pl_check_how(&doc, "external", why, sizeof why), PL_DIAL_CLUSTER_TLS);
    ck_assert_int_eq(pl_check_how(&doc, "mine", why, sizeof why), PL_DIAL_NONE);
    ck_assert_str_eq(why,
                     "SSL with the certificate of a user's Secret: the plugin has no CA for it");
    ck_assert_int_eq(pl_check_how(&doc, "sasl", why, sizeof why), PL_DIAL_NONE);
    ck_assert_str_eq(why, "SASL_SSL: the plugin has no SASL credentials");
    ck_assert_int_eq(pl_check_how(&doc, "other", why, sizeof why), PL_DIAL_NONE);
    ck_assert_str_eq(why, "cluster.json does not describe listener other");
}
END_TEST

START_TEST(a_listener_without_its_security_protocol_is_refused)
{
    pl_cluster_doc doc;
    util_err err = {{0}};

    ck_assert_int_eq(pl_cluster_doc_parse(DOC_HEAD "{\"name\":\"internal\"}]}",
                                          "kafka/demo-brokers", &doc, &err),
                     -1);
    ck_assert_str_eq(err.msg, "ConfigMap kafka/demo-brokers: cluster.json: "
                              "listeners[0].securityProtocol: missing");
    ck_assert_int_eq(doc.nlisteners, 0);
}
END_TEST

static plugin_cmd P;

static void api_setup(void)
{
    plugin_cmd_start(&P, "addresses");
    P.opts.check = true;
}

static void api_teardown(void)
{
    plugin_cmd_stop(&P);
}

/* Runs `addresses demo` with -o json: its exit status; stdout in out, stderr
 * in err. */
static int addresses(char *out, size_t out_size, char *err, size_t err_size)
{
    FILE *tmp = tmpfile();
    int saved = dup(1), rc;
    size_t n;

    ck_assert_ptr_nonnull(tmp);
    P.opts.output = PL_OUT_JSON;
    fflush(stdout);
    dup2(fileno(tmp), 1);
    rc = plugin_cmd_run(&P, pl_cmd_addresses, "demo", err, err_size);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, out_size - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

/* KafkaCluster demo, broker 0 at hostport on listeners internal and sasl,
 * its cluster.json, and no Nodes. */
static void answer_cluster(const char *hostport)
{
    char cr[1024];
    static const char cm[] =
        "{\"data\":{\"cluster.json\":\"{\\\"clusterTLS\\\":{\\\"secret\\\":\\\"demo-broker-"
        "certs\\\","
        "\\\"replicationPort\\\":9091},\\\"listeners\\\":[{\\\"name\\\":\\\"internal\\\","
        "\\\"securityProtocol\\\":\\\"PLAINTEXT\\\"},{\\\"name\\\":\\\"sasl\\\","
        "\\\"securityProtocol\\\":\\\"SASL_PLAINTEXT\\\"}]}\"}}";

    snprintf(
        cr, sizeof cr,
        "{\"metadata\":{\"name\":\"demo\",\"namespace\":\"default\"},\"status\":{\"brokers\":"
        "[{\"id\":0,\"pod\":\"demo-0\",\"listeners\":{\"internal\":\"%s\",\"sasl\":\"%s\"}}]}}",
        hostport, hostport);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 1);
    api_script_answer(P.api, "GET", "/configmaps/demo-brokers", 200, cm, 1);
    api_script_answer(P.api, "GET", "/nodes", 200, "{\"metadata\":{},\"items\":[]}", 1);
}

/* "127.0.0.1:<port>" where nothing listens (a port just let go of). */
static void closed_port(char *buf, size_t size)
{
    int port, fd = lo_listen(1, &port);

    close(fd);
    snprintf(buf, size, "127.0.0.1:%d", port);
}

START_TEST(listener_goes_with_check_and_must_be_the_clusters)
{
    char out[8192], err[1024];

    P.opts.check = false;
    P.opts.listener = "internal";
    ck_assert_int_eq(addresses(out, sizeof out, err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: --listener goes with --check\n");
    P.opts.direct = true;
    ck_assert_int_eq(addresses(out, sizeof out, err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: --direct is for health and drain-plan\n");
    ck_assert_int_eq(api_script_count(P.api), 0);
    P.opts.direct = false;
    P.opts.check = true;
    P.opts.listener = "external";
    answer_cluster("127.0.0.1:1");
    ck_assert_int_eq(addresses(out, sizeof out, err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: addresses --check: KafkaCluster default/demo has no "
                          "listener \"external\" (its listeners: internal, sasl)\n");
}
END_TEST

START_TEST(an_address_nobody_listens_on_is_unreachable_and_sasl_is_not_checked)
{
    char out[8192], err[1024], hostport[64];
    cJSON *doc, *check;

    closed_port(hostport, sizeof hostport);
    answer_cluster(hostport);
    ck_assert_int_eq(addresses(out, sizeof out, err, sizeof err), PL_EXIT_UNHEALTHY);
    doc = cJSON_Parse(out);
    check =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "brokers"), 0), "check");
    ck_assert_msg(check != NULL, "no check in %s", out);
    ck_assert_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(check, "internal"), "result")),
        "unreachable");
    ck_assert_ptr_nonnull(cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(check, "internal"), "detail")));
    ck_assert_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(check, "sasl"), "result")),
        "not checked");
    ck_assert_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(check, "sasl"), "detail")),
        "SASL_PLAINTEXT: the plugin has no SASL credentials");
    cJSON_Delete(doc);

    /* The SASL listener alone: nothing could be judged wrong. */
    P.opts.listener = "sasl";
    answer_cluster(hostport);
    ck_assert_int_eq(addresses(out, sizeof out, err, sizeof err), PL_EXIT_OK);
    doc = cJSON_Parse(out);
    check =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "brokers"), 0), "check");
    ck_assert_int_eq(cJSON_GetArraySize(check), 1);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(check, "sasl"));
    cJSON_Delete(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugin_addresses_check");
    TCase *tc = tcase_create("judge"), *cmd = tcase_create("command");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, an_address_listed_under_its_broker_is_ok);
    tcase_add_test(tc, an_address_listed_under_another_id_is_the_wrong_broker);
    tcase_add_test(tc, an_address_not_listed_is_not_advertised_saying_where_the_broker_is);
    tcase_add_test(tc, each_listener_is_dialled_as_cluster_json_describes_it);
    tcase_add_test(tc, a_listener_without_its_security_protocol_is_refused);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(cmd, api_setup, api_teardown);
    tcase_add_test(cmd, listener_goes_with_check_and_must_be_the_clusters);
    tcase_add_test(cmd, an_address_nobody_listens_on_is_unreachable_and_sasl_is_not_checked);
    suite_add_tcase(s, cmd);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
