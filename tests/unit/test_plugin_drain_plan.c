/* `kubectl berth drain-plan POD` (plugin/drain_plan.h, cmd_drain_plan.c).
 * On hand-made answers: its figures are the drain's planner's own (the
 * partitions the broker leads, the orders to write, the partitions
 * reported: what the sidecar's drain logs), the drain ledger it was given
 * is left as it was, a broker whose every partition keeps another in-sync
 * replica at or above min.insync.replicas is safe to restart (exit 0),
 * one that is a partition's only in-sync replica or would take one below
 * min.insync.replicas is not (exit 3), and partitions under reassignment
 * or without a successor are notes; the table says the verdict first and
 * the drain's log line. Against a scripted API server: exit 2 without one
 * pod or with -A; exit 1 naming why for a pod that is not there, one that
 * is no KafkaCluster broker, a cluster that is not there, a missing
 * ConfigMap (the cluster's, the drain ledger's) and a Redpanda cluster;
 * and a broker other than POD's is asked first, POD's own last. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drain/plan.h"
#include "kafka/proto.h"
#include "plugin/broker_link.h"
#include "plugin/drain_plan.h"
#include "plugin/plugin.h"
#include "support/api_script.h"
#include "support/kube_test.h"
#include "support/pki.h"
#include "support/plugin_cmd.h"

#define NP 6

/* Three brokers; topic "orders" of NP partitions, partition p replicated
 * on p%3, (p+1)%3, (p+2)%3 and led by the first, all in sync;
 * min.insync.replicas 2; broker 1 to drain. */
typedef struct fixture {
    kafka_metadata md;
    kafka_metadata_broker brokers[3];
    kafka_metadata_topic topic;
    kafka_metadata_partition parts[NP];
    int32_t replicas[NP][3], isr[NP][3];
    kafka_config_entry min_isr;
    kafka_config_result result;
    kafka_describe_configs_response configs;
    const kafka_describe_configs_response *configs_list[1];
    kafka_ongoing_partition moving;
    kafka_ongoing_topic moving_topic;
    kafka_list_partition_reassignments_response reassign;
    drain_ledger *ledger;
    pl_drain_plan_input in;
} fixture;

static fixture F;

static void setup(void)
{
    memset(&F, 0, sizeof F);
    for (int b = 0; b < 3; b++)
        F.brokers[b] = (kafka_metadata_broker){.node_id = b, .host = "x", .port = 9092};
    for (int p = 0; p < NP; p++) {
        for (int r = 0; r < 3; r++)
            F.replicas[p][r] = F.isr[p][r] = (p + r) % 3;
        F.parts[p] = (kafka_metadata_partition){.index = p,
                                                .leader = p % 3,
                                                .n_replicas = 3,
                                                .replicas = F.replicas[p],
                                                .n_isr = 3,
                                                .isr = F.isr[p]};
    }
    F.topic = (kafka_metadata_topic){.name = "orders", .n_partitions = NP, .partitions = F.parts};
    F.md =
        (kafka_metadata){.n_brokers = 3, .brokers = F.brokers, .n_topics = 1, .topics = &F.topic};
    F.min_isr = (kafka_config_entry){.name = "min.insync.replicas", .value = "2"};
    F.result = (kafka_config_result){.resource_type = KAFKA_RESOURCE_TOPIC,
                                     .resource_name = "orders",
                                     .n_configs = 1,
                                     .configs = &F.min_isr};
    F.configs = (kafka_describe_configs_response){.n_results = 1, .results = &F.result};
    F.configs_list[0] = &F.configs;
    F.moving_topic =
        (kafka_ongoing_topic){.name = "orders", .n_partitions = 1, .partitions = &F.moving};
    F.reassign =
        (kafka_list_partition_reassignments_response){.n_topics = 0, .topics = &F.moving_topic};
    F.ledger = drain_ledger_new();
    F.in = (pl_drain_plan_input){.cluster = "demo",
                                 .namespace = "kafka",
                                 .broker = 1,
                                 .pod = "demo-1",
                                 .asked = 0,
                                 .asked_pod = "demo-0",
                                 .port = 9091,
                                 .md = &F.md,
                                 .reassign = &F.reassign,
                                 .ledger = F.ledger,
                                 .configs = F.configs_list,
                                 .n_configs = 1};
}

