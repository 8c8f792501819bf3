/* `kubectl berth health`'s judgement (plugin/health.h) on hand-made
 * answers: a cluster with every partition fully in sync, its leaders on
 * their preferred brokers, its quorum caught up and its pods Ready is
 * healthy (exit 0); a partition under-replicated, under min.insync.replicas
 * or offline, a voter behind the quorum leader or a quorum without one, a
 * broker without a Ready pod or not registered are problems that make it
 * not healthy (exit 3); leaders off their preferred broker (the skew),
 * reassignments, demotions in the drain ledger and answers that could not
 * be had are notes that do not. The table: test_plugin_output.c; reaching
 * a broker and the command's refusals: test_plugin_health_link.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/proto.h"
#include "plugin/health.h"
#include "plugin/plugin.h"
#include "support/kube_test.h"

/* A three-broker cluster "demo" as the answers would describe it, in
 * arrays a test changes before building the report. */
typedef struct fixture {
    kafka_metadata md;
    kafka_metadata_broker brokers[3];
    kafka_metadata_topic topics[2];
    kafka_metadata_partition parts[2][3];
    int32_t replicas[2][3][3], isr[2][3][3];
    kafka_config_entry min_isr;
    kafka_config_result results[2];
    kafka_describe_configs_response configs;
    const kafka_describe_configs_response *configs_list[1];
    kafka_quorum_replica voters[3];
    kafka_quorum_partition quorum;
    cJSON *status, *pods;
    pl_health_input in;
} fixture;

static fixture F;

/* Every partition led by its preferred replica and fully in sync;
 * min.insync.replicas 2; voters caught up; pods Ready. */
static void setup(void)
{
    static const char *const names[] = {"orders", "logs"};

    memset(&F, 0, sizeof F);
    for (int b = 0; b < 3; b++)
        F.brokers[b] = (kafka_metadata_broker){.node_id = b, .host = "x", .port = 9092};
    for (int t = 0; t < 2; t++) {
        for (int p = 0; p < 3; p++) {
            for (int r = 0; r < 3; r++)
                F.replicas[t][p][r] = F.isr[t][p][r] = (p + r) % 3;
            F.parts[t][p] = (kafka_metadata_partition){.index = p,
                                                       .leader = p,
                                                       .n_replicas = 3,
                                                       .replicas = F.replicas[t][p],
                                                       .n_isr = 3,
                                                       .isr = F.isr[t][p]};
        }
        F.topics[t] =
            (kafka_metadata_topic){.name = names[t], .n_partitions = 3, .partitions = F.parts[t]};
        F.results[t] = (kafka_config_result){.resource_type = KAFKA_RESOURCE_TOPIC,
                                             .resource_name = names[t],
                                             .n_configs = 1,
                                             .configs = &F.min_isr};
    }
    F.md = (kafka_metadata){.cluster_id = "abc",
                            .n_brokers = 3,
                            .brokers = F.brokers,
                            .n_topics = 2,
                            .topics = F.topics};
    F.min_isr = (kafka_config_entry){.name = "min.insync.replicas", .value = "2"};
    F.configs = (kafka_describe_configs_response){.n_results = 2, .results = F.results};
    F.configs_list[0] = &F.configs;
    for (int v = 0; v < 3; v++)
        F.voters[v] = (kafka_quorum_replica){
            .replica_id = v, .log_end_offset = 100, .last_caught_up_timestamp = 50000};
    F.quorum = (kafka_quorum_partition){.leader_id = 0,
                                        .leader_epoch = 4,
                                        .high_watermark = 100,
                                        .n_voters = 3,
                                        .voters = F.voters};
    F.status = kt_json("[{\"id\":0,\"pod\":\"demo-0\",\"ready\":true},"
                       "{\"id\":1,\"pod\":\"demo-1\",\"ready\":true},"
                       "{\"id\":2,\"pod\":\"demo-2\",\"ready\":true}]");
    F.pods = cJSON_CreateArray();
    for (int b = 0; b < 3; b++)
        cJSON_AddItemToArray(
            F.pods,
            kt_json("{\"metadata\":{\"name\":\"demo-%d\"},\"status\":{\"phase\":\"Running\","
                    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                    "\"containerStatuses\":[{\"name\":\"kafka\",\"restartCount\":0,"
                    "\"state\":{\"running\":{}}}]}}",
                    b));
    F.in = (pl_health_input){.cluster = "demo",
                             .namespace = "kafka",
                             .flavor = "kafka",
                             .asked_pod = "demo-0",
                             .port = 9091,
                             .brokers = F.status,
                             .pods = F.pods,
                             .md = &F.md,
                             .configs = F.configs_list,
                             .n_configs = 1,
                             .quorum = &F.quorum};
}

