/* berth's admin calls do on a real Kafka cluster what drain, restore and
 * readiness rely on: a topic created with CreateTopics shows in Metadata; a
 * pure reorder of replicas (AlterPartitionReassignments, broker 1 last)
 * completes at once, so ListPartitionReassignments shows nothing pending;
 * ElectLeaders(PREFERRED), in batches, then moves every leadership off
 * broker 1; writing the original orders back and electing again gives every
 * partition its original leader. IncrementalAlterConfigs and DescribeConfigs
 * set and read min.insync.replicas; DescribeQuorum shows three caught-up
 * voters; DescribeCluster three unfenced brokers; every broker's ApiVersions
 * names the metadata.version levels it supports and the one finalized, the
 * same on all, and UpdateFeatures (validate_only, so nothing changes)
 * accepts the finalized level and refuses one below it or beyond what the
 * brokers support; and the brokers' refusals
 * (existing topic, unknown partition, a replication-factor change forbidden
 * by AlterPartitionReassignments v1) come back as per-item error codes.
 *
 * The cluster is shared: every topic here has a random name and is deleted
 * at the end (by the tests, and again by a fixture in case one failed half
 * way); nothing outside those topics is changed. Without
 * BERTH_KAFKA_BOOTSTRAP every test fails: no silent skipping. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kafka/api_versions.h"
#include "kafka/cluster.h"
#include "kafka/configs.h"
#include "kafka/conn.h"
#include "kafka/elect_leaders.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/quorum.h"
#include "kafka/reassign.h"
#include "kafka/topic_partitions.h"
#include "kafka/topics.h"
#include "kafka/update_features.h"
#include "support/kafka_test.h"

#define CALL_MS      15000 /* one round trip */
#define BROKER_MS    10000 /* the broker's own wait inside a request */
#define SETTLE_MS    60000 /* how long leadership may take to follow */
#define N_PARTITIONS 12
#define DEMOTED      1 /* the broker drained here */

static char run_id[32];

/* Topics the tests create, deleted again by the fixture. */
static const char *const topic_tags[] = {"drain", "configs", "refusals", "metadata"};
#define N_TOPICS (sizeof topic_tags / sizeof topic_tags[0])