static void teardown(void)
{
    drain_ledger_free(F.ledger);
}

static cJSON *report(void)
{
    util_err err = {{0}};
    cJSON *r = pl_drain_plan_report(&F.in, &err);

    ck_assert_msg(r != NULL, "%s", err.msg);
    return r;
}

static double num_at(const cJSON *r, const char *path)
{
    const cJSON *v = kt_at(r, path);

    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valuedouble;
}

/* Checks that v prints as want (compact JSON). */
static void json_is(const cJSON *v, const char *want)
{
    char *text = cJSON_PrintUnformatted(v);

    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, want);
    free(text);
}

/* Whether a sentence of r's list ("problems" or "notes") holds part. */
static bool says(const cJSON *r, const char *list, const char *part)
{
    const cJSON *s;

    cJSON_ArrayForEach(s, kt_at(r, list))
    {
        if (strstr(cJSON_GetStringValue(s), part) != NULL)
            return true;
    }
    return false;
}

/* The report's three figures against the planner's own plan of the same
 * answers, as the sidecar's drain makes it (min.insync.replicas of
 * "orders" given by hand: the drain's list). */
static void figures_are_the_planners(const cJSON *r, int32_t min_isr)
{
    drain_topic_min_isr mi = {"orders", min_isr};
    drain_ledger *l = drain_ledger_new();
    drain_plan *p = NULL;
    util_err err = {{0}};
    int orders = 0;

    ck_assert_msg(drain_plan_drain(&F.md, &F.reassign, l, &mi, 1, 1, &p, &err) == 0, "%s", err.msg);
    for (int32_t i = 0; i < p->n_moves; i++)
        orders += p->moves[i].reorder;
    ck_assert_int_eq(num_at(r, "leadershipsToMove"), p->n_led);
    ck_assert_int_eq(num_at(r, "ordersToWrite"), orders);
    ck_assert_int_eq(num_at(r, "reported"), p->n_notes);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "reportedPartitions")), p->n_notes);
    ck_assert_int_eq(num_at(r, "partitionsDemoted"), p->n_moves);
    drain_plan_free(p);
    drain_ledger_free(l);
}

START_TEST(a_broker_with_in_sync_peers_everywhere_is_safe_to_restart)
{
    cJSON *r = report();
    const cJSON *p1 = cJSON_GetArrayItem(kt_at(r, "partitions"), 1);

    ck_assert(cJSON_IsTrue(kt_at(r, "safe")));
    ck_assert_int_eq(pl_drain_plan_exit(r), PL_EXIT_OK);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "problems")), 0);
    /* Broker 1 leads 1 and 4; it is last already in 2 and 5 (2,0,1). */
    ck_assert_int_eq(num_at(r, "leadershipsToMove"), 2);
    ck_assert_int_eq(num_at(r, "ordersToWrite"), 4);
    ck_assert_int_eq(num_at(r, "reported"), 0);
    ck_assert_int_eq(num_at(r, "electionsToAsk"), 2);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "partitions")), NP);
    figures_are_the_planners(r, 2);
    /* Partition 1 (1,2,0), led by 1: 2,0,1 written, then elected. */
    ck_assert_int_eq(num_at(p1, "partition"), 1);
    json_is(kt_at(p1, "order"), "[2,0,1]");
    ck_assert(cJSON_IsTrue(kt_at(p1, "writeOrder")) && cJSON_IsTrue(kt_at(p1, "elect")));
    ck_assert_int_eq(num_at(p1, "minIsr"), 2);
    ck_assert_str_eq(kt_str(r, "pod"), "demo-1");
    ck_assert_int_eq(num_at(r, "asked.id"), 0);
    ck_assert(cJSON_IsTrue(kt_at(r, "registered")));
    cJSON_Delete(r);
}
END_TEST

