/* The sidecar's config renderer (sidecar/render*.c) on the documents of the
 * <cluster>-brokers ConfigMap (docs/addressing.md): whole files compared
 * with golden files beside this test (tests/unit/golden/render/; rerun with
 * BERTH_UPDATE_GOLDEN=1 to rewrite them after a deliberate change) for a
 * Kafka broker-only node (and its JVM's security properties), a Kafka
 * controller+broker, TLS and SCRAM listeners, Kafka's log directory in its
 * volume (a subdirectory, or the root formatted before), Redpanda, a node known only
 * by a fallback address, node-port, host-port, load-balancer and template
 * listeners; the "waiting" outcome for every address that can be missing;
 * and a clear error naming the document and key for every kind of bad
 * data. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/init/render.h"
#include "support/props.h"
#include "support/slurp.h"

/* ---- fixtures ---- */

#define CLUSTER_FMT                                                                                \
    "{\"name\":\"demo\",\"namespace\":\"kafka\",\"flavor\":\"%s\","                                \
    "\"clusterID\":\"MkU3OEVBNTcwNTJENDM2Qg\",\"controllers\":3,"                                  \
    "\"clusterDomain\":\"cluster.local\",\"controllerPort\":9093,\"listeners\":[%s],"              \
    "\"config\":{%s}%s}"

#define L_INTERNAL                                                                                 \
    "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"             \
    "\"PLAINTEXT\"}"
#define L_NODEPORT                                                                                 \
    "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\",\"securityProtocol\":"             \
    "\"PLAINTEXT\"}"

#define NODES_STD                                                                                  \
    "{\"node-a\":{\"rack\":\"zone-a\",\"addresses\":{\"external\":\"203.0.113.10\"}},"             \
    "\"node-b\":{\"addresses\":{\"external\":\"203.0.113.11\"}}}"
#define BROKERS_STD                                                                                \
    "{\"0\":{\"external\":{\"port\":31090}},\"1\":{\"external\":{\"port\":31091}},"                \
    "\"4\":{\"external\":{\"port\":31094}}}"

static char cluster_buf[8192];

static const char *cluster(const char *flavor, const char *listeners, const char *config,
                           const char *extra)
{
    snprintf(cluster_buf, sizeof cluster_buf, CLUSTER_FMT, flavor, listeners, config, extra);
    return cluster_buf;
}

static sc_render_input input(const char *cluster_json, const char *nodes, const char *brokers,
                             const char *pod, const char *node)
{
    sc_render_input in = {0};

    in.cluster_json = cluster_json;
    in.nodes_json = nodes;
    in.brokers_json = brokers;
    in.pod_name = pod;
    in.node_name = node;
    return in;
}

/* ---- golden files ---- */

static char *golden_path(const char *name)
{
    const char *here = __FILE__, *slash = strrchr(here, '/');
    size_t dirlen = slash != NULL ? (size_t)(slash - here) : 1;
    char *p = malloc(dirlen + strlen(name) + 32);

    ck_assert_ptr_nonnull(p);
    sprintf(p, "%.*s/golden/render/%s", (int)dirlen, slash != NULL ? here : ".", name);
    return p;
}

/* Compares text with the golden file name, or rewrites it when asked. */
static void golden(const char *name, const char *text)
{
    char *path = golden_path(name), *want;
    const char *update = getenv("BERTH_UPDATE_GOLDEN");

    if (update != NULL && strcmp(update, "1") == 0) {
        FILE *f = fopen(path, "wb");
        ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
        fputs(text, f);
        fclose(f);
    }
    want = slurp_file(path, NULL);
    ck_assert_msg(want != NULL, "golden file %s is missing (BERTH_UPDATE_GOLDEN=1 writes it)",
                  path);
    ck_assert_msg(strcmp(want, text) == 0, "%s differs; got:\n%s", path, text);
    free(want);
    free(path);
}

/* Renders and expects success. */
static void render_ok(const sc_render_input *in, sc_render_result *out)
{
    util_err err = {{0}};
    int rc = sc_render(in, out, &err);

    ck_assert_msg(rc == 0, "sc_render returned %d: %s", rc, err.msg);
    ck_assert_ptr_nonnull(out->text);
}

