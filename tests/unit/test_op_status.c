/* The pure halves of reconcile: the comparison that decides whether an
 * owned object needs a write (server-added fields ignored, quantities
 * compared by value only inside resources, a removed or changed field
 * noticed), and the status built from observed pods and nodes (per-broker
 * addresses from each pod's node, readiness counted from pod conditions,
 * a missing address reported as Degraded, lastTransitionTime kept while a
 * condition holds, a refusal keeping the rest of the status, a broker
 * whose image cannot be pulled or whose container crashes reported as
 * Degraded and in its status entry until it recovers). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/address.h"
#include "operator/cluster.h"
#include "operator/container_failure.h"
#include "operator/diff.h"
#include "operator/readdress.h"
#include "operator/scale_down.h"
#include "operator/status.h"

static const op_options opts = {"berth-sidecar:test", "cluster.local", false, {0, 0, 0}};

static cJSON *J(const char *s)
{
    cJSON *j = cJSON_Parse(s);

    ck_assert_msg(j != NULL, "bad JSON: %s", s);
    return j;
}

static bool subset(const char *want, const char *have)
{
    cJSON *w = J(want), *h = J(have);
    bool r = op_subset(w, h);

    cJSON_Delete(w);
    cJSON_Delete(h);
    return r;
}

START_TEST(subset_ignores_what_the_server_adds)
{
    ck_assert(
        subset("{\"spec\":{\"type\":\"NodePort\"}}",
               "{\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.0.0.1\"},\"status\":{}}"));
    ck_assert(subset("{\"a\":[{\"x\":1}]}", "{\"a\":[{\"x\":1,\"y\":2}]}"));
    ck_assert(subset("{\"b\":true,\"n\":null}", "{\"b\":true,\"n\":null}"));
}
END_TEST

START_TEST(subset_notices_changes)
{
    ck_assert(!subset("{\"spec\":{\"replicas\":3}}", "{\"spec\":{\"replicas\":5}}"));
    ck_assert(!subset("{\"spec\":{\"replicas\":3}}", "{\"spec\":{}}"));
    ck_assert(!subset("{\"a\":[1,2]}", "{\"a\":[1,2,3]}"));
    ck_assert(!subset("{\"a\":[1,2]}", "{\"a\":[2,1]}"));
    ck_assert(!subset("{\"b\":true}", "{\"b\":false}"));
    ck_assert(!subset("{\"b\":true}", "{\"b\":1}"));
    ck_assert(!subset("{\"s\":\"1\"}", "{\"s\":1}"));
    ck_assert(!subset("{\"o\":{}}", "{\"o\":[]}"));
}
END_TEST

START_TEST(quantities_compare_by_value_only_in_resources)
{
    ck_assert(subset("{\"resources\":{\"limits\":{\"cpu\":\"1000m\",\"memory\":\"1Gi\"}}}",
                     "{\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"1024Mi\"}}}"));
    ck_assert(
        subset("{\"requests\":{\"storage\":\"0.5Gi\"}}", "{\"requests\":{\"storage\":\"512Mi\"}}"));
    ck_assert(!subset("{\"limits\":{\"cpu\":\"2\"}}", "{\"limits\":{\"cpu\":\"1\"}}"));
    /* Elsewhere "4.1" and "4.10" are different strings. */
    ck_assert(!subset("{\"labels\":{\"v\":\"4.1\"}}", "{\"labels\":{\"v\":\"4.10\"}}"));
}
END_TEST

static const char *const cr_json =
    "{\"metadata\":{\"name\":\"demo\",\"namespace\":\"kafka\",\"uid\":\"u-1\",\"generation\":7},"
    "\"spec\":{\"image\":\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,"
    "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
    "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\",\"nodePortBase\":31090}]}}";

static const char *const nodes_json =
    "[{\"metadata\":{\"name\":\"n1\"},\"status\":{\"addresses\":["
    "{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"},"
    "{\"type\":\"ExternalIP\",\"address\":\"203.0.113.1\"}]}},"
    "{\"metadata\":{\"name\":\"n2\"},\"status\":{\"addresses\":[]}}]";

static cJSON *pods_json(bool pod1_ready)
{
    char buf[1024];

    snprintf(buf, sizeof buf,
             "[{\"metadata\":{\"name\":\"demo-0\"},\"spec\":{\"nodeName\":\"n1\"},"
             "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}},"
             "{\"metadata\":{\"name\":\"demo-1\"},\"spec\":{\"nodeName\":\"n2\"},"
             "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}]",
             pod1_ready ? "True" : "False");
    return J(buf);
}

static const cJSON *cond(const cJSON *st, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "conditions"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "type")->valuestring, type) == 0)
            return c;
    }
    ck_abort_msg("no condition %s", type);
    return NULL;
}