START_TEST(the_ledger_given_is_left_as_it_was)
{
    int32_t order[3];
    util_err err = {{0}};
    char *before = NULL, *after = NULL;
    cJSON *r;

    /* Broker 2 is being drained: it is demoted on partition 0. */
    ck_assert(drain_ledger_demote(F.ledger, "orders", 0, F.replicas[0], 3, 2, order, &err) >= 0);
    ck_assert(drain_ledger_format(F.ledger, &before, &err) == 0);
    r = report();
    ck_assert(drain_ledger_format(F.ledger, &after, &err) == 0);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(F.ledger->n, 1);
    /* Partition 0 (0,1,2), 2 demoted and now 1 too: both go last in their
     * original order, as the drain would write it. */
    json_is(kt_at(cJSON_GetArrayItem(kt_at(r, "partitions"), 0), "order"), "[0,1,2]");
    cJSON_Delete(r);
    free(before);
    free(after);
}
END_TEST

START_TEST(the_only_in_sync_replica_is_not_safe)
{
    cJSON *r;
    const cJSON *rep;

    F.parts[4].n_isr = 1; /* partition 4 (1,2,0): only 1 in sync */
    F.isr[4][0] = 1;
    r = report();
    ck_assert(cJSON_IsFalse(kt_at(r, "safe")));
    ck_assert_int_eq(pl_drain_plan_exit(r), PL_EXIT_UNHEALTHY);
    ck_assert(says(r, "problems",
                   "1 partition whose only in-sync replica is broker 1 goes offline once it stops "
                   "(the drain leaves it alone): orders-4"));
    ck_assert_int_eq(num_at(r, "reportedByKind.onlyInSyncReplica"), 1);
    rep = cJSON_GetArrayItem(kt_at(r, "reportedPartitions"), 0);
    ck_assert_str_eq(kt_str(rep, "kind"), "only-in-sync-replica");
    ck_assert_str_eq(kt_str(rep, "reason"), drain_note_name(DRAIN_NOTE_ONLY_ISR));
    ck_assert_int_eq(num_at(rep, "inSyncBesides"), 0);
    ck_assert_int_eq(num_at(rep, "leader"), 1);
    /* Left alone: listed with no order. */
    ck_assert(cJSON_IsNull(kt_at(cJSON_GetArrayItem(kt_at(r, "partitions"), 4), "order")));
    figures_are_the_planners(r, 2);
    cJSON_Delete(r);
}
END_TEST

START_TEST(falling_below_min_insync_replicas_is_not_safe)
{
    cJSON *r;
    const cJSON *rep;

    F.parts[0].n_isr = 2; /* partition 0 (0,1,2): 0 and 1 in sync, min 2 */
    r = report();
    ck_assert_int_eq(pl_drain_plan_exit(r), PL_EXIT_UNHEALTHY);
    ck_assert(says(r, "problems",
                   "1 partition falls below min.insync.replicas once broker 1 stops (writes with "
                   "acks=all are refused there until it is back): orders-0"));
    rep = cJSON_GetArrayItem(kt_at(r, "reportedPartitions"), 0);
    ck_assert_str_eq(kt_str(rep, "kind"), "below-min-isr");
    ck_assert_int_eq(num_at(rep, "inSyncBesides"), 1);
    ck_assert_int_eq(num_at(rep, "minIsr"), 2);
    /* Still demoted, as the drain does. */
    ck_assert(cJSON_IsArray(kt_at(cJSON_GetArrayItem(kt_at(r, "partitions"), 0), "order")));
    figures_are_the_planners(r, 2);
    cJSON_Delete(r);
    /* With no min.insync.replicas known the drain counts 1: safe. */
    F.in.n_configs = 0;
    r = report();
    ck_assert_int_eq(pl_drain_plan_exit(r), PL_EXIT_OK);
    figures_are_the_planners(r, 1);
    cJSON_Delete(r);
}
END_TEST