/* Renders, expects rc, and that the message contains every given piece. */
static void render_expect(const sc_render_input *in, int want_rc, const char *piece1,
                          const char *piece2)
{
    sc_render_result out;
    util_err err = {{0}};
    int rc = sc_render(in, &out, &err);

    ck_assert_msg(rc == want_rc, "want %d, got %d (%s)", want_rc, rc, err.msg);
    ck_assert_ptr_null(out.text);
    ck_assert_msg(strstr(err.msg, piece1) != NULL, "\"%s\" not in \"%s\"", piece1, err.msg);
    if (piece2 != NULL)
        ck_assert_msg(strstr(err.msg, piece2) != NULL, "\"%s\" not in \"%s\"", piece2, err.msg);
    sc_render_result_clear(&out);
}

/* ---- Kafka ---- */

START_TEST(kafka_broker_only)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT, "", ""), NODES_STD,
                               BROKERS_STD, "demo-4", "node-b");
    sc_render_result out;
    char v[512];

    render_ok(&in, &out);
    ck_assert_int_eq(out.broker_id, 4);
    ck_assert(!out.voter);
    ck_assert_str_eq(out.cluster_id, "MkU3OEVBNTcwNTJENDM2Qg");
    ck_assert_str_eq(props_get(out.text, "process.roles", v, sizeof v), "broker");
    ck_assert_ptr_null(strstr(out.text, "CONTROLLER://0.0.0.0"));
    ck_assert_ptr_null(strstr(out.text, "broker.rack"));
    golden("kafka-broker-only.properties", out.text);
    /* The JVM caches name lookups no longer than cluster DNS does: a peer
     * restarted on a new pod IP is reached at it within seconds. */
    ck_assert_ptr_nonnull(out.java_security);
    golden("kafka-java.security", out.java_security);
    sc_render_result_clear(&out);
}
END_TEST

START_TEST(kafka_controller_broker)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT,
                                       "\"log.retention.hours\":\"168\","
                                       "\"min.insync.replicas\":\"2\","
                                       "\"ssl.endpoint.identification.algorithm\":\" \\\\x\u00e9\"",
                                       ""),
                               NODES_STD, BROKERS_STD, "demo-0", "node-a");
    sc_render_result out;
    char v[512];

    render_ok(&in, &out);
    ck_assert_int_eq(out.broker_id, 0);
    ck_assert(out.voter);
    ck_assert_str_eq(props_get(out.text, "process.roles", v, sizeof v), "broker,controller");
    ck_assert_str_eq(props_get(out.text, "broker.rack", v, sizeof v), "zone-a");
    /* Properties escapes: leading blank, backslash, non-ASCII. */
    ck_assert_str_eq(props_get(out.text, "ssl.endpoint.identification.algorithm", v, sizeof v),
                     "\\ \\\\x\\u00E9");
    golden("kafka-controller-broker.properties", out.text);
    sc_render_result_clear(&out);
}
END_TEST

/* The owned-key patterns refuse whole families (bad_listeners) but not
 * their neighbours: a user listener's other settings, the global ssl.*
 * defaults and a key that merely contains "sasl.jaas.config" pass through. */
START_TEST(config_beside_owned_keys_passes)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT,
                                       "\"listener.name.external.max.connections\":\"50\","
                                       "\"ssl.cipher.suites\":\"TLS_AES_256_GCM_SHA384\","
                                       "\"sasl.jaas.config.note\":\"x\"",
                                       ""),
                               NODES_STD, BROKERS_STD, "demo-0", "node-a");
    sc_render_result out;
    char v[512];

    render_ok(&in, &out);
    ck_assert_str_eq(props_get(out.text, "listener.name.external.max.connections", v, sizeof v),
                     "50");
    ck_assert_str_eq(props_get(out.text, "ssl.cipher.suites", v, sizeof v),
                     "TLS_AES_256_GCM_SHA384");
    ck_assert_str_eq(props_get(out.text, "sasl.jaas.config.note", v, sizeof v), "x");
    sc_render_result_clear(&out);
}
END_TEST

/* The cluster's mutual TLS: berth's REPLICATION listener carries
 * inter-broker traffic, and it and CONTROLLER want a client certificate. */