static void teardown(void)
{
    cJSON_Delete(F.status);
    cJSON_Delete(F.pods);
}

/* The report of F.in, checked to exist. */
static cJSON *report(void)
{
    cJSON *r = pl_health_report(&F.in);

    ck_assert_ptr_nonnull(r);
    return r;
}

static double num_at(const cJSON *r, const char *path)
{
    const cJSON *v = kt_at(r, path);

    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valuedouble;
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

/* The row of broker id: the rows are sorted by id, and ids start at 0. */
static const cJSON *broker(const cJSON *r, int id)
{
    return cJSON_GetArrayItem(kt_at(r, "brokers"), id);
}

START_TEST(a_cluster_in_sync_and_balanced_is_healthy)
{
    cJSON *r = report();

    ck_assert(cJSON_IsTrue(kt_at(r, "healthy")));
    ck_assert_int_eq(pl_health_exit(r), PL_EXIT_OK);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "problems")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "notes")), 0);
    ck_assert_int_eq(num_at(r, "partitions.total"), 6);
    ck_assert_int_eq(num_at(r, "partitions.topics"), 2);
    ck_assert_int_eq(num_at(r, "partitions.leaderSkew"), 0);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "partitions.list")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "brokers")), 3);
    ck_assert_int_eq(num_at(broker(r, 1), "leaders"), 2);
    ck_assert_int_eq(num_at(broker(r, 1), "replicas"), 6);
    ck_assert(cJSON_IsTrue(kt_at(broker(r, 2), "ready")));
    ck_assert_int_eq(num_at(r, "quorum.leaderId"), 0);
    ck_assert(cJSON_IsTrue(kt_at(cJSON_GetArrayItem(kt_at(r, "quorum.voters"), 2), "caughtUp")));
    ck_assert_str_eq(kt_str(r, "asked.pod"), "demo-0");
    cJSON_Delete(r);
}
END_TEST

START_TEST(a_partition_short_of_its_replicas_is_under_replicated)
{
    cJSON *r, *e;

    F.parts[0][1].n_isr = 2; /* orders-1: replicas 1,2,0, ISR 1,2 */
    r = report();
    ck_assert(cJSON_IsFalse(kt_at(r, "healthy")));
    ck_assert_int_eq(pl_health_exit(r), PL_EXIT_UNHEALTHY);
    ck_assert_int_eq(num_at(r, "partitions.underReplicated"), 1);
    ck_assert_int_eq(num_at(r, "partitions.underMinIsr"), 0); /* 2 of min 2 */
    ck_assert(says(r, "problems", "1 partition under-replicated"));
    e = cJSON_GetArrayItem(kt_at(r, "partitions.list"), 0);
    ck_assert_str_eq(kt_str(e, "topic"), "orders");
    ck_assert_int_eq(num_at(e, "partition"), 1);
    ck_assert_int_eq(num_at(e, "minIsr"), 2);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(kt_at(e, "problems"), 0)),
                     "under-replicated");
    cJSON_Delete(r);
}
END_TEST

START_TEST(an_isr_below_min_insync_replicas_is_a_problem_of_its_own)
{
    cJSON *r;

    F.parts[1][0].n_isr = 1; /* logs-0: ISR 0 alone, min 2 */
    r = report();
    ck_assert_int_eq(num_at(r, "partitions.underMinIsr"), 1);
    ck_assert_int_eq(num_at(r, "partitions.underReplicated"), 1);
    ck_assert(says(r, "problems", "1 partition under min.insync.replicas"));
    ck_assert_int_eq(pl_health_exit(r), PL_EXIT_UNHEALTHY);
    cJSON_Delete(r);
    /* Without a minimum for the topic it is not checked, and a note says
     * so. */
    F.configs.n_results = 1; /* "orders" only */
    r = report();
    ck_assert_int_eq(num_at(r, "partitions.underMinIsr"), 0);
    ck_assert(cJSON_IsNull(kt_at(cJSON_GetArrayItem(kt_at(r, "partitions.list"), 0), "minIsr")));
    ck_assert(says(r, "notes", "min.insync.replicas unknown for 1 topic:"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(a_partition_without_a_leader_is_offline)
{
    cJSON *r;

    F.parts[0][2].leader = -1;
    F.parts[0][2].n_isr = 0;
    F.parts[0][2].isr = NULL; /* as a decoded empty ISR */
    r = report();
    ck_assert_int_eq(num_at(r, "partitions.offline"), 1);
    ck_assert(cJSON_IsArray(kt_at(cJSON_GetArrayItem(kt_at(r, "partitions.list"), 0), "isr")));
    ck_assert(says(r, "problems", "1 partition offline (no leader)"));
    ck_assert_int_eq(pl_health_exit(r), PL_EXIT_UNHEALTHY);
    ck_assert_int_eq(num_at(broker(r, 2), "leaders"), 1);
    cJSON_Delete(r);
}
END_TEST

START_TEST(leaders_off_their_preferred_broker_are_a_note_with_the_skew)
{
    cJSON *r;

    /* Broker 0 took over the leadership of orders-1 and logs-1 (as after a
     * drain of broker 1 whose restore has not run). */
    F.parts[0][1].leader = 0;
    F.parts[1][1].leader = 0;
    r = report();
    ck_assert(cJSON_IsTrue(kt_at(r, "healthy")));
    ck_assert_int_eq(num_at(r, "partitions.notPreferredLeader"), 2);
    ck_assert_int_eq(num_at(r, "partitions.mostLeaders"), 4);
    ck_assert_int_eq(num_at(r, "partitions.fewestLeaders"), 0);
    ck_assert_int_eq(num_at(r, "partitions.leaderSkew"), 4);
    ck_assert_int_eq(num_at(broker(r, 1), "preferredLeaders"), 2);
    ck_assert(says(r, "notes", "2 partitions not led by their preferred leader (leader skew 4"));
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "partitions.list")), 2);
    cJSON_Delete(r);
}
END_TEST