START_TEST(reassignments_and_no_successor_are_notes)
{
    int32_t order[3];
    util_err err = {{0}};
    cJSON *r;
    const cJSON *rep;

    F.moving.index = 3; /* partition 3 (0,1,2) is being moved */
    F.reassign.n_topics = 1;
    /* Partition 1 (1,2,0): 2 and 0 are demoted already. */
    ck_assert(drain_ledger_demote(F.ledger, "orders", 1, F.replicas[1], 3, 2, order, &err) >= 0);
    ck_assert(drain_ledger_demote(F.ledger, "orders", 1, F.replicas[1], 3, 0, order, &err) >= 0);
    r = report();
    ck_assert_int_eq(pl_drain_plan_exit(r), PL_EXIT_OK);
    ck_assert_int_eq(num_at(r, "reported"), 2);
    ck_assert_int_eq(num_at(r, "reportedByKind.underReassignment"), 1);
    ck_assert_int_eq(num_at(r, "reportedByKind.noSuccessor"), 1);
    ck_assert(says(r, "notes", "1 partition under reassignment, which the drain skips: orders-3"));
    ck_assert(says(r, "notes",
                   "1 partition with every replica demoted in the drain ledger, where broker 1 "
                   "stays preferred: orders-1"));
    rep = cJSON_GetArrayItem(kt_at(r, "reportedPartitions"), 0);
    ck_assert_str_eq(kt_str(rep, "kind"), "no-successor");
    rep = cJSON_GetArrayItem(kt_at(r, "reportedPartitions"), 1);
    ck_assert_str_eq(kt_str(rep, "kind"), "under-reassignment");
    ck_assert(cJSON_IsNull(kt_at(rep, "inSyncBesides")));
    cJSON_Delete(r);
}
END_TEST

START_TEST(a_broker_not_in_metadata_is_said)
{
    cJSON *r;

    F.md.n_brokers = 1; /* broker 0 only */
    r = report();
    ck_assert(cJSON_IsFalse(kt_at(r, "registered")));
    ck_assert(says(r, "notes", "broker 1 is not registered with the cluster"));
    cJSON_Delete(r);
}
END_TEST

/* What pl_drain_plan_print printed, as a new string. */
static char *printed(const cJSON *r, bool wide)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    pl_drain_plan_print(r, wide, f);
    fclose(f);
    return buf;
}

START_TEST(the_table_says_the_verdict_and_the_drains_log_line)
{
    cJSON *r;
    char *out;

    F.parts[4].n_isr = 1;
    F.isr[4][0] = 1;
    r = report();
    out = printed(r, false);
    ck_assert_msg(strstr(out, "Broker 1 (pod kafka/demo-1) of KafkaCluster demo: NOT SAFE to "
                              "restart now\n  problem: 1 partition whose only") == out,
                  "%s", out);
    ck_assert_msg(strstr(out, "a dry run: nothing was written\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "\nThe drain would log: broker 1 leads 2 partitions; 3 orders to "
                              "write, 1 reported\n") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "TOPIC    PARTITION   LEADER   REPLICAS   ISR   IN SYNC BESIDES   "
                              "MIN ISR   REPORTED\norders   4           1        1,2,0      1     "
                              "0                 2         only in-sync replica\n") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "Every partition") == NULL, "%s", out);
    free(out);
    out = printed(r, true);
    ck_assert_msg(strstr(out, "\norders   1           1        1,2,0      1,2,0   2,0,1   yes     "
                              "yes     -\n") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "\norders   4           1        1,2,0      1       -       no      "
                              "no      only in-sync replica\n") != NULL,
                  "%s", out);
    free(out);
    cJSON_Delete(r);
}
END_TEST