static const char *field(const cJSON *o, const char *k)
{
    const cJSON *j = cJSON_GetObjectItem(o, k);

    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static cJSON *build(const cJSON *old, bool pod1_ready, const char *now)
{
    cJSON *cr = J(cr_json), *nodes = J(nodes_json), *pods = pods_json(pod1_ready), *st;
    op_cluster c;
    op_status_input in = {0};
    util_err err = {{0}};

    ck_assert_msg(op_cluster_parse(cr, &c, &err) == 0, "%s", err.msg);
    in.c = &c;
    in.o = &opts;
    in.cluster_id = "MkU3OEVBNTcwNTJENDM2Qg";
    in.pods = pods;
    in.nodes = nodes;
    in.old_status = old;
    in.now = now;
    st = op_status_build(&in);
    cJSON_Delete(nodes);
    cJSON_Delete(pods);
    cJSON_Delete(cr);
    return st;
}

START_TEST(status_reports_brokers_at_their_nodes)
{
    cJSON *st = build(NULL, true, "2026-01-01T00:00:00Z");
    const cJSON *brokers = cJSON_GetObjectItem(st, "brokers");
    const cJSON *b0 = cJSON_GetArrayItem(brokers, 0), *b1 = cJSON_GetArrayItem(brokers, 1);
    const cJSON *b2 = cJSON_GetArrayItem(brokers, 2);

    ck_assert_int_eq(cJSON_GetObjectItem(st, "observedGeneration")->valueint, 7);
    ck_assert_int_eq(cJSON_GetArraySize(brokers), 3);
    ck_assert_str_eq(field(cJSON_GetObjectItem(b0, "listeners"), "external"), "203.0.113.1:31090");
    ck_assert_str_eq(field(cJSON_GetObjectItem(b0, "listeners"), "internal"),
                     "demo-0.demo-brokers.kafka.svc.cluster.local:9092");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(b0, "controller")));
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(b1, "controller")));
    /* n2 has no address: no external entry, and Degraded says why. */
    ck_assert_ptr_null(field(cJSON_GetObjectItem(b1, "listeners"), "external"));
    ck_assert_str_eq(field(b1, "node"), "n2");
    ck_assert_ptr_null(field(b2, "pod"));
    ck_assert_int_eq(cJSON_GetObjectItem(st, "readyReplicas")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItem(st, "replicas")->valueint, 2);
    ck_assert_str_eq(field(cond(st, "Ready"), "status"), "False");
    ck_assert_str_eq(field(cond(st, "Degraded"), "status"), "True");
    ck_assert_str_eq(field(cond(st, "Degraded"), "reason"), "AddressPending");
    ck_assert_ptr_nonnull(strstr(field(cond(st, "Degraded"), "message"), "n2"));
    ck_assert_str_eq(field(cond(st, "Reconciled"), "status"), "True");
    ck_assert_str_eq(field(cJSON_GetObjectItem(st, "bootstrap"), "internal"),
                     "demo-bootstrap.kafka.svc:9092");
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "bootstrap"), "external")),
        1);
    cJSON_Delete(st);
}
END_TEST

START_TEST(transition_times_move_only_on_a_change)
{
    cJSON *a = build(NULL, true, "2026-01-01T00:00:00Z");
    cJSON *b = build(a, true, "2026-01-01T00:05:00Z");
    cJSON *c = build(b, false, "2026-01-01T00:10:00Z");

    /* Same observation later: byte for byte the same status, no write. */
    ck_assert(cJSON_Compare(a, b, 1));
    ck_assert_str_eq(field(cond(c, "Reconciled"), "lastTransitionTime"), "2026-01-01T00:00:00Z");
    /* Ready stays False (2 of 3, then 1 of 3): its time stays too, though
     * its message changes. */
    ck_assert_str_eq(field(cond(c, "Ready"), "lastTransitionTime"), "2026-01-01T00:00:00Z");
    ck_assert_str_eq(field(cond(c, "Ready"), "message"), "1 of 3 brokers ready");
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
}
END_TEST

/* Draining names the first stopping broker and counts the others; a
 * deleted pod whose containers all exited (phase Succeeded or Failed) is
 * not draining. */