START_TEST(kafka_cluster_tls)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT, "",
                                       ",\"clusterTLS\":{\"secret\":\"demo-broker-certs\","
                                       "\"replicationPort\":9091}"),
                               NODES_STD, BROKERS_STD, "demo-0", "node-a");
    sc_render_result out;
    char v[1024];

    render_ok(&in, &out);
    ck_assert_str_eq(out.cluster_tls_secret, "demo-broker-certs");
    ck_assert_str_eq(out.pod_dns, "demo-0.demo-brokers.kafka.svc.cluster.local");
    ck_assert_str_eq(props_get(out.text, "inter.broker.listener.name", v, sizeof v), "REPLICATION");
    ck_assert_ptr_nonnull(strstr(props_get(out.text, "listener.security.protocol.map", v, sizeof v),
                                 "REPLICATION:SSL,CONTROLLER:SSL"));
    ck_assert_ptr_nonnull(
        strstr(props_get(out.text, "advertised.listeners", v, sizeof v),
               ",REPLICATION://demo-0.demo-brokers.kafka.svc.cluster.local:9091,"));
    ck_assert_str_eq(props_get(out.text, "listener.name.controller.ssl.client.auth", v, sizeof v),
                     "required");
    ck_assert_str_eq(props_get(out.text, "listener.name.replication.ssl.client.auth", v, sizeof v),
                     "required");
    golden("kafka-cluster-tls.properties", out.text);
    sc_render_result_clear(&out);

    /* A listener served with the cluster CA's certificate: its key store is
     * the broker's, and the certificate must name what it advertises. */
    in = input(cluster("kafka",
                       L_INTERNAL ",{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                                  "\"securityProtocol\":\"SSL\",\"clusterCert\":true}",
                       "",
                       ",\"clusterTLS\":{\"secret\":\"demo-broker-certs\","
                       "\"replicationPort\":9091}"),
               NODES_STD, BROKERS_STD, "demo-0", "node-a");
    render_ok(&in, &out);
    ck_assert_int_eq(out.ntls, 0); /* no Secret of its own to bundle */
    ck_assert_int_eq(out.ncert_hosts, 1);
    ck_assert_str_eq(out.cert_hosts[0], "203.0.113.10");
    ck_assert_str_eq(
        props_get(out.text, "listener.name.external.ssl.keystore.location", v, sizeof v),
        "/etc/berth/config/cluster-tls/keystore.pem");
    ck_assert_str_eq(
        props_get(out.text, "listener.name.external.ssl.truststore.location", v, sizeof v),
        "/etc/berth/config/cluster-tls/ca.pem");
    sc_render_result_clear(&out);

    /* An internal listener with TLS and SASL needs no inter-broker login
     * then: the brokers use REPLICATION. */
    in = input(cluster("kafka",
                       "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\","
                       "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-512\"}",
                       "",
                       ",\"clusterTLS\":{\"secret\":\"demo-broker-certs\","
                       "\"replicationPort\":9091}"),
               NODES_STD, BROKERS_STD, "demo-0", "node-a");
    render_ok(&in, &out);
    ck_assert_ptr_null(strstr(out.text, "sasl.mechanism.inter.broker.protocol"));
    ck_assert_ptr_null(strstr(out.text, "username="));
    ck_assert_str_eq(props_get(out.text, "inter.broker.listener.name", v, sizeof v), "REPLICATION");
    sc_render_result_clear(&out);

    /* Redpanda: the RPC server over mutual TLS. */
    in = input(
        cluster("redpanda", L_INTERNAL, "",
                ",\"clusterTLS\":{\"secret\":\"demo-broker-certs\",\"replicationPort\":9091}"),
        NODES_STD, BROKERS_STD, "demo-1", "node-a");
    render_ok(&in, &out);
    ck_assert_ptr_nonnull(strstr(out.text, "  rpc_server_tls:\n    enabled: true\n"
                                           "    require_client_auth: true\n"));
    ck_assert_ptr_nonnull(
        strstr(out.text, "truststore_file: /etc/berth/config/cluster-tls/ca.pem"));
    sc_render_result_clear(&out);
}
END_TEST