START_TEST(the_table_lists_the_first_reported_partitions_unless_wide)
{
    cJSON *r = kt_json("{\"cluster\":\"demo\",\"namespace\":\"kafka\",\"broker\":1,"
                       "\"pod\":\"demo-1\",\"safe\":true,\"reportedPartitions\":[]}");
    char *out;

    for (int i = 0; i < PL_TABLE_ROWS + 5; i++)
        cJSON_AddItemToArray(cJSON_GetObjectItem(r, "reportedPartitions"),
                             kt_json("{\"topic\":\"t\",\"partition\":%d,\"kind\":"
                                     "\"under-reassignment\"}",
                                     i));
    out = printed(r, false);
    ck_assert_msg(strstr(out, "\nt       19 ") != NULL && strstr(out, "\nt       20 ") == NULL &&
                      strstr(out, "... and 5 more (-o wide or -o json lists them all)\n") != NULL,
                  "%s", out);
    free(out);
    out = printed(r, true);
    ck_assert_msg(strstr(out, "\nt       24 ") != NULL && strstr(out, "more") == NULL, "%s", out);
    free(out);
    cJSON_Delete(r);
}
END_TEST

START_TEST(the_broker_to_drain_is_asked_last)
{
    cJSON *st =
        kt_json("[{\"id\":1,\"pod\":\"demo-1\",\"ready\":true},{\"id\":0,\"pod\":"
                "\"demo-0\",\"ready\":true},{\"id\":2,\"pod\":\"demo-2\",\"ready\":false}]");
    int32_t ids[8];

    ck_assert_int_eq(pl_broker_candidates(st, 1, ids, 8), 3);
    ck_assert(ids[0] == 0 && ids[1] == 2 && ids[2] == 1);
    ck_assert_int_eq(pl_broker_candidates(st, 1, ids, 2), 2);
    ck_assert(ids[0] == 0 && ids[1] == 2);
    cJSON_Delete(st);
    st = kt_json("[{\"id\":1,\"pod\":\"demo-1\",\"ready\":true}]");
    ck_assert_int_eq(pl_broker_candidates(st, 1, ids, 8), 1); /* it alone: asked all the same */
    ck_assert_int_eq(ids[0], 1);
    cJSON_Delete(st);
}
END_TEST

/* ---- the command against a scripted API server ---- */

static plugin_cmd P;

static void api_setup(void)
{
    plugin_cmd_start(&P, "drain-plan");
}

static void api_teardown(void)
{
    plugin_cmd_stop(&P);
}

/* Runs `drain-plan arg` (NULL: no argument); returns its exit status and
 * leaves what it wrote on stderr in err. */
static int run_drain_plan(const char *arg, char *err, size_t size)
{
    return plugin_cmd_run(&P, pl_cmd_drain_plan, arg, err, size);
}

/* A broker pod as the StatefulSet makes it, with the labels given (a JSON
 * object's members). */
static void answer_pod(const char *name, const char *labels)
{
    char path[128], body[1024];

    snprintf(path, sizeof path, "/pods/%s", name);
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}}}", name, labels);
    api_script_answer(P.api, "GET", path, 200, body, 1);
}

#define BROKER_LABELS                                                                              \
    "\"app.kubernetes.io/name\":\"kafka\",\"app.kubernetes.io/instance\":\"demo\","                \
    "\"app.kubernetes.io/component\":\"broker\",\"app.kubernetes.io/managed-by\":"                 \
    "\"berth-operator\""

static const char cr[] =
    "{\"metadata\":{\"name\":\"demo\",\"namespace\":\"default\"},\"status\":{\"brokers\":["
    "{\"id\":1,\"pod\":\"demo-1\",\"ready\":true},{\"id\":0,\"pod\":\"demo-0\",\"ready\":true},"
    "{\"id\":2,\"pod\":\"demo-2\",\"ready\":false}]}}";