START_TEST(stopping_brokers_are_draining)
{
    cJSON *cr = J(cr_json), *nodes = J(nodes_json), *st;
    cJSON *pods = J("[{\"metadata\":{\"name\":\"demo-0\",\"deletionTimestamp\":\"x\"},"
                    "\"status\":{\"phase\":\"Failed\"}},"
                    "{\"metadata\":{\"name\":\"demo-1\",\"deletionTimestamp\":\"x\"},"
                    "\"status\":{\"phase\":\"Running\"}},"
                    "{\"metadata\":{\"name\":\"demo-2\",\"deletionTimestamp\":\"x\"}}]");
    op_cluster c;
    op_status_input in = {0};
    util_err err = {{0}};

    ck_assert_msg(op_cluster_parse(cr, &c, &err) == 0, "%s", err.msg);
    in.c = &c;
    in.o = &opts;
    in.pods = pods;
    in.nodes = nodes;
    in.now = "2026-01-01T00:00:00Z";
    st = op_status_build(&in);
    ck_assert_str_eq(field(cond(st, "Draining"), "status"), "True");
    ck_assert_str_eq(field(cond(st, "Draining"), "reason"), "BrokerDraining");
    ck_assert_str_eq(field(cond(st, "Draining"), "message"),
                     "broker 1 (pod demo-1) is stopping: its preStop hook drains it before it "
                     "shuts down; also stopping: broker 2");
    cJSON_Delete(st);
    cJSON_Delete(pods);
    /* Nothing stopping: False. */
    in.pods = pods = J("[{\"metadata\":{\"name\":\"demo-0\"}}]");
    st = op_status_build(&in);
    ck_assert_str_eq(field(cond(st, "Draining"), "status"), "False");
    ck_assert_str_eq(field(cond(st, "Draining"), "reason"), "NotDraining");
    cJSON_Delete(st);
    cJSON_Delete(pods);
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

/* A broker's Event names its addresses when it is first placed and when
 * they change, and nothing when a resync finds them as they were. */
START_TEST(address_news_name_new_addresses_only)
{
    cJSON *a = build(NULL, true, "2026-01-01T00:00:00Z");
    cJSON *b = build(a, true, "2026-01-01T00:05:00Z");
    cJSON *moved = cJSON_Duplicate(b, 1);
    cJSON *b0 = cJSON_GetArrayItem(cJSON_GetObjectItem(moved, "brokers"), 0);
    char msg[256];

    ck_assert_int_eq(
        op_status_address_news(NULL, cJSON_GetArrayItem(cJSON_GetObjectItem(a, "brokers"), 0), msg,
                               sizeof msg),
        1);
    ck_assert_ptr_nonnull(strstr(msg, "external=203.0.113.1:31090"));
    ck_assert_ptr_nonnull(strstr(msg, "on node n1"));
    /* Broker 2 has no pod: nothing to say. */
    ck_assert_int_eq(
        op_status_address_news(NULL, cJSON_GetArrayItem(cJSON_GetObjectItem(a, "brokers"), 2), msg,
                               sizeof msg),
        0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(
            op_status_address_news(a, cJSON_GetArrayItem(cJSON_GetObjectItem(b, "brokers"), i), msg,
                                   sizeof msg),
            0);
    cJSON_ReplaceItemInObject(b0, "node", cJSON_CreateString("n3"));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(b0, "listeners"), "external",
                              cJSON_CreateString("203.0.113.3:31090"));
    ck_assert_int_eq(op_status_address_news(b, b0, msg, sizeof msg), 1);
    ck_assert_str_eq(msg, "broker 0 (pod demo-0) on node n3: external=203.0.113.3:31090");
    /* A short buffer is cut, never overrun. */
    ck_assert_int_eq(op_status_address_news(b, b0, msg, 8), 1);
    ck_assert_str_eq(msg, "broker ");
    cJSON_Delete(moved);
    cJSON_Delete(b);
    cJSON_Delete(a);
}
END_TEST

START_TEST(refusal_keeps_the_rest_of_the_status)
{
    cJSON *a = build(NULL, true, "2026-01-01T00:00:00Z");
    cJSON *r = op_status_refused(a, 8, "ClusterIDMismatch", "spec.clusterID differs",
                                 "2026-01-01T01:00:00Z");

    ck_assert_int_eq(cJSON_GetObjectItem(r, "observedGeneration")->valueint, 8);
    ck_assert_str_eq(field(cond(r, "Reconciled"), "status"), "False");
    ck_assert_str_eq(field(cond(r, "Reconciled"), "reason"), "ClusterIDMismatch");
    ck_assert_str_eq(field(cond(r, "Reconciled"), "lastTransitionTime"), "2026-01-01T01:00:00Z");
    ck_assert_str_eq(field(cond(r, "Ready"), "status"), "False");
    ck_assert_str_eq(field(r, "clusterID"), "MkU3OEVBNTcwNTJENDM2Qg");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "brokers")), 3);
    cJSON_Delete(r);
    r = op_status_refused(NULL, 1, "InvalidSpec", "spec.image: required", "2026-01-01T01:00:00Z");
    ck_assert_str_eq(field(cond(r, "Reconciled"), "reason"), "InvalidSpec");
    cJSON_Delete(r);
    cJSON_Delete(a);
}
END_TEST