START_TEST(kafka_tls_scram)
{
    sc_render_input in =
        input(cluster("kafka",
                      "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\","
                      "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-512\"},"
                      "{\"name\":\"external\",\"port\":9094,\"type\":\"loadbalancer\","
                      "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-256\"},"
                      "{\"name\":\"tls\",\"port\":9095,\"type\":\"internal\","
                      "\"securityProtocol\":\"SSL\"}",
                      "", ""),
              "{}", "{\"2\":{\"external\":{\"host\":\"lb-2.example.com\"}}}", "demo-2", "node-a");
    sc_render_result out;
    util_err err = {{0}};

    /* Two internal listeners: refused. */
    ck_assert_int_eq(sc_render(&in, &out, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "exactly one must"));

    in.cluster_json =
        cluster("kafka",
                "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\","
                "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-512\"},"
                "{\"name\":\"external\",\"port\":9094,\"type\":\"loadbalancer\","
                "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-256\"},"
                "{\"name\":\"tls\",\"port\":9095,\"type\":\"hostport\","
                "\"securityProtocol\":\"SSL\"}",
                "", "");
    in.nodes_json = "{\"node-a\":{\"addresses\":{\"tls\":\"node-a.example.com\"}}}";
    /* No inter-broker login: refused, naming the listener. */
    render_expect(&in, -1, "listener \"internal\" uses SASL", "username");
    in.sasl_username = "berth-admin";
    in.sasl_password = "pa\"ss\\word";
    render_ok(&in, &out);
    ck_assert_int_eq(out.ntls, 3);
    ck_assert_str_eq(out.tls_listeners[0], "internal");
    ck_assert_str_eq(out.tls_listeners[2], "tls");
    ck_assert_ptr_nonnull(strstr(out.text, "EXTERNAL://lb-2.example.com:9094"));
    ck_assert_ptr_nonnull(strstr(out.text, "TLS://node-a.example.com:9095"));
    golden("kafka-tls-scram.properties", out.text);
    sc_render_result_clear(&out);
}
END_TEST

/* A node port listener advertises the broker's node port from brokers.json,
 * never the port the container listens on. */
START_TEST(kafka_nodeport_advertises_node_port)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT, "", ""), NODES_STD,
                               BROKERS_STD, "demo-1", "node-b");
    sc_render_result out;
    char v[512];

    render_ok(&in, &out);
    ck_assert_str_eq(props_get(out.text, "advertised.listeners", v, sizeof v),
                     "INTERNAL://demo-1.demo-brokers.kafka.svc.cluster.local:9092,"
                     "EXTERNAL://203.0.113.11:31091,"
                     "CONTROLLER://demo-1.demo-brokers.kafka.svc.cluster.local:9093");
    ck_assert_str_eq(props_get(out.text, "listeners", v, sizeof v),
                     "INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093");
    golden("kafka-nodeport.properties", out.text);
    sc_render_result_clear(&out);
}
END_TEST

/* The operator chose the node's address by preference with fallback
 * (docs/addressing.md): a node without an ExternalIP is known here by its
 * InternalIP or hostname, which is advertised as given; an IPv6 literal is
 * bracketed. */
START_TEST(kafka_node_fallback_address)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT, "", ""),
                               "{\"node-c\":{\"addresses\":{\"external\":\"node-c.lan\"}},"
                               "\"node-d\":{\"addresses\":{\"external\":\"fd00::7\"}}}",
                               BROKERS_STD, "demo-4", "node-c");
    sc_render_result out;

    render_ok(&in, &out);
    ck_assert_ptr_nonnull(strstr(out.text, "EXTERNAL://node-c.lan:31094"));
    golden("kafka-node-fallback.properties", out.text);
    sc_render_result_clear(&out);
    in.node_name = "node-d";
    render_ok(&in, &out);
    ck_assert_ptr_nonnull(strstr(out.text, "EXTERNAL://[fd00::7]:31094"));
    sc_render_result_clear(&out);
}
END_TEST

START_TEST(kafka_hostport_and_template)
{
    sc_render_input in =
        input(cluster("kafka",
                      L_INTERNAL ",{\"name\":\"host\",\"port\":9095,\"type\":\"hostport\","
                                 "\"securityProtocol\":\"PLAINTEXT\"},"
                                 "{\"name\":\"dns\",\"port\":9096,\"type\":\"nodeport\","
                                 "\"securityProtocol\":\"PLAINTEXT\","
                                 "\"hostTemplate\":\"kafka-{id}.example.com\"}",
                      "", ""),
              "{\"node-a\":{\"addresses\":{\"host\":\"198.51.100.1\"}}}",
              "{\"1\":{\"dns\":{\"port\":32001}}}", "demo-1", "node-a");
    sc_render_result out;

    render_ok(&in, &out);
    ck_assert_ptr_nonnull(strstr(out.text, "HOST://198.51.100.1:9095"));
    ck_assert_ptr_nonnull(strstr(out.text, "DNS://kafka-1.example.com:32001"));
    sc_render_result_clear(&out);
}
END_TEST