START_TEST(a_voter_behind_the_quorum_leader_is_a_problem)
{
    cJSON *r;
    const cJSON *v;

    F.voters[2].log_end_offset = 40;
    F.voters[2].last_caught_up_timestamp = 50000 - 12000;
    r = report();
    v = cJSON_GetArrayItem(kt_at(r, "quorum.voters"), 2);
    ck_assert(cJSON_IsFalse(kt_at(v, "caughtUp")));
    ck_assert_int_eq(num_at(v, "lag"), 60);
    ck_assert_int_eq(num_at(v, "lastCaughtUpMsAgo"), 12000);
    ck_assert(says(r, "problems", "KRaft voter 2 is behind the quorum leader 0 (60 records"));
    ck_assert_int_eq(pl_health_exit(r), PL_EXIT_UNHEALTHY);
    cJSON_Delete(r);
    /* Caught up within the readiness gate's lag: fine, though its log end
     * is a little behind. */
    F.voters[2].last_caught_up_timestamp = 50000 - (PL_HEALTH_VOTER_MAX_LAG_MS - 1);
    r = report();
    ck_assert(cJSON_IsTrue(kt_at(r, "healthy")));
    cJSON_Delete(r);
    F.quorum.leader_id = -1;
    r = report();
    ck_assert(says(r, "problems", "the KRaft quorum has no leader"));
    cJSON_Delete(r);
    F.in.quorum = NULL;
    F.in.quorum_error = "DescribeQuorum: NOT_LEADER_OR_FOLLOWER";
    r = report();
    ck_assert(says(r, "problems", "could not be described: DescribeQuorum"));
    ck_assert_ptr_null(kt_at(r, "quorum"));
    cJSON_Delete(r);
    /* Redpanda: no quorum asked, none missed. */
    F.in.quorum_error = NULL;
    F.in.flavor = "redpanda";
    r = report();
    ck_assert(cJSON_IsTrue(kt_at(r, "healthy")));
    cJSON_Delete(r);
}
END_TEST

START_TEST(brokers_without_a_ready_pod_or_unregistered_are_problems)
{
    cJSON *r, *p1 = cJSON_GetArrayItem(F.pods, 1);

    /* demo-1 crash-loops (restarted 3 times, the sidecar once more);
     * demo-2 is gone and Kafka lists only brokers 0 and 1. */
    cJSON_ReplaceItemInObject(
        p1, "status",
        kt_json("{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
                "\"reason\":\"ContainersNotReady\",\"message\":\"containers with unready status: "
                "[kafka]\"}],\"initContainerStatuses\":[{\"name\":\"sidecar\",\"restartCount\":1}],"
                "\"containerStatuses\":[{\"name\":\"kafka\",\"restartCount\":3,\"state\":"
                "{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}"));
    cJSON_DeleteItemFromArray(F.pods, 2);
    F.md.n_brokers = 2;
    r = report();
    ck_assert(cJSON_IsFalse(kt_at(broker(r, 1), "ready")));
    ck_assert_int_eq(num_at(broker(r, 1), "restarts"), 4);
    ck_assert_str_eq(kt_str(broker(r, 1), "waiting"), "kafka: CrashLoopBackOff");
    ck_assert_str_eq(kt_str(broker(r, 1), "readyReason"), "ContainersNotReady");
    ck_assert(cJSON_IsFalse(kt_at(broker(r, 2), "podFound")));
    ck_assert(cJSON_IsFalse(kt_at(broker(r, 2), "registered")));
    ck_assert(says(r, "problems", "broker 1: pod demo-1 is not Ready (kafka: CrashLoopBackOff)"));
    ck_assert(says(r, "problems", "broker 2: no pod demo-2"));
    ck_assert(says(r, "problems", "broker 2 is not registered with the cluster"));
    ck_assert_int_eq(pl_health_exit(r), PL_EXIT_UNHEALTHY);
    cJSON_Delete(r);
    /* Pods that cannot be read: the status's readiness, and a note. */
    F.in.pods = NULL;
    F.in.pods_error = "403 Forbidden";
    F.md.n_brokers = 3;
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(F.status, 1), "ready", cJSON_CreateFalse());
    r = report();
    ck_assert(says(r, "notes", "broker pods not read (403 Forbidden)"));
    ck_assert(says(r, "problems", "broker 1: not Ready (the KafkaCluster's status says)"));
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "problems")), 1);
    cJSON_Delete(r);
}
END_TEST