/* The fingerprint pinned on a pod, and what a change of it leads to. */
START_TEST(moved_addresses_restart_the_broker_once)
{
    cJSON *cr = J(cr_json), *nodes = J(nodes_json), *pod;
    op_cluster c;
    util_err err = {{0}};
    char fp[256];

    ck_assert_int_eq(op_cluster_parse(cr, &c, &err), 0);
    ck_assert_int_eq(op_address_fingerprint(&c, 2, "cluster.local", cJSON_GetArrayItem(nodes, 0),
                                            NULL, fp, sizeof fp),
                     0);
    ck_assert_str_eq(fp, "external=203.0.113.1:31092;");
    /* A node without addresses: not known yet, nothing to pin. */
    ck_assert_int_eq(op_address_fingerprint(&c, 2, "cluster.local", cJSON_GetArrayItem(nodes, 1),
                                            NULL, fp, sizeof fp),
                     1);
    ck_assert_int_eq(
        op_address_fingerprint(&c, 2, "cluster.local", cJSON_GetArrayItem(nodes, 0), NULL, fp, 8),
        -1);

    pod = J("{\"metadata\":{\"name\":\"demo-2\"},\"spec\":{\"nodeName\":\"n1\"}}");
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.1:31092;", -1),
                     OP_READDRESS_ANNOTATE);
    ck_assert_int_eq(op_readdress_decide(pod, NULL, -1), OP_READDRESS_NONE);
    cJSON_AddItemToObject(
        cJSON_AddObjectToObject(cJSON_GetObjectItem(pod, "metadata"), "annotations"),
        OP_ADVERTISED_ANNOTATION, cJSON_CreateString("external=203.0.113.1:31092;"));
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.1:31092;", -1),
                     OP_READDRESS_NONE);
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.7:31092;", -1),
                     OP_READDRESS_EVICT);
    /* The certificate: a pod whose init step finished before its current
     * certificate was issued (plus the settle time) restarts for it; one
     * that finished later, or whose init step has not finished, does not. */
    cJSON_AddStringToObject(cJSON_GetObjectItem(pod, "metadata"), "creationTimestamp",
                            "2025-12-31T23:59:00Z");
    cJSON_AddItemToObject(pod, "status",
                          J("{\"initContainerStatuses\":[{\"name\":\"init\",\"state\":"
                            "{\"terminated\":{\"finishedAt\":\"2026-01-01T00:00:10Z\"}}}]}"));
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.1:31092;", 1767225600),
                     OP_READDRESS_NONE); /* issued at 00:00:00 */
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.1:31092;", 1767225609),
                     OP_READDRESS_RECERT);
    ck_assert_int_eq(op_readdress_decide(pod, NULL, 1767225609), OP_READDRESS_RECERT);
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.1:31092;", -1),
                     OP_READDRESS_NONE);
    /* A pod made after the certificate was issued took it, whatever its
     * init step's time says. */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(pod, "metadata"), "creationTimestamp",
                              cJSON_CreateString("2026-01-01T00:00:09Z"));
    ck_assert_int_eq(op_readdress_decide(pod, NULL, 1767225609), OP_READDRESS_NONE);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(pod, "metadata"), "creationTimestamp",
                              cJSON_CreateString("2025-12-31T23:59:00Z"));
    /* An address that moved goes first: one restart serves both. */
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.7:31092;", 1767225609),
                     OP_READDRESS_EVICT);
    /* Already on its way out: nothing more to do. */
    cJSON_AddStringToObject(cJSON_GetObjectItem(pod, "metadata"), "deletionTimestamp",
                            "2026-01-01T00:00:00Z");
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.7:31092;", -1),
                     OP_READDRESS_NONE);
    ck_assert_int_eq(op_readdress_decide(NULL, "x", -1), OP_READDRESS_NONE);
    cJSON_Delete(pod);
    /* Not scheduled yet: nothing to pin. */
    pod = J("{\"metadata\":{\"name\":\"demo-2\"},\"spec\":{}}");
    ck_assert_int_eq(op_readdress_decide(pod, "external=203.0.113.1:31092;", -1),
                     OP_READDRESS_NONE);
    cJSON_Delete(pod);
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

/* Which leaving brokers still hold replicas, from a Metadata answer. */
START_TEST(scale_down_counts_replicas_of_leaving_brokers)
{
    int32_t r0[] = {0, 1, 2}, r1[] = {1, 0}, r2[] = {3, 4}, r3[] = {4};
    kafka_metadata_partition parts[] = {
        {0, 0, 0, 0, 3, r0, 0, NULL, 0, NULL},
        {0, 1, 1, 0, 2, r1, 0, NULL, 0, NULL},
        {0, 2, 3, 0, 2, r2, 0, NULL, 0, NULL},
    };
    kafka_metadata_partition parts2[] = {{0, 7, 4, 0, 1, r3, 0, NULL, 0, NULL}};
    kafka_metadata_topic topics[2];
    kafka_metadata md;
    char msg[256];

    memset(topics, 0, sizeof topics);
    memset(&md, 0, sizeof md);
    topics[0].name = "orders";
    topics[0].n_partitions = 3;
    topics[0].partitions = parts;
    topics[1].name = "logs";
    topics[1].n_partitions = 1;
    topics[1].partitions = parts2;
    md.n_topics = 2;
    md.topics = topics;

    /* 5 -> 3: brokers 3 and 4 leave; 3 holds orders-2, 4 holds orders-2 and logs-7. */
    ck_assert_int_eq(op_scale_down_held(&md, 3, 5, msg, sizeof msg), 3);
    ck_assert_str_eq(msg, "broker 3 holds 1 partition replicas, e.g. orders-2; broker 4 holds 2 "
                          "partition replicas, e.g. orders-2");
    /* 6 -> 5: broker 5 holds nothing. */
    ck_assert_int_eq(op_scale_down_held(&md, 5, 6, msg, sizeof msg), 0);
    ck_assert_str_eq(msg, "");
    /* 3 -> 2: broker 2 holds orders-0. */
    ck_assert_int_eq(op_scale_down_held(&md, 2, 3, msg, sizeof msg), 1);
    /* A small buffer cuts the message, never the count. */
    ck_assert_int_eq(op_scale_down_held(&md, 3, 5, msg, 8), 3);
    ck_assert_uint_lt(strlen(msg), 8);
}
END_TEST