/* Kafka's log.dirs is a subdirectory of its data volume, away from the
 * lost+found of a fresh ext4 volume, unless Kafka was formatted at the
 * volume's root before (meta.properties there): that volume keeps its
 * root. The result names the directory init checks (meta.properties). */
START_TEST(kafka_log_dir_is_a_subdirectory_unless_formatted_at_the_root)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT, "", ""), NODES_STD,
                               BROKERS_STD, "demo-0", "node-a");
    sc_render_result out;
    char v[512];

    render_ok(&in, &out);
    ck_assert_str_eq(props_get(out.text, "log.dirs", v, sizeof v),
                     "/var/lib/kafka/data/kafka-logs");
    ck_assert_str_eq(out.data_dir, "/var/lib/kafka/data/kafka-logs");
    sc_render_result_clear(&out);

    in.data_dir = "/mnt/vol";
    render_ok(&in, &out);
    ck_assert_str_eq(props_get(out.text, "log.dirs", v, sizeof v), "/mnt/vol/kafka-logs");
    ck_assert_str_eq(out.data_dir, "/mnt/vol/kafka-logs");
    sc_render_result_clear(&out);

    in.kafka_root_formatted = true;
    render_ok(&in, &out);
    ck_assert_str_eq(props_get(out.text, "log.dirs", v, sizeof v), "/mnt/vol");
    ck_assert_str_eq(out.data_dir, "/mnt/vol");
    sc_render_result_clear(&out);

    in.data_dir = NULL;
    render_ok(&in, &out);
    ck_assert_str_eq(props_get(out.text, "log.dirs", v, sizeof v), "/var/lib/kafka/data");
    ck_assert_str_eq(out.data_dir, "/var/lib/kafka/data");
    sc_render_result_clear(&out);
}
END_TEST

/* ---- Redpanda ---- */

START_TEST(redpanda)
{
    sc_render_input in =
        input(cluster("redpanda",
                      L_INTERNAL ",{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                                 "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":"
                                 "\"SCRAM-SHA-256\"}",
                      "\"log_retention_ms\":\"604800000\",\"cluster_note\":\"a \\\"b\\\"\\n\"", ""),
              NODES_STD, BROKERS_STD, "demo-1", "node-a");
    sc_render_result out;

    in.cluster_json = strcpy(malloc(strlen(in.cluster_json) + 1), in.cluster_json);
    render_ok(&in, &out);
    ck_assert_int_eq(out.flavor, SC_FLAVOR_REDPANDA);
    ck_assert(!out.voter);
    ck_assert_str_eq(out.cluster_id, "");
    ck_assert_ptr_nonnull(out.bootstrap);
    ck_assert_ptr_null(out.java_security);
    /* Redpanda keeps the volume's root, whatever Kafka would do there. */
    ck_assert_str_eq(out.data_dir, "/var/lib/redpanda/data");
    ck_assert_ptr_nonnull(strstr(out.text, "  data_directory: /var/lib/redpanda/data\n"));
    golden("redpanda.yaml", out.text);
    golden("redpanda-bootstrap.yaml", out.bootstrap);
    sc_render_result_clear(&out);
    free((char *)in.cluster_json);
}
END_TEST

/* ---- waiting ---- */

START_TEST(waits_for_missing_addresses)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL "," L_NODEPORT, "", ""), NODES_STD,
                               BROKERS_STD, "demo-1", "node-z");

    render_expect(&in, SC_RENDER_WAITING, "node \"node-z\" is not in nodes.json yet", NULL);
    in.nodes_json = "{\"node-z\":{\"addresses\":{}}}";
    render_expect(&in, SC_RENDER_WAITING,
                  "node \"node-z\" has no address for listener "
                  "\"external\" yet",
                  NULL);
    in.nodes_json = "{\"node-z\":{}}";
    render_expect(&in, SC_RENDER_WAITING, "node \"node-z\" has no address", NULL);
    in.nodes_json = NODES_STD;
    in.node_name = "node-a";
    in.brokers_json = "{}";
    render_expect(&in, SC_RENDER_WAITING, "broker 1 has no node port for listener \"external\"",
                  NULL);
    in.cluster_json = cluster("kafka",
                              L_INTERNAL ",{\"name\":\"lb\",\"port\":9095,\"type\":"
                                         "\"loadbalancer\",\"securityProtocol\":\"PLAINTEXT\"}",
                              "", "");
    in.brokers_json = "{\"1\":{\"lb\":{}}}";
    render_expect(&in, SC_RENDER_WAITING, "load balancer of listener \"lb\" for broker 1", NULL);
}
END_TEST