START_TEST(reassignments_and_demotions_are_notes)
{
    int32_t reps[] = {1, 2, 0, 3}, add[] = {3};
    kafka_ongoing_partition op = {
        .index = 1, .n_replicas = 4, .replicas = reps, .n_adding = 1, .adding = add};
    kafka_ongoing_topic ot = {.name = "orders", .n_partitions = 1, .partitions = &op};
    kafka_list_partition_reassignments_response re = {.n_topics = 1, .topics = &ot};
    static const char ledger_json[] =
        "{\"version\":1,\"partitions\":[{\"topic\":\"orders\",\"partition\":0,\"original\":[0,1,2],"
        "\"demoted\":[0],\"written\":[1,2,0],\"wrote\":[[1,2,0]]},{\"topic\":\"logs\",\"partition\""
        ":0,\"original\":[0,1,2],\"demoted\":[0],\"written\":[1,2,0],\"wrote\":[[1,2,0]]}]}";
    drain_ledger *l = NULL;
    util_err err = {{0}};
    cJSON *r;

    ck_assert_msg(drain_ledger_parse(ledger_json, strlen(ledger_json), &l, &err) == 0, "%s",
                  err.msg);
    F.in.reassign = &re;
    F.in.ledger = l;
    r = report();
    ck_assert(cJSON_IsTrue(kt_at(r, "healthy")));
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "reassignments")), 1);
    ck_assert_str_eq(kt_str(cJSON_GetArrayItem(kt_at(r, "reassignments"), 0), "topic"), "orders");
    ck_assert(says(r, "notes", "1 partition being reassigned"));
    ck_assert_int_eq(num_at(r, "ledger.partitions"), 2);
    ck_assert_int_eq(cJSON_GetArrayItem(kt_at(r, "ledger.demoted"), 0)->valueint, 0);
    ck_assert_int_eq(num_at(broker(r, 0), "demotedPartitions"), 2);
    ck_assert(says(r, "notes", "broker 0 is demoted on 2 partitions in the drain ledger"));
    cJSON_Delete(r);
    F.in.reassign = NULL;
    F.in.reassign_error = "broker 0 does not answer ListPartitionReassignments";
    F.in.ledger = NULL;
    F.in.ledger_error = "drain ledger: ConfigMap kafka/demo-drain not found";
    r = report();
    ck_assert(cJSON_IsTrue(kt_at(r, "healthy")));
    ck_assert(says(r, "notes", "reassignments not known: broker 0 does not answer"));
    ck_assert(says(r, "notes", "drain ledger not read: drain ledger: ConfigMap"));
    ck_assert_ptr_null(kt_at(r, "ledger"));
    cJSON_Delete(r);
    drain_ledger_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugin_health");
    TCase *tc = tcase_create("report");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_cluster_in_sync_and_balanced_is_healthy);
    tcase_add_test(tc, a_partition_short_of_its_replicas_is_under_replicated);
    tcase_add_test(tc, an_isr_below_min_insync_replicas_is_a_problem_of_its_own);
    tcase_add_test(tc, a_partition_without_a_leader_is_offline);
    tcase_add_test(tc, leaders_off_their_preferred_broker_are_a_note_with_the_skew);
    tcase_add_test(tc, a_voter_behind_the_quorum_leader_is_a_problem);
    tcase_add_test(tc, brokers_without_a_ready_pod_or_unregistered_are_problems);
    tcase_add_test(tc, reassignments_and_demotions_are_notes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