/* --- brokers that cannot run ------------------------------------------- */

/* Every pod on n1 (which has addresses), so only container failures can
 * make the cluster Degraded. */
static const char *const one_node_json =
    "[{\"metadata\":{\"name\":\"n1\"},\"status\":{\"addresses\":["
    "{\"type\":\"ExternalIP\",\"address\":\"203.0.113.1\"}]}}]";

/* A pod of cluster demo in namespace kafka, on n1, Ready or not, with
 * extra members of its status (e.g. "\"containerStatuses\":[...]"). */
static void pod_json(char *buf, size_t size, const char *name, bool ready, const char *status)
{
    snprintf(buf, size,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"kafka\",\"labels\":"
             "{\"app.kubernetes.io/instance\":\"demo\"}},\"spec\":{\"nodeName\":\"n1\"},"
             "\"status\":{\"phase\":\"%s\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]"
             "%s%s}}",
             name, ready ? "Running" : "Pending", ready ? "True" : "False",
             status[0] != '\0' ? "," : "", status);
}

/* Status of the demo cluster with pods demo-0 and demo-2 healthy and demo-1
 * having status extra (healthy when ""), plus the pods in more (a JSON
 * array's items, or ""). */
static cJSON *build_with(const cJSON *old, const char *extra, const char *more, const char *now)
{
    char p0[512], p1[8192], p2[512], all[16384];
    cJSON *cr = J(cr_json), *nodes = J(one_node_json), *pods, *st;
    op_cluster c;
    op_status_input in = {0};
    util_err err = {{0}};

    pod_json(p0, sizeof p0, "demo-0", true, "");
    pod_json(p1, sizeof p1, "demo-1", extra[0] == '\0', extra);
    pod_json(p2, sizeof p2, "demo-2", true, "");
    snprintf(all, sizeof all, "[%s,%s,%s%s%s]", p0, p1, p2, more[0] != '\0' ? "," : "", more);
    pods = J(all);
    ck_assert_msg(op_cluster_parse(cr, &c, &err) == 0, "%s", err.msg);
    in.c = &c;
    in.o = &opts;
    in.cluster_id = "MkU3OEVBNTcwNTJENDM2Qg";
    in.pods = pods;
    in.nodes = nodes;
    in.old_status = old;
    in.now = now;
    st = op_status_build(&in);
    cJSON_Delete(pods);
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
    return st;
}

static const cJSON *container_error(const cJSON *st, int id)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "brokers"), id),
                               "containerError");
}

/* Each waiting reason that needs a person, in each of the pod's
 * containers, gives Degraded=True with its reason, naming the broker, its
 * pod, the container, the kubelet's reason and message; the broker's
 * status entry holds the same. */