/* ---- bad data ---- */

static const struct bad_case {
    const char *cluster_json, *nodes, *brokers, *pod, *want;
} bad_cases[] = {
    {"[1]", "{}", "{}", "demo-0", "cluster.json: must be a JSON object"},
    {"{", "{}", "{}", "demo-0", "cluster.json: not valid JSON"},
    {NULL, "nope", "{}", "demo-0", "nodes.json: not valid JSON"},
    {NULL, "{}", "3", "demo-0", "brokers.json: must be a JSON object"},
    {"{\"namespace\":\"kafka\"}", "{}", "{}", "demo-0", "cluster.json: name: missing"},
    {"{\"name\":\"Demo\"}", "{}", "{}", "demo-0", "cluster.json: name: \"Demo\" is not"},
    {"{\"name\":\"demo\",\"namespace\":\"kafka\",\"flavor\":\"pulsar\"}", "{}", "{}", "demo-0",
     "cluster.json: flavor: \"pulsar\" is not kafka or redpanda"},
    {"{\"name\":\"demo\",\"namespace\":\"kafka\",\"flavor\":\"kafka\",\"clusterID\":\"short\"}",
     "{}", "{}", "demo-0", "cluster.json: clusterID"},
    {"{\"name\":\"demo\",\"namespace\":\"kafka\",\"flavor\":\"kafka\",\"clusterID\":"
     "\"MkU3OEVBNTcwNTJENDM2Qg\",\"controllers\":\"3\"}",
     "{}", "{}", "demo-0", "cluster.json: controllers: must be an integer"},
    {NULL, "{}", "{}", "other-0", "pod name \"other-0\" is not \"demo-<ordinal>\""},
    {NULL, "{}", "{}", "demo-01", "ordinal is not a broker id"},
    {NULL, "{\"node-a\":[]}", "{}", "demo-0", "nodes.json: node \"node-a\" must be an object"},
    {NULL, "{\"node-a\":{\"addresses\":{\"external\":\"bad host!\"}}}", "{}", "demo-0",
     "nodes.json: node \"node-a\": addresses.external: \"bad host!\" is not an IP"},
    {NULL, "{\"node-a\":{\"rack\":\"zone a\",\"addresses\":{}}}", "{}", "demo-0",
     "nodes.json: node \"node-a\": rack"},
    {NULL, NODES_STD, "{\"0\":{\"external\":{\"port\":70000}}}", "demo-0",
     "brokers.json: broker \"0\": external.port: must be an integer from 1 to 65535"},
    {NULL, NODES_STD, "{\"0\":\"x\"}", "demo-0", "brokers.json: broker \"0\" must be an object"},
};

START_TEST(bad_data_names_the_key)
{
    const struct bad_case *c = &bad_cases[_i];
    const char *cl = c->cluster_json != NULL ? c->cluster_json
                                             : cluster("kafka", L_INTERNAL "," L_NODEPORT, "", "");
    sc_render_input in = input(cl, c->nodes, c->brokers, c->pod, "node-a");

    render_expect(&in, -1, c->want, NULL);
}
END_TEST