/* The ConfigMap demo-brokers, its cluster.json of flavor and Secret
 * demo-broker-certs. */
static void answer_doc(const char *flavor)
{
    char body[512];

    snprintf(body, sizeof body,
             "{\"data\":{\"cluster.json\":\"{\\\"flavor\\\":\\\"%s\\\",\\\"clusterTLS\\\":"
             "{\\\"secret\\\":\\\"demo-broker-certs\\\",\\\"replicationPort\\\":9091}}\"}}",
             flavor);
    api_script_answer(P.api, "GET", "/configmaps/demo-brokers", 200, body, 1);
}

START_TEST(drain_plan_takes_one_pod_of_one_namespace)
{
    char err[1024];

    ck_assert_int_eq(run_drain_plan(NULL, err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: drain-plan takes one broker pod name\n");
    P.ctx.namespace = NULL;
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_USAGE);
    ck_assert_str_eq(err, "kubectl-berth: drain-plan works in one namespace, not -A\n");
    ck_assert_int_eq(api_script_count(P.api), 0);
}
END_TEST

START_TEST(a_pod_that_is_no_broker_is_refused_saying_why)
{
    char err[1024];

    api_script_answer(P.api, "GET", "/pods/demo-1", 404, "{}", 1);
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: pod default/demo-1 not found\n");
    answer_pod("web-0", "\"app\":\"web\"");
    ck_assert_int_eq(run_drain_plan("web-0", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: pod default/web-0 is not a KafkaCluster broker: it has "
                          "no label app.kubernetes.io/managed-by\n");
    answer_pod("demo-controller-0",
               "\"app.kubernetes.io/managed-by\":\"berth-operator\",\"app.kubernetes.io/"
               "component\":\"cruise\",\"app.kubernetes.io/instance\":\"demo\"");
    ck_assert_int_eq(run_drain_plan("demo-controller-0", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: pod default/demo-controller-0 is not a KafkaCluster "
                          "broker: its label app.kubernetes.io/component is \"cruise\", not "
                          "broker\n");
    answer_pod("other-1", BROKER_LABELS);
    ck_assert_int_eq(run_drain_plan("other-1", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: pod default/other-1 is not named as a broker of "
                          "KafkaCluster demo (its label app.kubernetes.io/instance): "
                          "\"demo-<broker id>\"\n");
    answer_pod("demo-01", BROKER_LABELS);
    ck_assert_int_eq(run_drain_plan("demo-01", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "is not named as a broker"));
    /* A broker pod of a KafkaCluster that is gone. */
    answer_pod("demo-1", BROKER_LABELS);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 404, "{}", 1);
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err,
                     "kubectl-berth: KafkaCluster \"demo\" not found in namespace \"default\"\n");
}
END_TEST

START_TEST(a_missing_configmap_is_refused)
{
    char err[1024];

    answer_pod("demo-1", BROKER_LABELS);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 1);
    api_script_answer(P.api, "GET", "/configmaps/demo-brokers", 404, "{}", 1);
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_msg(strstr(err, "kubectl-berth: KafkaCluster demo: ConfigMap default/demo-brokers "
                              "not found: berth-operator creates it") == err,
                  "%s", err);
    answer_pod("demo-1", BROKER_LABELS);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 1);
    answer_doc("kafka");
    api_script_answer(P.api, "GET", "/configmaps/demo-drain", 404, "{}", 1);
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_str_eq(err, "kubectl-berth: KafkaCluster demo: drain ledger: ConfigMap "
                          "default/demo-drain not found (the operator creates it with the "
                          "cluster)\n");
}
END_TEST

START_TEST(a_redpanda_cluster_is_refused)
{
    char err[1024];

    answer_pod("demo-1", BROKER_LABELS);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 1);
    answer_doc("redpanda");
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_ERROR);
    ck_assert_msg(strstr(err, "KafkaCluster demo: a redpanda cluster: its brokers drain by the "
                              "flavor's own maintenance mode") != NULL,
                  "%s", err);
}
END_TEST