START_TEST(failing_containers_make_the_cluster_degraded)
{
    static const struct {
        const char *list, *container, *reason, *message, *want;
    } cases[] = {
        {"containerStatuses", "broker", "ImagePullBackOff",
         "Back-off pulling image \\\"apache/kafka:nope\\\"", "BrokerImagePullFailed"},
        {"containerStatuses", "broker", "ErrImagePull",
         "failed to pull and unpack image: not found", "BrokerImagePullFailed"},
        {"containerStatuses", "broker", "InvalidImageName",
         "Failed to apply default image tag \\\"Apache/Kafka\\\"", "BrokerImagePullFailed"},
        {"initContainerStatuses", "init", "ErrImageNeverPull", "image is not present",
         "BrokerImagePullFailed"},
        {"initContainerStatuses", "sidecar", "ImagePullBackOff",
         "Back-off pulling image \\\"private/berth-sidecar:1\\\"", "BrokerImagePullFailed"},
        {"containerStatuses", "broker", "CreateContainerConfigError",
         "container has runAsNonRoot and image will run as root", "BrokerContainerCreateFailed"},
        {"initContainerStatuses", "init", "CreateContainerError", "mount failed",
         "BrokerContainerCreateFailed"},
        {"containerStatuses", "broker", "CrashLoopBackOff",
         "back-off 10s restarting failed container=broker pod=demo-1_kafka(u)",
         "BrokerCrashLooping"},
        {"initContainerStatuses", "sidecar", "CrashLoopBackOff",
         "back-off 20s restarting failed container=sidecar", "BrokerCrashLooping"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[1024], want[512];
        cJSON *st;
        const cJSON *d, *ce;

        snprintf(extra, sizeof extra,
                 "\"%s\":[{\"name\":\"%s\",\"ready\":false,\"restartCount\":0,"
                 "\"state\":{\"waiting\":{\"reason\":\"%s\",\"message\":\"%s\"}}}]",
                 cases[i].list, cases[i].container, cases[i].reason, cases[i].message);
        st = build_with(NULL, extra, "", "2026-01-01T00:00:00Z");
        d = cond(st, "Degraded");
        ce = container_error(st, 1);
        ck_assert_str_eq(field(d, "status"), "True");
        ck_assert_str_eq(field(d, "reason"), cases[i].want);
        /* The message as the test wrote it, unescaped. */
        snprintf(want, sizeof want, "broker 1 (pod demo-1): container %s: %s: ", cases[i].container,
                 cases[i].reason);
        ck_assert_msg(strncmp(field(d, "message"), want, strlen(want)) == 0, "%s: %s",
                      cases[i].reason, field(d, "message"));
        ck_assert_ptr_nonnull(ce);
        ck_assert_str_eq(field(ce, "container"), cases[i].container);
        ck_assert_str_eq(field(ce, "reason"), cases[i].reason);
        ck_assert_ptr_nonnull(strstr(field(d, "message"), field(ce, "message")));
        ck_assert_ptr_null(container_error(st, 0));
        ck_assert_ptr_null(container_error(st, 2));
        /* The same pods again: the same status, so no write. */
        {
            cJSON *again = build_with(st, extra, "", "2026-01-01T00:05:00Z");

            ck_assert(cJSON_Compare(st, again, 1));
            cJSON_Delete(again);
        }
        cJSON_Delete(st);
    }
}
END_TEST

/* The kubelet's message goes into the status as it is. */
START_TEST(kubelet_message_is_reported)
{
    cJSON *st = build_with(NULL,
                           "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
                           "\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\","
                           "\"message\":\"Back-off pulling image \\\"apache/kafka:nope\\\"\"}}}]",
                           "", "2026-01-01T00:00:00Z");

    ck_assert_str_eq(field(cond(st, "Degraded"), "message"),
                     "broker 1 (pod demo-1): container broker: ImagePullBackOff: Back-off "
                     "pulling image \"apache/kafka:nope\"");
    ck_assert_str_eq(field(container_error(st, 1), "message"),
                     "Back-off pulling image \"apache/kafka:nope\"");
    cJSON_Delete(st);
}
END_TEST

/* A crash loop stays reported through its phases (back-off, running
 * again unready, just exited), with the last exit code, and keeps its
 * transition time; once the broker is ready again it is cleared. */
START_TEST(crash_loop_holds_until_the_broker_is_ready)
{
    const char *waiting =
        "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,\"restartCount\":3,"
        "\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}},"
        "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\",\"message\":\"back-off 40s\"}}}]";
    const char *running =
        "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,\"restartCount\":4,"
        "\"lastState\":{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\"}},"
        "\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:01:00Z\"}}}]";
    const char *exited =
        "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,\"restartCount\":4,"
        "\"lastState\":{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\"}},"
        "\"state\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}}]";
    const char *recovered =
        "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":true,\"restartCount\":5,"
        "\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}},"
        "\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:03:00Z\"}}}]";
    cJSON *a = build_with(NULL, waiting, "", "2026-01-01T00:00:00Z");
    cJSON *b = build_with(a, running, "", "2026-01-01T00:01:00Z");
    cJSON *c = build_with(b, exited, "", "2026-01-01T00:02:00Z");
    cJSON *d = build_with(c, recovered, "", "2026-01-01T00:03:00Z");

    ck_assert_str_eq(field(container_error(a, 1), "message"),
                     "back-off 40s; last exit code 1 (Error), 3 restarts");
    ck_assert_str_eq(field(cond(b, "Degraded"), "reason"), "BrokerCrashLooping");
    ck_assert_str_eq(field(container_error(b, 1), "reason"), "OOMKilled");
    ck_assert_str_eq(field(container_error(b, 1), "message"),
                     "runs again, not ready yet; last exit code 137 (OOMKilled), 4 restarts");
    ck_assert_str_eq(field(cond(c, "Degraded"), "reason"), "BrokerCrashLooping");
    ck_assert_str_eq(field(container_error(c, 1), "reason"), "Error");
    ck_assert_str_eq(field(container_error(c, 1), "message"),
                     "exited with code 1; previous run's last exit code 137 (OOMKilled), 4 "
                     "restarts");
    ck_assert_str_eq(field(cond(c, "Degraded"), "lastTransitionTime"), "2026-01-01T00:00:00Z");
    /* Ready again: cleared, and the transition is now. */
    ck_assert_str_eq(field(cond(d, "Degraded"), "status"), "False");
    ck_assert_str_eq(field(cond(d, "Degraded"), "reason"), "AsExpected");
    ck_assert_str_eq(field(cond(d, "Degraded"), "lastTransitionTime"), "2026-01-01T00:03:00Z");
    ck_assert_ptr_null(container_error(d, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
}
END_TEST

/* Pulled at last: Degraded goes back to False with its normal reason, the
 * broker's entry loses containerError, and the status equals that of a
 * cluster that never failed (but for the transition time). */
START_TEST(recovered_brokers_clear_the_condition)
{
    cJSON *healthy = build_with(NULL, "", "", "2026-01-01T00:00:00Z");
    cJSON *a =
        build_with(healthy,
                   "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
                   "\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\",\"message\":\"x\"}}}]",
                   "", "2026-01-01T00:01:00Z");
    cJSON *b = build_with(a,
                          "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
                          "\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\","
                          "\"message\":\"y\"}}}]",
                          "", "2026-01-01T00:02:00Z");
    cJSON *c = build_with(b, "", "", "2026-01-01T00:03:00Z");

    ck_assert_str_eq(field(cond(healthy, "Degraded"), "status"), "False");
    ck_assert_str_eq(field(cond(a, "Degraded"), "status"), "True");
    ck_assert_str_eq(field(cond(a, "Degraded"), "lastTransitionTime"), "2026-01-01T00:01:00Z");
    /* ErrImagePull and ImagePullBackOff alternate while the kubelet
     * retries: one condition reason, one transition. */
    ck_assert_str_eq(field(cond(b, "Degraded"), "reason"), "BrokerImagePullFailed");
    ck_assert_str_eq(field(cond(b, "Degraded"), "lastTransitionTime"), "2026-01-01T00:01:00Z");
    ck_assert_str_eq(field(cond(c, "Degraded"), "status"), "False");
    ck_assert_str_eq(field(cond(c, "Degraded"), "reason"), "AsExpected");
    ck_assert_str_eq(field(cond(c, "Degraded"), "lastTransitionTime"), "2026-01-01T00:03:00Z");
    ck_assert_ptr_null(container_error(c, 1));
    ck_assert(cJSON_Compare(cJSON_GetObjectItem(c, "brokers"),
                            cJSON_GetObjectItem(healthy, "brokers"), 1));
    cJSON_Delete(healthy);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
}
END_TEST

/* Pods that are not this cluster's brokers count for nothing, whatever
 * their containers do: another cluster's pod, a pod of the same name in
 * another namespace, one labelled for another cluster. Nor do waits that
 * are part of a normal start, a pod being deleted, or a finished one. */
START_TEST(other_pods_and_normal_waits_are_ignored)
{
    static const char *const fail =
        "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
        "\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":\"x\"}}}]";
    char more[2048];
    cJSON *st;

    snprintf(more, sizeof more,
             "{\"metadata\":{\"name\":\"other-1\",\"namespace\":\"kafka\",\"labels\":"
             "{\"app.kubernetes.io/instance\":\"other\"}},\"status\":{%s}},"
             "{\"metadata\":{\"name\":\"demo-1\",\"namespace\":\"elsewhere\"},\"status\":{%s}}",
             fail, fail);
    st = build_with(NULL, "", more, "2026-01-01T00:00:00Z");
    ck_assert_str_eq(field(cond(st, "Degraded"), "status"), "False");
    ck_assert_ptr_null(container_error(st, 1));
    cJSON_Delete(st);

    /* demo-1 by name, but labelled for another cluster: not a broker of
     * demo (and it comes first, so it is the one found). */
    snprintf(more, sizeof more,
             "[{\"metadata\":{\"name\":\"demo-1\",\"labels\":{\"app.kubernetes.io/instance\":"
             "\"demo-x\"}},\"status\":{%s}}]",
             fail);
    {
        cJSON *cr = J(cr_json), *nodes = J(one_node_json), *pods = J(more);
        op_cluster c;
        op_status_input in = {0};
        util_err err = {{0}};

        ck_assert_int_eq(op_cluster_parse(cr, &c, &err), 0);
        in.c = &c;
        in.o = &opts;
        in.pods = pods;
        in.nodes = nodes;
        in.now = "2026-01-01T00:00:00Z";
        st = op_status_build(&in);
        ck_assert_ptr_null(container_error(st, 1));
        ck_assert_ptr_null(field(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "brokers"), 1), "pod"));
        cJSON_Delete(st);
        cJSON_Delete(pods);
        cJSON_Delete(nodes);
        cJSON_Delete(cr);
    }

    /* A normal start: init running, sidecar and broker waiting to start. */
    st = build_with(NULL,
                    "\"initContainerStatuses\":[{\"name\":\"init\",\"ready\":false,"
                    "\"state\":{\"running\":{}}},{\"name\":\"sidecar\",\"ready\":false,"
                    "\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}],"
                    "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
                    "\"state\":{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]",
                    "", "2026-01-01T00:00:00Z");
    ck_assert_str_eq(field(cond(st, "Degraded"), "status"), "False");
    cJSON_Delete(st);
    /* Done with init (exit 0), broker started, not ready yet. */
    st = build_with(NULL,
                    "\"initContainerStatuses\":[{\"name\":\"init\",\"ready\":false,"
                    "\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}],"
                    "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
                    "\"state\":{\"running\":{}}}]",
                    "", "2026-01-01T00:00:00Z");
    ck_assert_str_eq(field(cond(st, "Degraded"), "status"), "False");
    cJSON_Delete(st);
    /* Being deleted, or Failed (e.g. evicted): the StatefulSet replaces it. */
    {
        cJSON *pod = J("{\"metadata\":{\"name\":\"demo-1\",\"deletionTimestamp\":\"x\"},"
                       "\"status\":{\"containerStatuses\":[{\"name\":\"broker\",\"state\":"
                       "{\"terminated\":{\"exitCode\":143}}}]}}");
        op_container_failure f;

        ck_assert_int_eq(op_container_failure_find(pod, &f), 0);
        ck_assert_int_eq(f.kind, OP_FAILURE_NONE);
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(pod, "metadata"), "deletionTimestamp");
        ck_assert_int_eq(op_container_failure_find(pod, &f), 1);
        cJSON_AddStringToObject(cJSON_GetObjectItem(pod, "status"), "phase", "Failed");
        ck_assert_int_eq(op_container_failure_find(pod, &f), 0);
        ck_assert_int_eq(op_container_failure_find(NULL, &f), 0);
        cJSON_Delete(pod);
    }
}
END_TEST