static const struct bad_listener {
    const char *listeners, *config, *extra, *want;
} bad_listeners[] = {
    {"{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":\"TLS\"}", "",
     "", "cluster.json: listeners[0].securityProtocol: \"TLS\" is not one of"},
    {"{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
     "\"SASL_PLAINTEXT\"}",
     "", "", "cluster.json: listeners[0].saslMechanism: missing"},
    {"{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
     "\"SASL_PLAINTEXT\",\"saslMechanism\":\"GSSAPI\"}",
     "", "", "cluster.json: listeners[0].saslMechanism: \"GSSAPI\" is not one of"},
    {"{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
     "\"PLAINTEXT\",\"saslMechanism\":\"PLAIN\"}",
     "", "", "cluster.json: listeners[0].saslMechanism: not allowed"},
    {L_INTERNAL ",{\"name\":\"internal\",\"port\":9095,\"type\":\"nodeport\","
                "\"securityProtocol\":\"PLAINTEXT\"}",
     "", "", "cluster.json: listeners[1].name: \"internal\" is also the name"},
    {L_INTERNAL ",{\"name\":\"x\",\"port\":9093,\"type\":\"nodeport\","
                "\"securityProtocol\":\"PLAINTEXT\"}",
     "", "", "cluster.json: listeners[1].port: 9093 is also the controllerPort"},
    {"{\"name\":\"controller\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
     "\"PLAINTEXT\"}",
     "", "", "cluster.json: listeners[0].name: \"controller\" is reserved"},
    {"{\"name\":\"replication\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
     "\"PLAINTEXT\"}",
     "", "", "cluster.json: listeners[0].name: \"replication\" is reserved"},
    {L_INTERNAL, "", ",\"clusterTLS\":{\"secret\":\"demo-broker-certs\",\"replicationPort\":9092}",
     "cluster.json: clusterTLS.replicationPort: 9092 is also the port of listeners[0]"},
    {L_INTERNAL, "", ",\"clusterTLS\":{\"secret\":\"demo-broker-certs\",\"replicationPort\":9093}",
     "cluster.json: clusterTLS.replicationPort: 9093 is already taken by the controllerPort"},
    {L_INTERNAL, "", ",\"clusterTLS\":{\"secret\":\"Bad_Name\",\"replicationPort\":9091}",
     "cluster.json: clusterTLS.secret: \"Bad_Name\" is not a Secret's name"},
    {L_INTERNAL, "", ",\"clusterTLS\":{\"replicationPort\":9091}",
     "cluster.json: clusterTLS.secret: missing"},
    {L_INTERNAL, "", ",\"clusterTLS\":true", "cluster.json: clusterTLS: must be an object"},
    {L_INTERNAL ",{\"name\":\"e\",\"port\":9095,\"type\":\"nodeport\",\"securityProtocol\":"
                "\"SSL\",\"clusterCert\":true}",
     "", "", "cluster.json: listeners[1].clusterCert: needs clusterTLS"},
    {L_INTERNAL ",{\"name\":\"e\",\"port\":9095,\"type\":\"nodeport\",\"securityProtocol\":"
                "\"PLAINTEXT\",\"clusterCert\":true}",
     "", "", "cluster.json: listeners[1].clusterCert: needs securityProtocol SSL"},
    {L_NODEPORT, "", "", "exactly one must"},
    {L_INTERNAL, "\"node.id\":\"7\"", "", "cluster.json: config[\"node.id\"]: set by berth"},
    {L_INTERNAL, "\"listener.name.external.ssl.keystore.location\":\"/x\"", "",
     "cluster.json: config[\"listener.name.external.ssl.keystore.location\"]: set by berth"},
    {L_INTERNAL, "\"listener.name.internal.ssl.client.auth\":\"none\"", "",
     "cluster.json: config[\"listener.name.internal.ssl.client.auth\"]: set by berth"},
    {L_INTERNAL, "\"listener.name.x.scram-sha-512.sasl.jaas.config\":\"y\"", "",
     "cluster.json: config[\"listener.name.x.scram-sha-512.sasl.jaas.config\"]: set by berth"},
    {L_INTERNAL, "\"sasl.jaas.config\":\"y\"", "",
     "cluster.json: config[\"sasl.jaas.config\"]: set by berth"},
    {L_INTERNAL, "\"listener.name.internal.sasl.enabled.mechanisms\":\"PLAIN\"", "",
     "cluster.json: config[\"listener.name.internal.sasl.enabled.mechanisms\"]: set by berth"},
    {L_INTERNAL, "\"sasl.mechanism.inter.broker.protocol\":\"PLAIN\"", "",
     "cluster.json: config[\"sasl.mechanism.inter.broker.protocol\"]: set by berth"},
    {L_INTERNAL, "\"listener.name.controller.max.connections\":\"5\"", "",
     "cluster.json: config[\"listener.name.controller.max.connections\"]: set by berth"},
    {L_INTERNAL, "\"listener.name.replication.max.connections\":\"5\"", "",
     "cluster.json: config[\"listener.name.replication.max.connections\"]: set by berth"},
    {L_INTERNAL, "\"a\":1", "", "cluster.json: config[\"a\"]: must be a string"},
    {L_INTERNAL, "\"a b\":\"1\"", "", "cluster.json: config: key \"a b\""},
    {L_INTERNAL, "\"a\":\"\xff\"", "", "cluster.json: config[\"a\"]: value is not valid UTF-8"},
    {L_INTERNAL, "", ",\"formattedVoters\":[7]", "cluster.json: formattedVoters[0]"},
    {L_INTERNAL, "", ",\"formattedVoters\":{}", "cluster.json: formattedVoters: must be an array"},
    {"{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\",\"securityProtocol\":"
     "\"PLAINTEXT\",\"hostTemplate\":\"x-{id}\"}",
     "", "", "cluster.json: listeners[0].hostTemplate: not allowed on an internal"},
    {L_INTERNAL ",{\"name\":\"t\",\"port\":9095,\"type\":\"nodeport\",\"securityProtocol\":"
                "\"PLAINTEXT\",\"hostTemplate\":\"x\"}",
     "", "", "cluster.json: listeners[1].hostTemplate: \"x\" does not contain {id}"},
};