START_TEST(another_broker_is_asked_first)
{
    char err[4096], *ca, *ca_key, *crt, *key, *b64[3], secret[8192];
    const char *pems[3];
    int forwards = 0;

    pki_self_signed("demo-ca", &ca, &ca_key);
    pki_issue_client(ca, ca_key, "berth-sidecar", NULL, &crt, &key);
    pems[0] = ca;
    pems[1] = crt;
    pems[2] = key;
    for (int i = 0; i < 3; i++)
        b64[i] = pki_base64(pems[i], strlen(pems[i]));
    snprintf(secret, sizeof secret,
             "{\"data\":{\"ca.crt\":\"%s\",\"sidecar.crt\":\"%s\",\"sidecar.key\":\"%s\"}}", b64[0],
             b64[1], b64[2]);
    answer_pod("demo-1", BROKER_LABELS);
    api_script_answer(P.api, "GET", "/kafkaclusters/demo", 200, cr, 1);
    answer_doc("kafka");
    api_script_answer(P.api, "GET", "/configmaps/demo-drain", 200, "{\"data\":{}}", 1);
    api_script_answer(P.api, "GET", "/secrets/demo-broker-certs", 200, secret, 1);
    api_script_answer(P.api, "GET", "/portforward", 403, "{}", 3);
    ck_assert_int_eq(run_drain_plan("demo-1", err, sizeof err), PL_EXIT_ERROR);
    /* Ready broker 0, then 2 (a pod), then 1 itself. */
    for (int i = 0; i < api_script_count(P.api); i++) {
        const char *path = api_script_request(P.api, i)->path;
        static const char *const order[] = {"/pods/demo-0/", "/pods/demo-2/", "/pods/demo-1/"};

        if (strstr(path, "/portforward") == NULL)
            continue;
        ck_assert_msg(forwards < 3 && strstr(path, order[forwards]) != NULL, "%s", path);
        forwards++;
    }
    ck_assert_int_eq(forwards, 3);
    ck_assert_msg(strstr(err, "kubectl-berth: broker 0: ") != NULL &&
                      strstr(err, "; trying broker 2\n") != NULL &&
                      strstr(err, "kubectl-berth: KafkaCluster demo: port-forward to pod "
                                  "default/demo-1 port 9091: 403 Forbidden") != NULL,
                  "%s", err);
    for (int i = 0; i < 3; i++)
        free(b64[i]);
    free(ca);
    free(ca_key);
    free(crt);
    free(key);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugin_drain_plan");
    TCase *tc = tcase_create("report"), *cmd = tcase_create("command");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_broker_with_in_sync_peers_everywhere_is_safe_to_restart);
    tcase_add_test(tc, the_ledger_given_is_left_as_it_was);
    tcase_add_test(tc, the_only_in_sync_replica_is_not_safe);
    tcase_add_test(tc, falling_below_min_insync_replicas_is_not_safe);
    tcase_add_test(tc, reassignments_and_no_successor_are_notes);
    tcase_add_test(tc, a_broker_not_in_metadata_is_said);
    tcase_add_test(tc, the_table_says_the_verdict_and_the_drains_log_line);
    tcase_add_test(tc, the_table_lists_the_first_reported_partitions_unless_wide);
    tcase_add_test(tc, the_broker_to_drain_is_asked_last);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(cmd, api_setup, api_teardown);
    tcase_set_timeout(cmd, 30);
    tcase_add_test(cmd, drain_plan_takes_one_pod_of_one_namespace);
    tcase_add_test(cmd, a_pod_that_is_no_broker_is_refused_saying_why);
    tcase_add_test(cmd, a_missing_configmap_is_refused);
    tcase_add_test(cmd, a_redpanda_cluster_is_refused);
    tcase_add_test(cmd, another_broker_is_asked_first);
    suite_add_tcase(s, cmd);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