/* Several failing brokers: the condition tells the first in full and names
 * the others; a long kubelet message is cut on a UTF-8 boundary. */
START_TEST(several_failures_and_long_messages)
{
    char extra[4096], msg[1400];
    cJSON *st;
    const char *m;

    /* 600 bytes of a two-byte character, cut to fit. */
    for (int i = 0; i < 300; i++)
        memcpy(msg + 2 * i, "\xc3\xa9", 2);
    msg[600] = '\0';
    snprintf(extra, sizeof extra,
             "\"containerStatuses\":[{\"name\":\"broker\",\"ready\":false,"
             "\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\",\"message\":\"%s\"}}}]",
             msg);
    st = build_with(NULL, extra, "", "2026-01-01T00:00:00Z");
    m = field(container_error(st, 1), "message");
    ck_assert_uint_le(strlen(m), OP_FAILURE_KUBELET_MAX);
    /* 253 bytes would split a character: 252 and "...". */
    ck_assert_uint_eq(strlen(m), 252 + 3);
    ck_assert_str_eq(m + strlen(m) - 3, "...");
    ck_assert_int_eq(memcmp(m, "\xc3\xa9", 2), 0);
    ck_assert_int_eq((unsigned char)m[strlen(m) - 5], 0xc3);
    cJSON_Delete(st);

    /* demo-1's sidecar pulls in vain, demo-2 crash-loops: the lowest id
     * is told in full, the others by id. */
    {
        cJSON *cr = J(cr_json), *nodes = J(one_node_json), *pods;
        op_cluster c;
        op_status_input in = {0};
        util_err err = {{0}};

        pods = J("[{\"metadata\":{\"name\":\"demo-2\"},\"status\":{\"containerStatuses\":"
                 "[{\"name\":\"broker\",\"state\":{\"waiting\":{\"reason\":"
                 "\"CrashLoopBackOff\"}}}]}},"
                 "{\"metadata\":{\"name\":\"demo-1\"},\"status\":{\"containerStatuses\":"
                 "[{\"name\":\"sidecar\",\"state\":{\"waiting\":{\"reason\":"
                 "\"ImagePullBackOff\",\"message\":\"m\"}}}]}}]");
        ck_assert_int_eq(op_cluster_parse(cr, &c, &err), 0);
        in.c = &c;
        in.o = &opts;
        in.pods = pods;
        in.nodes = nodes;
        in.now = "2026-01-01T00:00:00Z";
        st = op_status_build(&in);
        ck_assert_str_eq(field(cond(st, "Degraded"), "reason"), "BrokerImagePullFailed");
        ck_assert_str_eq(field(cond(st, "Degraded"), "message"),
                         "broker 1 (pod demo-1): container sidecar: ImagePullBackOff: m; also "
                         "failing: broker 2");
        ck_assert_str_eq(field(container_error(st, 2), "reason"), "CrashLoopBackOff");
        ck_assert_str_eq(field(container_error(st, 2), "message"), "");
        cJSON_Delete(st);
        cJSON_Delete(pods);
        cJSON_Delete(nodes);
        cJSON_Delete(cr);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_status");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, subset_ignores_what_the_server_adds);
    tcase_add_test(tc, subset_notices_changes);
    tcase_add_test(tc, quantities_compare_by_value_only_in_resources);
    tcase_add_test(tc, status_reports_brokers_at_their_nodes);
    tcase_add_test(tc, transition_times_move_only_on_a_change);
    tcase_add_test(tc, refusal_keeps_the_rest_of_the_status);
    tcase_add_test(tc, address_news_name_new_addresses_only);
    tcase_add_test(tc, moved_addresses_restart_the_broker_once);
    tcase_add_test(tc, scale_down_counts_replicas_of_leaving_brokers);
    tcase_add_test(tc, failing_containers_make_the_cluster_degraded);
    tcase_add_test(tc, kubelet_message_is_reported);
    tcase_add_test(tc, crash_loop_holds_until_the_broker_is_ready);
    tcase_add_test(tc, recovered_brokers_clear_the_condition);
    tcase_add_test(tc, other_pods_and_normal_waits_are_ignored);
    tcase_add_test(tc, several_failures_and_long_messages);
    tcase_add_test(tc, stopping_brokers_are_draining);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