START_TEST(bad_listener_names_the_key)
{
    const struct bad_listener *c = &bad_listeners[_i];
    sc_render_input in = input(cluster("kafka", c->listeners, c->config, c->extra), NODES_STD,
                               BROKERS_STD, "demo-0", "node-a");

    render_expect(&in, -1, c->want, NULL);
}
END_TEST

START_TEST(bad_pod_inputs)
{
    sc_render_input in =
        input(cluster("kafka", L_INTERNAL, "", ""), NODES_STD, BROKERS_STD, "demo-0", "Node_A");

    render_expect(&in, -1, "node name \"Node_A\"", NULL);
    in.node_name = "node-a";
    in.data_dir = "relative/dir";
    render_expect(&in, -1, "data directory \"relative/dir\"", NULL);
    in.data_dir = "/data,x";
    render_expect(&in, -1, "data directory", NULL);
    in.data_dir = NULL;
    in.config_dir = "/etc/x\ny";
    render_expect(&in, -1, "config directory", NULL);
    in.config_dir = NULL;
    in.pod_name = NULL;
    render_expect(&in, -1, "the pod name and the node name are needed", NULL);
}
END_TEST

START_TEST(formatted_voters)
{
    sc_render_input in = input(cluster("kafka", L_INTERNAL, "", ",\"formattedVoters\":[0,2]"),
                               NODES_STD, BROKERS_STD, "demo-2", "node-a");
    sc_render_result out;

    render_ok(&in, &out);
    ck_assert(out.voter);
    ck_assert(out.formatted_voter);
    sc_render_result_clear(&out);
    in.pod_name = "demo-1";
    render_ok(&in, &out);
    ck_assert(out.voter);
    ck_assert(!out.formatted_voter);
    sc_render_result_clear(&out);
}
END_TEST

START_TEST(broker_id_from_pod)
{
    util_err err = {{0}};
    int id;

    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demo-0", &id, &err), 0);
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demo-999", &id, &err), 0);
    ck_assert_int_eq(id, 999);
    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demo-1000", &id, &err), -1);
    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demo-", &id, &err), -1);
    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demo-x1", &id, &err), -1);
    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demox-1", &id, &err), -1);
    ck_assert_int_eq(sc_broker_id_from_pod("demo", "demo-99999999999999999999", &id, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "demo-9999"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_render");
    TCase *tc = tcase_create("render");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, kafka_broker_only);
    tcase_add_test(tc, kafka_controller_broker);
    tcase_add_test(tc, config_beside_owned_keys_passes);
    tcase_add_test(tc, kafka_tls_scram);
    tcase_add_test(tc, kafka_cluster_tls);
    tcase_add_test(tc, kafka_nodeport_advertises_node_port);
    tcase_add_test(tc, kafka_node_fallback_address);
    tcase_add_test(tc, kafka_hostport_and_template);
    tcase_add_test(tc, kafka_log_dir_is_a_subdirectory_unless_formatted_at_the_root);
    tcase_add_test(tc, redpanda);
    tcase_add_test(tc, waits_for_missing_addresses);
    tcase_add_loop_test(tc, bad_data_names_the_key, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_loop_test(tc, bad_listener_names_the_key, 0,
                        (int)(sizeof bad_listeners / sizeof bad_listeners[0]));
    tcase_add_test(tc, bad_pod_inputs);
    tcase_add_test(tc, formatted_voters);
    tcase_add_test(tc, broker_id_from_pod);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