/* "kaf-admin-<run>-<tag>", in a static buffer per tag. */
static const char *topic_name(const char *tag)
{
    static char names[N_TOPICS][96];
    size_t i;

    for (i = 0; i < N_TOPICS; i++) {
        if (strcmp(topic_tags[i], tag) == 0) {
            snprintf(names[i], sizeof names[i], "kaf-admin-%s-%s", run_id, tag);
            return names[i];
        }
    }
    ck_abort_msg("no topic tag %s", tag);
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A connection to addr with its ApiVersions answer. */
static void close_conn(kafka_conn *c, kafka_api_versions *av)
{
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

static void create_topic(kafka_conn *c, const kafka_api_versions *av, const char *name,
                         int32_t partitions, int16_t rf)
{
    kafka_new_topic t = {name, partitions, rf, NULL, 0, NULL, 0};
    kafka_create_topics_request req = {&t, 1, BROKER_MS, 0};
    kafka_create_topics_response *res;
    util_err err;

    ck_assert_msg(kafka_create_topics_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res->n_topics, 1);
    ck_assert_str_eq(res->topics[0].name, name);
    ck_assert_msg(res->topics[0].error_code == 0, "create %s: %s (%d): %s", name,
                  kafka_error_name(res->topics[0].error_code), res->topics[0].error_code,
                  res->topics[0].error_message ? res->topics[0].error_message : "");
    ck_assert_int_eq(res->topics[0].num_partitions, partitions);
    ck_assert_int_eq(res->topics[0].replication_factor, rf);
    if (res->version >= 7)
        ck_assert_msg(memcmp(res->topics[0].topic_id.b, (unsigned char[16]){0}, 16) != 0,
                      "CreateTopics v7 returned a zero topic id");
    kafka_create_topics_free(res);
}

/* Deletes name; with must_exist 0, a missing topic is fine. */
static void delete_topic(kafka_conn *c, const kafka_api_versions *av, const char *name,
                         int must_exist)
{
    kafka_delete_topics_request req = {&name, 1, BROKER_MS};
    kafka_delete_topics_response *res;
    util_err err;

    ck_assert_msg(kafka_delete_topics_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res->n_topics, 1);
    if (must_exist || res->topics[0].error_code != KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION)
        ck_assert_msg(res->topics[0].error_code == 0, "delete %s: %s", name,
                      kafka_error_name(res->topics[0].error_code));
    kafka_delete_topics_free(res);
}

/* Is every partition of t led and fully in sync? */
static int topic_settled(const kafka_metadata_topic *t, int32_t partitions, int32_t rf)
{
    int32_t i;

    if (t == NULL || t->error_code != 0 || t->n_partitions != partitions)
        return 0;
    for (i = 0; i < t->n_partitions; i++)
        if (t->partitions[i].error_code != 0 || t->partitions[i].leader < 0 ||
            t->partitions[i].n_isr != rf || t->partitions[i].n_replicas != rf)
            return 0;
    return 1;
}

/* Polls Metadata until name has all partitions led and in sync. */
static kafka_metadata *wait_settled(kafka_conn *c, const kafka_api_versions *av, const char *name,
                                    int32_t partitions, int32_t rf)
{
    int64_t deadline = now_ms() + SETTLE_MS;

    for (;;) {
        kafka_metadata *md = kft_metadata(c, av, name);
        if (topic_settled(kafka_metadata_topic_find(md, name), partitions, rf))
            return md;
        kafka_metadata_free(md);
        ck_assert_msg(now_ms() < deadline, "topic %s not settled after %d ms", name, SETTLE_MS);
        sleep_ms(200);
    }
}

/* Writes orders[i] as the replica list of partition parts[i] of topic. */
static void reorder(kafka_conn *c, const kafka_api_versions *av, const char *topic,
                    const int32_t *parts, int32_t (*orders)[3], int32_t n)
{
    kafka_reassign_partition rp[N_PARTITIONS];
    kafka_reassign_topic rt = {topic, rp, n};
    kafka_alter_partition_reassignments_request req = {BROKER_MS, 0, &rt, 1};
    kafka_alter_partition_reassignments_response *res;
    util_err err;
    int32_t i;

    for (i = 0; i < n; i++) {
        rp[i].index = parts[i];
        rp[i].replicas = orders[i];
        rp[i].n_replicas = 3;
    }
    /* The reorder keeps the replica set; where the broker can check that,
     * let it. */
    req.keep_replication_factor = kafka_alter_partition_reassignments_keeps_rf(av);
    ck_assert_msg(kafka_alter_partition_reassignments_call(c, av, &req, CALL_MS, &res, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(res->n_topics, 1);
    ck_assert_str_eq(res->topics[0].name, topic);
    ck_assert_int_eq(res->topics[0].n_partitions, n);
    for (i = 0; i < n; i++)
        ck_assert_msg(res->topics[0].partitions[i].error_code == 0, "reorder %s-%d: %s: %s", topic,
                      res->topics[0].partitions[i].index,
                      kafka_error_name(res->topics[0].partitions[i].error_code),
                      res->topics[0].partitions[i].error_message
                          ? res->topics[0].partitions[i].error_message
                          : "");
    if (req.keep_replication_factor)
        ck_assert_int_eq(res->allow_replication_factor_change, 0);
    kafka_alter_partition_reassignments_free(res);
}

/* Polls Metadata until partitions parts[i] of topic list orders[i]: the
 * controller has the new order at once, the answering broker a moment
 * later. */
static void wait_orders(kafka_conn *c, const kafka_api_versions *av, const char *topic,
                        const int32_t *parts, int32_t (*orders)[3], int32_t n)
{
    int64_t deadline = now_ms() + SETTLE_MS;

    for (;;) {
        kafka_metadata *md = kft_metadata(c, av, topic);
        int32_t i, same = 1;

        for (i = 0; i < n; i++) {
            const kafka_metadata_partition *p = kafka_metadata_partition_find(md, topic, parts[i]);
            ck_assert_ptr_nonnull(p);
            ck_assert_int_eq(p->n_replicas, 3);
            same &= memcmp(p->replicas, orders[i], sizeof orders[i]) == 0;
        }
        kafka_metadata_free(md);
        if (same)
            return;
        ck_assert_msg(now_ms() < deadline, "new replica orders of %s not shown after %d ms", topic,
                      SETTLE_MS);
        sleep_ms(100);
    }
}

/* No reassignment of topic is pending, right now. */
static void assert_none_pending(kafka_conn *c, const kafka_api_versions *av, const char *topic)
{
    kafka_list_partition_reassignments_request req = {BROKER_MS, NULL, 0};
    kafka_list_partition_reassignments_response *res;
    util_err err;
    int32_t i;

    ck_assert_msg(kafka_list_partition_reassignments_call(c, av, &req, CALL_MS, &res, &err) == 0,
                  "%s", err.msg);
    for (i = 0; i < res->n_topics; i++)
        ck_assert_msg(strcmp(res->topics[i].name, topic) != 0,
                      "%s: %d partitions still being reassigned after a pure reorder", topic,
                      res->topics[i].n_partitions);
    ck_assert_ptr_null(kafka_list_partition_reassignments_find(res, topic, 0));
    kafka_list_partition_reassignments_free(res);
}

/* Elects preferred leaders for parts of topic in batches of 2; each outcome
 * must be success or ELECTION_NOT_NEEDED. */
static void elect(kafka_conn *c, const kafka_api_versions *av, const char *topic,
                  const int32_t *parts, int32_t n)
{
    kafka_topic_partitions tp = {topic, parts, n};
    kafka_elect_leaders_request req = {KAFKA_ELECTION_PREFERRED, &tp, 1, BROKER_MS};
    kafka_elect_leaders_response *res;
    util_err err;
    int32_t i, seen = 0;

    ck_assert_msg(kafka_elect_leaders_batched(c, av, &req, 2, CALL_MS, &res, &err) == 0, "%s",
                  err.msg);
    /* One topic entry per batch: the merge keeps them all. */
    ck_assert_int_eq(res->n_topics, (n + 1) / 2);
    for (i = 0; i < n; i++) {
        const kafka_elect_partition_result *r = kafka_elect_leaders_find(res, topic, parts[i]);

        ck_assert_msg(r != NULL, "%s-%d: no election result", topic, parts[i]);
        ck_assert_msg(r->error_code == 0 || r->error_code == KAFKA_ERR_ELECTION_NOT_NEEDED,
                      "elect %s-%d: %s: %s", topic, parts[i], kafka_error_name(r->error_code),
                      r->error_message ? r->error_message : "");
        seen++;
    }
    ck_assert_int_eq(seen, n);
    kafka_elect_leaders_free(res);
}

START_TEST(reorder_and_preferred_election_drain_broker_1_and_restore_it)
{
    const char *topic = topic_name("drain");
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    kafka_metadata *md;
    kafka_metadata_refs *led;
    const kafka_metadata_topic *t;
    int32_t orig_leader[N_PARTITIONS], orig_order[N_PARTITIONS][3];
    int32_t parts[N_PARTITIONS], demoted[N_PARTITIONS][3], restored[N_PARTITIONS][3];
    int32_t i, j, k, n;
    int64_t deadline;
    util_err err;

    create_topic(c, av, topic, N_PARTITIONS, 3);
    md = wait_settled(c, av, topic, N_PARTITIONS, 3);
    ck_assert_int_eq(md->version, 13); /* Kafka 4.1 to 4.4 speak berth's newest */
    t = kafka_metadata_topic_find(md, topic);
    ck_assert_ptr_nonnull(t);
    ck_assert(!t->is_internal);
    for (i = 0; i < N_PARTITIONS; i++) {
        const kafka_metadata_partition *p = kafka_metadata_partition_find(md, topic, i);

        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->index, i);
        orig_leader[i] = p->leader;
        memcpy(orig_order[i], p->replicas, sizeof orig_order[i]);
    }
    ck_assert_ptr_null(kafka_metadata_partition_find(md, topic, N_PARTITIONS));

    /* The partitions broker 1 leads, and their orders with it moved last. */
    ck_assert_msg(kafka_metadata_led_by(md, DEMOTED, &led, &err) == 0, "%s", err.msg);
    n = 0;
    for (i = 0; i < led->n; i++) {
        if (led->refs[i].topic != t)
            continue;
        parts[n] = led->refs[i].partition->index;
        for (j = 0, k = 0; j < 3; j++)
            if (led->refs[i].partition->replicas[j] != DEMOTED)
                demoted[n][k++] = led->refs[i].partition->replicas[j];
        demoted[n][2] = DEMOTED;
        memcpy(restored[n], orig_order[parts[n]], sizeof restored[n]);
        n++;
    }
    kafka_metadata_refs_free(led);
    kafka_metadata_free(md);
    ck_assert_msg(n > 0, "broker %d leads none of the %d partitions of %s", DEMOTED, N_PARTITIONS,
                  topic);

    /* Demote: reorder (completes at once), elect, wait. */
    reorder(c, av, topic, parts, demoted, n);
    assert_none_pending(c, av, topic);
    wait_orders(c, av, topic, parts, demoted, n);
    elect(c, av, topic, parts, n);
    deadline = now_ms() + SETTLE_MS;
    for (;;) {
        kafka_metadata_refs *still;
        int32_t mine = 0;

        md = kft_metadata(c, av, topic);
        ck_assert_msg(kafka_metadata_led_by(md, DEMOTED, &still, &err) == 0, "%s", err.msg);
        for (i = 0; i < still->n; i++)
            mine += strcmp(still->refs[i].topic->name, topic) == 0;
        kafka_metadata_refs_free(still);
        if (mine == 0) {
            /* Every partition still has a leader and the same replica set. */
            ck_assert(topic_settled(kafka_metadata_topic_find(md, topic), N_PARTITIONS, 3));
            kafka_metadata_free(md);
            break;
        }
        kafka_metadata_free(md);
        ck_assert_msg(now_ms() < deadline, "broker %d still leads %d partitions of %s", DEMOTED,
                      mine, topic);
        sleep_ms(200);
    }

    /* Restore: the original orders, elect, and every leader is back. */
    reorder(c, av, topic, parts, restored, n);
    assert_none_pending(c, av, topic);
    elect(c, av, topic, parts, n);
    deadline = now_ms() + SETTLE_MS;
    for (;;) {
        int same = 1;

        md = kft_metadata(c, av, topic);
        for (i = 0; i < N_PARTITIONS; i++) {
            const kafka_metadata_partition *p = kafka_metadata_partition_find(md, topic, i);
            ck_assert_ptr_nonnull(p);
            ck_assert_int_eq(p->n_replicas, 3);
            same &= memcmp(p->replicas, orig_order[i], sizeof orig_order[i]) == 0;
            same &= p->leader == orig_leader[i];
        }
        kafka_metadata_free(md);
        if (same)
            break;
        ck_assert_msg(now_ms() < deadline, "orders and leaders of %s not back after %d ms", topic,
                      SETTLE_MS);
        sleep_ms(200);
    }

    /* A preferred election where the preferred replica leads already. */
    {
        int32_t all[N_PARTITIONS];
        kafka_topic_partitions tp = {topic, all, N_PARTITIONS};
        kafka_elect_leaders_request req = {KAFKA_ELECTION_PREFERRED, &tp, 1, BROKER_MS};
        kafka_elect_leaders_response *res;

        for (i = 0; i < N_PARTITIONS; i++)
            all[i] = i;
        ck_assert_msg(kafka_elect_leaders_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(res->version, 2);
        for (i = 0; i < N_PARTITIONS; i++) {
            const kafka_elect_partition_result *r = kafka_elect_leaders_find(res, topic, i);
            ck_assert_ptr_nonnull(r);
            ck_assert_int_eq(r->error_code, KAFKA_ERR_ELECTION_NOT_NEEDED);
        }
        kafka_elect_leaders_free(res);
    }

    delete_topic(c, av, topic, 1);
    close_conn(c, av);
}
END_TEST

/* Describes req until the first result's entry key comes from a dynamic
 * topic override (want_override 1) or not (0): a change goes through the
 * controller and reaches the answering broker a moment later. */
static kafka_describe_configs_response *describe_until(kafka_conn *c, const kafka_api_versions *av,
                                                       const kafka_describe_configs_request *req,
                                                       const char *key, int want_override)
{
    int64_t deadline = now_ms() + SETTLE_MS;
    util_err err;

    for (;;) {
        kafka_describe_configs_response *res;
        const kafka_config_entry *e;

        ck_assert_msg(kafka_describe_configs_call(c, av, req, CALL_MS, &res, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(res->n_results, 1);
        ck_assert_msg(res->results[0].error_code == 0, "%s",
                      kafka_error_name(res->results[0].error_code));
        e = kafka_config_result_find(&res->results[0], key);
        ck_assert_ptr_nonnull(e);
        if ((e->config_source == KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC) == want_override)
            return res;
        kafka_describe_configs_free(res);
        ck_assert_msg(now_ms() < deadline, "%s: the change did not show after %d ms", key,
                      SETTLE_MS);
        sleep_ms(200);
    }
}

START_TEST(min_insync_replicas_set_read_and_reset)
{
    const char *topic = topic_name("configs");
    const char *key = "min.insync.replicas";
    kafka_api_versions *av, *av_b;
    kafka_conn *c = kft_open(kft_broker(0), &av), *cb;
    kafka_config_op set = {key, KAFKA_CONFIG_SET, "2"}, del = {key, KAFKA_CONFIG_DELETE, NULL};
    kafka_alter_config_resource ares = {KAFKA_RESOURCE_TOPIC, topic, &set, 1};
    kafka_incremental_alter_configs_request areq = {&ares, 1, 0};
    kafka_incremental_alter_configs_response *ares_out;
    kafka_config_resource dres = {KAFKA_RESOURCE_TOPIC, topic, &key, 1};
    kafka_describe_configs_request dreq = {&dres, 1, 1, 0};
    kafka_describe_configs_response *dout;
    const kafka_config_result *r;
    const kafka_config_entry *e;
    const kafka_metadata_broker *b;
    kafka_metadata *md;
    char addr[160], fallback[64];
    util_err err;

    create_topic(c, av, topic, 1, 3);
    md = wait_settled(c, av, topic, 1, 3);

    ck_assert_msg(kafka_incremental_alter_configs_call(c, av, &areq, CALL_MS, &ares_out, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(ares_out->version, 1);
    ck_assert_int_eq(ares_out->n_results, 1);
    ck_assert_msg(ares_out->results[0].error_code == 0, "%s",
                  kafka_error_name(ares_out->results[0].error_code));
    ck_assert_int_eq(ares_out->results[0].resource_type, KAFKA_RESOURCE_TOPIC);
    ck_assert_str_eq(ares_out->results[0].resource_name, topic);
    kafka_incremental_alter_configs_free(ares_out);

    dout = describe_until(c, av, &dreq, key, 1);
    ck_assert_int_eq(dout->version, 4);
    r = kafka_describe_configs_result(dout, KAFKA_RESOURCE_TOPIC, topic);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->error_code, 0);
    ck_assert_int_eq(r->n_configs, 1); /* only the key asked for */
    e = kafka_config_result_find(r, key);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, "2");
    ck_assert_int_eq(e->config_source, KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC);
    ck_assert(!e->is_sensitive);
    ck_assert(!e->read_only);
    ck_assert_int_ge(e->n_synonyms, 1); /* asked for: the topic value, then the defaults */
    ck_assert_str_eq(e->synonyms[0].value, "2");
    kafka_describe_configs_free(dout);

    /* Delete the override: the default shows again. */
    ares.ops = &del;
    ck_assert_msg(kafka_incremental_alter_configs_call(c, av, &areq, CALL_MS, &ares_out, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(ares_out->results[0].error_code, 0);
    kafka_incremental_alter_configs_free(ares_out);
    dout = describe_until(c, av, &dreq, key, 0);
    e = kafka_config_result_find(&dout->results[0], key);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_ne(e->config_source, KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC);
    ck_assert_ptr_nonnull(e->value);
    snprintf(fallback, sizeof fallback, "%s", e->value);
    kafka_describe_configs_free(dout);

    /* The broker's value, asked of broker 1 on its own connection. */
    b = kafka_metadata_broker_find(md, DEMOTED);
    ck_assert_ptr_nonnull(b);
    snprintf(addr, sizeof addr, "%s:%d", b->host, b->port);
    kafka_metadata_free(md);
    cb = kft_open(addr, &av_b);
    dres.type = KAFKA_RESOURCE_BROKER;
    dres.name = "1";
    dreq.include_synonyms = 0;
    ck_assert_msg(kafka_describe_configs_call(cb, av_b, &dreq, CALL_MS, &dout, &err) == 0, "%s",
                  err.msg);
    r = kafka_describe_configs_result(dout, KAFKA_RESOURCE_BROKER, "1");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->error_code, 0);
    e = kafka_config_result_find(r, key);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, fallback); /* what the topic falls back to */
    ck_assert_int_eq(e->n_synonyms, 0);
    kafka_describe_configs_free(dout);
    close_conn(cb, av_b);

    delete_topic(c, av, topic, 1);
    close_conn(c, av);
}
END_TEST

START_TEST(quorum_has_three_caught_up_voters)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    kafka_describe_quorum_response *q = NULL;
    const kafka_quorum_partition *p = NULL;
    int64_t deadline = now_ms() + SETTLE_MS;
    util_err err;
    int32_t i;

    for (;;) {
        int all = 1;

        ck_assert_msg(kafka_describe_quorum_call(c, av, NULL, CALL_MS, &q, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(q->version, 2);
        ck_assert_int_eq(q->n_topics, 1);
        ck_assert_str_eq(q->topics[0].name, KAFKA_METADATA_TOPIC);
        p = kafka_describe_quorum_partition(q);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->index, 0);
        ck_assert_int_eq(p->n_voters, 3);
        ck_assert_ptr_nonnull(kafka_quorum_voter(p, p->leader_id));
        ck_assert_int_gt(p->leader_epoch, 0);
        ck_assert_int_gt(p->high_watermark, 0);
        for (i = 0; i < p->n_voters; i++) {
            ck_assert_int_ge(p->voters[i].log_end_offset, 0);
            ck_assert_int_ge(p->voters[i].last_caught_up_timestamp, 0);
            all &= kafka_quorum_voter_caught_up(p, p->voters[i].replica_id, 5000) == 1;
        }
        ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 999, 5000), -1);
        /* v2 lists the voters' controller listeners. */
        ck_assert_int_eq(q->n_nodes, 3);
        ck_assert_int_ge(q->nodes[0].n_listeners, 1);
        ck_assert_int_gt(q->nodes[0].listeners[0].port, 0);
        kafka_describe_quorum_free(q);
        if (all)
            break;
        ck_assert_msg(now_ms() < deadline, "voters not all caught up after %d ms", SETTLE_MS);
        sleep_ms(500);
    }
    close_conn(c, av);
}
END_TEST

START_TEST(cluster_lists_three_unfenced_brokers)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    kafka_describe_cluster_response *dc;
    kafka_metadata_request none = {(const char *const[]){NULL}, 0};
    kafka_metadata *md;
    util_err err;
    int32_t i;
    int b;

    ck_assert_msg(kafka_describe_cluster_call(c, av, NULL, CALL_MS, &dc, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(dc->version, 2);
    ck_assert(dc->fenced_known);
    ck_assert_int_eq(dc->endpoint_type, KAFKA_ENDPOINT_BROKERS);
    ck_assert_int_eq(dc->n_brokers, 3);
    ck_assert_ptr_nonnull(kafka_describe_cluster_find(dc, dc->controller_id));
    for (i = 0; i < dc->n_brokers; i++) {
        char addr[160];
        int listed = 0;

        ck_assert(!dc->brokers[i].is_fenced);
        snprintf(addr, sizeof addr, "%s:%d", dc->brokers[i].host, dc->brokers[i].port);
        for (b = 0; b < kft_broker_count(); b++)
            listed |= strcmp(kft_broker(b), addr) == 0;
        ck_assert_msg(listed, "broker %d at %s is not in BERTH_KAFKA_BOOTSTRAP",
                      dc->brokers[i].broker_id, addr);
    }
    ck_assert_uint_gt(strlen(dc->cluster_id), 0);

    /* Metadata with an empty topic list: brokers and cluster only. */
    ck_assert_msg(kafka_metadata_call(c, av, &none, CALL_MS, &md, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(md->n_topics, 0);
    ck_assert_int_eq(md->n_brokers, 3);
    ck_assert_str_eq(md->cluster_id, dc->cluster_id);
    for (i = 0; i < md->n_brokers; i++)
        ck_assert_ptr_nonnull(kafka_describe_cluster_find(dc, md->brokers[i].node_id));
    kafka_metadata_free(md);
    kafka_describe_cluster_free(dc);
    close_conn(c, av);
}
END_TEST

START_TEST(metadata_version_reported_and_updates_validated)
{
    const kafka_feature_range *sup, *fin;
    kafka_update_features_response *res;
    kafka_api_versions *av;
    kafka_conn *c;
    util_err err;
    int16_t level = -1;
    int b;

    for (b = 0; b < kft_broker_count(); b++) {
        c = kft_open(kft_broker(b), &av);
        sup = kafka_api_versions_supported(av, KAFKA_FEATURE_METADATA_VERSION);
        fin = kafka_api_versions_finalized(av, KAFKA_FEATURE_METADATA_VERSION);
        ck_assert_msg(sup != NULL && fin != NULL, "broker %s: no metadata.version", kft_broker(b));
        ck_assert_int_ge(av->finalized_epoch, 0);
        ck_assert_int_le(sup->min_level, fin->max_level);
        ck_assert_int_le(fin->max_level, sup->max_level);
        if (level < 0)
            level = fin->max_level;
        ck_assert_int_eq(fin->max_level, level);
        close_conn(c, av);
    }

    c = kft_open(kft_broker(0), &av);
    sup = kafka_api_versions_supported(av, KAFKA_FEATURE_METADATA_VERSION);
    {
        kafka_feature_update u = {KAFKA_FEATURE_METADATA_VERSION, level, KAFKA_FEATURE_UPGRADE};
        kafka_update_features_request req = {BROKER_MS, &u, 1, 1};

        ck_assert_msg(kafka_update_features_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(res->version, KAFKA_UPDATE_FEATURES_MAX);
        kafka_update_features_free(res);
        /* Below the finalized level with UPGRADE: refused. */
        u.max_version_level = (int16_t)(level - 1);
        ck_assert_int_eq(kafka_update_features_call(c, av, &req, CALL_MS, &res, &err), -1);
        ck_assert_ptr_null(res);
        ck_assert_msg(strstr(err.msg, "UpdateFeatures v2: INVALID_UPDATE_VERSION (error 95)") !=
                          NULL,
                      "%s", err.msg);
        /* Beyond what the brokers support: refused. */
        u.max_version_level = (int16_t)(sup->max_level + 1);
        ck_assert_int_eq(kafka_update_features_call(c, av, &req, CALL_MS, &res, &err), -1);
        ck_assert_msg(strstr(err.msg, "UpdateFeatures v2: ") != NULL, "%s", err.msg);
    }
    close_conn(c, av);
}
END_TEST

START_TEST(metadata_never_creates_what_it_asks_about)
{
    const char *topic = topic_name("metadata");
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    kafka_metadata *md;
    kafka_metadata_request all = {NULL, 0};
    util_err err;
    int i;

    for (i = 0; i < 2; i++) {
        const kafka_metadata_topic *t;

        md = kft_metadata(c, av, topic);
        t = kafka_metadata_topic_find(md, topic);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(t->error_code, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
        ck_assert_int_eq(t->n_partitions, 0);
        kafka_metadata_free(md);
    }
    /* All topics: ours is not among them. */
    ck_assert_msg(kafka_metadata_call(c, av, &all, CALL_MS, &md, &err) == 0, "%s", err.msg);
    ck_assert_ptr_null(kafka_metadata_topic_find(md, topic));
    kafka_metadata_free(md);
    close_conn(c, av);
}
END_TEST

START_TEST(refusals_come_back_as_per_item_codes)
{
    const char *topic = topic_name("refusals");
    static const int32_t shrink[2] = {0, 2};
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    kafka_new_topic t = {topic, 1, 3, NULL, 0, NULL, 0};
    kafka_create_topics_request creq = {&t, 1, BROKER_MS, 0};
    kafka_create_topics_response *cres;
    kafka_reassign_partition rp = {0, NULL, 0};
    kafka_reassign_topic rt = {topic, &rp, 1};
    kafka_alter_partition_reassignments_request areq = {BROKER_MS, 0, &rt, 1};
    kafka_alter_partition_reassignments_response *ares;
    static const int32_t missing[1] = {7};
    kafka_topic_partitions tp = {topic, missing, 1};
    kafka_elect_leaders_request ereq = {KAFKA_ELECTION_PREFERRED, &tp, 1, BROKER_MS};
    kafka_elect_leaders_response *eres;
    const kafka_api_range *range;
    util_err err;

    create_topic(c, av, topic, 1, 3);
    kafka_metadata_free(wait_settled(c, av, topic, 1, 3));

    /* Again: the topic exists. */
    ck_assert_msg(kafka_create_topics_call(c, av, &creq, CALL_MS, &cres, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cres->topics[0].error_code, KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    ck_assert_ptr_nonnull(cres->topics[0].error_message);
    kafka_create_topics_free(cres);

    /* Cancelling a reassignment that is not happening. */
    ck_assert_msg(kafka_alter_partition_reassignments_call(c, av, &areq, CALL_MS, &ares, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(ares->topics[0].partitions[0].error_code,
                     KAFKA_ERR_NO_REASSIGNMENT_IN_PROGRESS);
    kafka_alter_partition_reassignments_free(ares);

    /* v1 (Kafka 4.1): dropping a replica while asking to keep the
     * replication factor is refused, and nothing moves. */
    range = kafka_api_versions_find(av, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS);
    ck_assert_ptr_nonnull(range);
    ck_assert_int_ge(range->max_version, 1);
    rp.replicas = shrink;
    rp.n_replicas = 2;
    areq.keep_replication_factor = 1;
    ck_assert_msg(kafka_alter_partition_reassignments_call(c, av, &areq, CALL_MS, &ares, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(ares->version, 1);
    ck_assert_int_eq(ares->allow_replication_factor_change, 0);
    ck_assert_int_eq(ares->topics[0].partitions[0].error_code,
                     KAFKA_ERR_INVALID_REPLICATION_FACTOR);
    kafka_alter_partition_reassignments_free(ares);
    assert_none_pending(c, av, topic);

    /* Electing for a partition the topic does not have. */
    ck_assert_msg(kafka_elect_leaders_call(c, av, &ereq, CALL_MS, &eres, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kafka_elect_leaders_find(eres, topic, 7)->error_code,
                     KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kafka_elect_leaders_free(eres);

    delete_topic(c, av, topic, 1);
    /* Deleting it again: the broker says it is gone. */
    {
        kafka_delete_topics_request dreq = {&topic, 1, BROKER_MS};
        kafka_delete_topics_response *dres;

        ck_assert_msg(kafka_delete_topics_call(c, av, &dreq, CALL_MS, &dres, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(dres->version, 6);
        ck_assert_int_eq(dres->topics[0].error_code, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
        kafka_delete_topics_free(dres);
    }
    close_conn(c, av);
}
END_TEST

/* Deletes whatever the tests left behind, in the parent after they ran. */
static void delete_leftovers(void)
{
    kafka_api_versions *av = NULL;
    kafka_conn *c = NULL;
    util_err err;
    size_t i;

    if (kft_broker_count() == 0 || kafka_conn_new(kft_broker(0), NULL, &c, &err) < 0)
        return;
    if (kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0) {
        for (i = 0; i < N_TOPICS; i++) {
            const char *name = topic_name(topic_tags[i]);
            kafka_delete_topics_request req = {&name, 1, BROKER_MS};
            kafka_delete_topics_response *res;

            if (kafka_delete_topics_call(c, av, &req, CALL_MS, &res, &err) == 0)
                kafka_delete_topics_free(res);
        }
    }
    close_conn(c, av);
}

static void no_setup(void)
{
}

int main(void)
{
    Suite *s = suite_create("kafka_admin");
    TCase *tc = tcase_create("admin");
    SRunner *sr;
    unsigned seed;
    int failed;

    seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    srand(seed);
    snprintf(run_id, sizeof run_id, "%08x%04x", (unsigned)rand(), (unsigned)rand() & 0xffff);
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, no_setup, delete_leftovers);
    tcase_add_test(tc, cluster_lists_three_unfenced_brokers);
    tcase_add_test(tc, quorum_has_three_caught_up_voters);
    tcase_add_test(tc, metadata_never_creates_what_it_asks_about);
    tcase_add_test(tc, metadata_version_reported_and_updates_validated);
    tcase_add_test(tc, reorder_and_preferred_election_drain_broker_1_and_restore_it);
    tcase_add_test(tc, min_insync_replicas_set_read_and_reset);
    tcase_add_test(tc, refusals_come_back_as_per_item_codes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
